"""Sufficient statistics streamed from Parquet (a file or a partitioned directory) or CSV.

Record batches are read one at a time with pyarrow and reduced into a :class:`Tally`, so memory
stays bounded by the batch size and the sample size, whatever the size of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from conformance.engine.tables import SAMPLE_ROWS, SufficientStats, Tally
from conformance.errors import DataError, InputError

BATCH_ROWS = 1_000_000


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parquet_dataset(path: Path):
    """A pyarrow dataset over a file or directory; mismatched schemas are a DataError."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    try:
        if Path(path).is_dir():
            files = sorted(str(p) for p in Path(path).rglob("*.parquet") if p.is_file())
            if not files:
                raise InputError(f"no .parquet files under {path}", "give a Parquet file, a directory of them, or a CSV")
            pieces = [ds.dataset(f, format="parquet") for f in files]
            schemas = [p.schema for p in pieces]
            first = schemas[0]
            for f, schema in zip(files, schemas):
                if not schema.equals(first, check_metadata=False):
                    try:
                        pa.unify_schemas([first, schema])
                    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                        raise DataError(
                            f"the Parquet files under {path} have mismatched schemas: {Path(f).name}: {_first_line(exc)}",
                            "every part of a partitioned dataset needs the same column types",
                        ) from exc
            return ds.dataset(files, format="parquet", schema=pa.unify_schemas(schemas))
        return ds.dataset(str(path), format="parquet")
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise InputError(f"cannot read {path} as parquet: {_first_line(exc)}") from exc


PREDICTION = "__conformance_prediction__"
SCORE = "__conformance_score__"


class ModelOutputs:
    """Adds the model's predictions (and positive-label probabilities) to each batch: inference per batch."""

    def __init__(self, predictor, features: list[str], positive: str | None) -> None:
        self.predictor, self.features, self.positive = predictor, list(features), positive

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        inputs = batch[self.features]
        out = batch.copy(deep=False)
        out[PREDICTION] = self.predictor.predict(inputs)
        if self.positive is not None:
            scores = self.predictor.predict_scores(inputs, self.positive)
            if scores is not None:
                out[SCORE] = scores
        return out


def _kind(path: Path) -> str:
    if not path.exists():
        raise InputError(f"data file not found: {path}", "check the path given to --data")
    kind = "parquet" if path.is_dir() or path.suffix.lower() in (".parquet", ".pq") else "csv" if path.suffix.lower() == ".csv" else None
    if kind is None:
        raise InputError(f"cannot read {path}: unknown file type '{path.suffix}'", "supported: .csv, .parquet, .pq")
    return kind


def batches(path: Path, batch_rows: int = BATCH_ROWS, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """The rows of ``path`` as DataFrames of at most ``batch_rows`` rows."""
    import pyarrow as pa

    path = Path(path)
    kind = _kind(path)
    try:
        if kind == "parquet":
            dataset = parquet_dataset(path)
            for batch in dataset.to_batches(columns=columns, batch_size=batch_rows):
                yield batch.to_pandas()
        else:
            import pyarrow.csv as pcsv

            reader = pcsv.open_csv(
                str(path),
                read_options=pcsv.ReadOptions(block_size=1 << 26),
                convert_options=pcsv.ConvertOptions(strings_can_be_null=True, include_columns=columns),
            )
            pending: list[pd.DataFrame] = []
            size = 0
            for batch in reader:
                pending.append(batch.to_pandas())
                size += batch.num_rows
                if size >= batch_rows:
                    yield pd.concat(pending, ignore_index=True)
                    pending, size = [], 0
            if pending:
                yield pd.concat(pending, ignore_index=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"cannot read {path} as {kind}: {_first_line(exc)}") from exc


def schema_names(path: Path) -> list[str]:
    """The column names of a Parquet file/directory or a CSV, without reading the rows."""
    path = Path(path)
    if _kind(path) == "parquet":
        return list(parquet_dataset(path).schema.names)
    try:
        head = pd.read_csv(path, nrows=0)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path} as csv: {_first_line(exc)}") from exc
    return [str(c) for c in head.columns]


def stream_stats(
    path: Path,
    *,
    target: str,
    sensitive: list[str],
    predictions: str,
    scores: str | None = None,
    positive_label: str | None = None,
    seed: int = 0,
    sample_rows: int = SAMPLE_ROWS,
    batch_rows: int = BATCH_ROWS,
    transform: ModelOutputs | None = None,
) -> SufficientStats:
    """Reduce the file batch by batch; bounded memory. ``transform`` runs the model on each batch."""
    tally = Tally(target, sensitive, predictions, scores, seed=seed, sample_rows=sample_rows)
    for batch in batches(path, batch_rows):
        tally.update(transform(batch) if transform is not None else batch)
    return tally.finish(positive_label)
