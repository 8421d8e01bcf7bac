"""Read evaluation data from CSV or Parquet into a DataFrame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from conformance.errors import DataError, InputError

READERS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def read_table(path: Path) -> pd.DataFrame:
    """Read a table, failing with one clear line when the file is missing, unknown or unreadable."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"data file not found: {path}", "check the path given to --data")
    kind = "parquet" if path.is_dir() else READERS.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"cannot read {path}: unknown file type '{path.suffix}'",
            f"supported: {', '.join(sorted(READERS))}",
        )
    try:
        frame = pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these too
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {path} as {kind}: {first_line}") from exc
    if frame.empty:
        raise DataError(f"data file {path} has no rows", "an audit needs at least one row per group")
    return frame
