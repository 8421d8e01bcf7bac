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


def _nan_reduce(reduce, values: np.ndarray) -> np.ndarray:
    """``np.nanmax`` / ``np.nanmin`` over the last axis, NaN (without a warning) where all are NaN."""
    if values.shape[-1] == 0:
        return np.full(values.shape[:-1], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return reduce(values, axis=-1)


def against_reference(rates: np.ndarray, reference: int) -> tuple[np.ndarray, np.ndarray]:
    """Largest ``|rate − reference rate|`` and smallest ``min(rate, ref) / max(rate, ref)``.

    Over the last axis, ignoring undefined (NaN) groups. Both are symmetric, like ``max − min``
    and ``min / max``: a group far above the reference counts as much as one far below. Both are
    NaN where the reference rate is undefined or no other group defines the rate.
    """
    rates = np.asarray(rates, dtype=float)
    ref = rates[..., reference : reference + 1]
    enough = (np.isfinite(rates).sum(axis=-1) >= 2) & np.isfinite(ref[..., 0])
    difference = _nan_reduce(np.nanmax, np.abs(rates - ref))
    ratios = _nan_reduce(np.nanmin, ratio(np.minimum(rates, ref), np.maximum(rates, ref)))
    return np.where(enough, difference, np.nan), np.where(enough, ratios, np.nan)


def impact_ratios(rates: np.ndarray, reference: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each group's rate over the top rate, and the top rate (the reference's, or the highest).

    Over the last axis, ignoring undefined (NaN) groups; a ratio is NaN where the top rate is 0.
    """
    rates = np.asarray(rates, dtype=float)
    top = rates[..., reference] if reference is not None else _nan_reduce(np.nanmax, rates)
    return ratio(rates, top[..., None]), top


def adverse_impact(rates: np.ndarray, reference: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The shortfall ``top − lowest`` and the smallest impact ratio ``lowest / top``.

    The top rate is the reference group's or the highest. One-sided: a group selected more often
    than the reference is no adverse impact, and the reference itself (ratio 1) caps the ratio at
    1. Both are NaN where fewer than two groups, or not the reference, define the rate.
    """
    rates = np.asarray(rates, dtype=float)
    ratios, top = impact_ratios(rates, reference)
    enough = (np.isfinite(rates).sum(axis=-1) >= 2) & np.isfinite(top)
    shortfall = top - _nan_reduce(np.nanmin, rates)
    smallest = _nan_reduce(np.nanmin, ratios)
    return np.where(enough, shortfall, np.nan), np.where(enough, smallest, np.nan)
