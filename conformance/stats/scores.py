"""Score histograms per (group, label) and the ROC AUC they define.

With one bin per distinct score the AUC is exact (ties count one half, as in scikit-learn);
beyond ``max_bins`` distinct scores, quantile bins give an approximation whose error is bounded
by the share of pairs that fall in the same bin.
"""

from __future__ import annotations

import numpy as np

from conformance.stats.confusion import ratio

MAX_BINS = 4096


def score_bins(scores: np.ndarray, max_bins: int = MAX_BINS) -> tuple[np.ndarray, int, bool]:
    """Bin index per row, the number of bins, and whether binning is exact (one bin per value)."""
    unique, inverse = np.unique(scores, return_inverse=True)
    if unique.size <= max_bins:
        return inverse.astype(np.int64), int(unique.size), True
    edges = np.unique(np.quantile(scores, np.linspace(0, 1, max_bins + 1)[1:-1]))
    return np.searchsorted(edges, scores, side="right").astype(np.int64), int(edges.size + 1), False


def label_histogram(
    bins: np.ndarray, n_bins: int, y_true: np.ndarray, codes: np.ndarray | None = None, n_groups: int = 1
) -> np.ndarray:
    """Counts of shape ``(groups, 2, bins)``: negatives then positives in each score bin."""
    group = np.zeros_like(bins) if codes is None else codes
    index = (group * 2 + y_true.astype(np.int64)) * n_bins + bins
    return np.bincount(index, minlength=n_groups * 2 * n_bins).reshape(n_groups, 2, n_bins)


def auc(histogram: np.ndarray) -> np.ndarray:
    """ROC AUC from a ``(..., 2, bins)`` histogram; NaN where a label is absent."""
    negatives = histogram[..., 0, :].astype(float)
    positives = histogram[..., 1, :].astype(float)
    below = np.cumsum(negatives, axis=-1) - negatives
    wins = (positives * (below + 0.5 * negatives)).sum(axis=-1)
    return ratio(wins, positives.sum(axis=-1) * negatives.sum(axis=-1))
