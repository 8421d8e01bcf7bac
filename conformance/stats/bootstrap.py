"""Bootstrap confidence intervals from count tables.

Resampling rows with replacement and counting is exactly a multinomial draw over the cells of
the count table (with the observed cell shares as probabilities). So B resamples cost
``O(B × cells)`` whatever the number of rows.
"""

from __future__ import annotations

import warnings

import numpy as np


def resample_tables(table: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` bootstrap copies of a count table, shape ``(n_boot, *table.shape)``."""
    flat = table.ravel().astype(np.int64)
    total = int(flat.sum())
    if n_boot <= 0 or total == 0:
        return np.zeros((0, *table.shape), dtype=np.int64)
    draws = rng.multinomial(total, flat / total, size=n_boot)
    return draws.reshape(n_boot, *table.shape)


def percentile_interval(samples: np.ndarray, level: float) -> tuple[float | None, float | None]:
    """Percentile interval of bootstrap statistics, ignoring resamples where it was undefined.

    Returns ``(None, None)`` when fewer than half of the resamples define the statistic: an
    interval from the few that do would be biased toward the resamples that happen to be easy.
    """
    values = np.asarray(samples, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0 or values.size < 0.5 * np.asarray(samples).size:
        return None, None
    alpha = (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)
