"""Read evaluation data from CSV or Parquet into a DataFrame."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd

from conformance.errors import DataError, InputError
from conformance.paths import require_input, shown

READERS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def header_names(path: Path, kind: str) -> list[str]:
    """The column names as the file writes them, before pandas renames duplicates (``a``, ``a.1``)."""
    if kind == "csv":
        with open(path, newline="", encoding="utf-8", errors="replace") as handle:
            return next(csv.reader(handle), [])
    import pyarrow.parquet as pq

    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    return list(pq.read_schema(files[0]).names) if files else []


def require_unique_columns(names: list[str], path: Path, option: str) -> None:
    """Two columns with one name are ambiguous (pandas would silently rename the second): refuse them."""
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise DataError(
            f"{option} {shown(path)}: column '{shown(repeated[0], 40)}' appears {names.count(repeated[0])} times",
            "give every column its own name",
        )


def read_table(path: Path, option: str = "--data") -> pd.DataFrame:
    """Read a table, failing with one clear line when the file is missing, unknown, unreadable or ambiguous.

    ``option`` is how the user gave the path (``--data``, ``--reference``, a run file's key), for messages.
    """
    path = require_input(Path(path), option, folder=True)
    if path.is_dir():
        if not any(path.rglob("*.parquet")) and not any(path.rglob("*.pq")):
            raise InputError(f"{option} {shown(path)}: is a folder with no Parquet files", "give a CSV or Parquet file, or a folder of Parquet files")
        kind = "parquet"
    else:
        kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"{option} {shown(path)}: unknown file type '{shown(path.suffix, 20)}'",
            f"supported: {', '.join(sorted(READERS))}",
        )
    try:
        require_unique_columns(header_names(path, kind), path, option)
        frame = pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)
    except (OSError, ValueError, csv.Error) as exc:  # pyarrow's errors derive from these too
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {path} as {kind}: {shown(first_line, 200)}") from exc
    if frame.empty:
        raise DataError(f"data file {path} has no rows", "an audit needs at least one row per group")
    return frame
