"""Sufficient statistics of an in-memory DataFrame: the same Tally, fed one batch."""

from __future__ import annotations

import pandas as pd

from conformance.engine.tables import SAMPLE_ROWS, SufficientStats, Tally


def stats_from_frame(
    frame: pd.DataFrame,
    *,
    target: str,
    sensitive: list[str],
    predictions: str,
    scores: str | None = None,
    positive_label: str | None = None,
    seed: int = 0,
    sample_rows: int = SAMPLE_ROWS,
    batch_rows: int | None = None,
) -> SufficientStats:
    """The tables of ``frame`` (optionally fed in slices of ``batch_rows``, which changes nothing)."""
    tally = Tally(target, sensitive, predictions, scores, seed=seed, sample_rows=sample_rows)
    step = batch_rows or max(len(frame), 1)
    for start in range(0, len(frame), step):
        tally.update(frame.iloc[start : start + step])
    return tally.finish(positive_label)
