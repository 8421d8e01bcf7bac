"""Disparity across groups: the largest difference and the smallest ratio of a per-group rate."""

from __future__ import annotations

import warnings

import numpy as np

from conformance.stats.confusion import ratio


def difference_and_ratio(rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``max − min`` and ``min / max`` over the last axis, ignoring undefined (NaN) groups.

    Both are NaN where fewer than two groups define the rate.
    """
    rates = np.asarray(rates, dtype=float)
    defined = np.isfinite(rates).sum(axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        high = np.nanmax(rates, axis=-1) if rates.shape[-1] else np.full(rates.shape[:-1], np.nan)
        low = np.nanmin(rates, axis=-1) if rates.shape[-1] else np.full(rates.shape[:-1], np.nan)
    enough = defined >= 2
    difference = np.where(enough, high - low, np.nan)
    ratios = np.where(enough, ratio(low, high), np.nan)
    return difference, ratios
