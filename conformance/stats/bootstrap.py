"""Bootstrap confidence intervals.

Count tables: resampling rows with replacement and counting is exactly a multinomial draw over
the cells of the table (with the observed cell shares as probabilities), so B resamples cost
``O(B × cells)`` whatever the number of rows. Means of per-row values (losses, errors, scores):
B Poisson(1) row weightings, one matrix product per chunk of resamples, on a seeded subsample
when the data is large, so that the cost is bounded.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

BOOTSTRAP_MAX_ROWS = 100_000
"""Row bootstraps resample at most this many rows (a seeded subsample of larger data)."""
BOOTSTRAP_MAX_DRAWS = 100_000_000
"""At most this many Poisson weights per row bootstrap (rows × resamples): bounds the time."""
_CHUNK = 500_000  # weights held at once: a few MB, cache-friendly (measured faster than larger chunks)
_POISSON_CDF32 = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(10)]).astype(np.float32)  # P(X > 9) ≈ 1e-7


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


def bootstrap_rows(n: int, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray | None, str | None]:
    """Rows the bootstrap resamples (None: all of them), and a note saying so when it is a subsample."""
    if not n_boot:
        return None, None
    m = min(n, BOOTSTRAP_MAX_ROWS, max(1_000, BOOTSTRAP_MAX_DRAWS // n_boot))
    if m >= n:
        return None, None
    rows = np.sort(rng.choice(n, size=m, replace=False))
    return rows, (
        f"interval from {n_boot} Poisson bootstrap resamples of a seeded subsample of {m:,} of the "
        f"{n:,} rows: wider than an interval from all rows (conservative)"
    )


def poisson_weights(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Poisson(1) weights by inverse CDF of uniforms: several times faster than ``rng.poisson``."""
    uniform = rng.random(shape, dtype=np.float32)
    weights = np.zeros(shape, dtype=np.uint8)
    for cdf in _POISSON_CDF32:
        weights += uniform > cdf
    return weights.astype(float)


def bootstrap_sums(
    values: np.ndarray, n_boot: int, rng: np.random.Generator, bounds: np.ndarray | None = None
) -> np.ndarray:
    """Weighted column sums of ``values`` (rows × k) under ``n_boot`` Poisson(1) row weightings.

    ``bounds`` splits the rows into contiguous segments (offsets, first 0, last the row count);
    the result has shape ``(n_boot, segments, k)``. Resamples are drawn in chunks, so memory
    stays bounded.
    """
    m, k = values.shape
    starts = np.array([0]) if bounds is None else np.asarray(bounds[:-1])
    out = np.zeros((n_boot, len(starts), k))
    step = max(1, _CHUNK // max(m, 1))
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        weights = poisson_weights(rng, (stop - start, m))
        if len(starts) == 1:
            out[start:stop, 0] = weights @ values
        else:  # segments are non-empty and contiguous: one reduceat per column
            for j in range(k):
                out[start:stop, :, j] = np.add.reduceat(weights * values[:, j], starts, axis=1)
    return out
