"""Sufficient statistics on a Dask cluster: one Tally per partition, summed on the client.

A partition is one Parquet file (or a CSV file) streamed in record batches on a worker; the
workers return their tallies (counts and a bottom-k sample, a few MB each) and the client merges
them. Merging adds integer counts, so the tables equal the in-memory engine's exactly, whatever
the number of partitions or workers. Needs the ``dask`` extra (``pip install
'conformance-audit[dask]'``).
"""

from __future__ import annotations

import pickle
from pathlib import Path

from conformance.engine.streaming import BATCH_ROWS, ModelOutputs, batches, parquet_dataset
from conformance.engine.tables import SAMPLE_ROWS, SufficientStats, Tally
from conformance.errors import ConfigError

CONNECT_TIMEOUT = "10s"


def _partitions(path: Path) -> list[str]:
    path = Path(path)
    if path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
        return [str(f) for f in parquet_dataset(path).files]
    return [str(path)]


def _tally_part(part: str, index: int, options: dict) -> Tally:
    tally = Tally(options["target"], options["sensitive"], options["predictions"], options["scores"],
                  seed=options["seed"], sample_rows=options["sample_rows"], part=index)
    transform = options.get("transform")
    for batch in batches(Path(part), options["batch_rows"]):
        tally.update(transform(batch) if transform is not None else batch)
    return tally


def client_for(scheduler: str | None):
    """A client of the cluster at ``scheduler``, or of a new local cluster; ConfigError when unreachable."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("--engine dask needs Dask: pip install 'conformance-audit[dask]'") from exc
    if scheduler is None:
        return Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {type(exc).__name__}",
                          "check --scheduler (e.g. tcp://host:8786) and that the scheduler is running") from exc


def dask_stats(
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
    scheduler: str | None = None,
    client=None,
    transform: ModelOutputs | None = None,
) -> SufficientStats:
    """Reduce each partition on a worker and merge the tallies in partition order."""
    parts = _partitions(path)
    options = dict(target=target, sensitive=list(sensitive), predictions=predictions, scores=scores,
                   seed=seed, sample_rows=sample_rows, batch_rows=batch_rows, transform=transform)
    own = client is None
    client = client or client_for(scheduler)
    try:
        try:
            futures = [client.submit(_tally_part, part, i, options, pure=False) for i, part in enumerate(parts)]
            tallies = client.gather(futures)
        except (TypeError, pickle.PicklingError, AttributeError) as exc:
            if transform is None:
                raise
            raise ConfigError(f"the model cannot be sent to the Dask workers: {type(exc).__name__}",
                              "use --engine stream (inference on this machine) or a model that pickles") from exc
    finally:
        if own:
            cluster = getattr(client, "cluster", None)
            client.close()
            if scheduler is None and cluster is not None:
                cluster.close()
    total = Tally(target, sensitive, predictions, scores, seed=seed, sample_rows=sample_rows)
    for tally in tallies:
        total.merge(tally)
    return total.finish(positive_label)
