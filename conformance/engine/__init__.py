"""Engines that reduce the data to sufficient statistics: in memory, streamed, or on Dask.

``memory`` computes the tables from a DataFrame; ``streaming`` from a Parquet file, a partitioned
Parquet directory or a CSV in record batches with bounded memory; ``dask`` per partition on a
cluster. All three share :class:`~conformance.engine.tables.Tally`, so their tables are equal.
"""

from conformance.engine.tables import SAMPLE_ROWS, SCORE_BINS, SufficientStats, Tally

__all__ = ["SAMPLE_ROWS", "SCORE_BINS", "SufficientStats", "Tally"]
