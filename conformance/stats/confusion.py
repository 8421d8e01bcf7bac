"""Per-group confusion counts and the rates they define.

A table has shape ``(..., groups, 4)`` with cells ``tn, fp, fn, tp``; leading axes hold bootstrap
resamples. Every classification rate is a ratio of sums of cells, so one function serves the
point estimate and all resamples at once. An undefined rate (a zero denominator) is NaN, never 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CELLS = ("tn", "fp", "fn", "tp")
TN, FP, FN, TP = range(4)


def confusion_table(codes: np.ndarray, n_groups: int, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Counts per (group, cell) from one ``np.bincount`` over a combined index."""
    index = codes * 4 + y_true.astype(np.int64) * 2 + y_pred.astype(np.int64)
    return np.bincount(index, minlength=n_groups * 4).reshape(n_groups, 4)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio that is NaN where the denominator is zero."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _cells(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return t[..., TN], t[..., FP], t[..., FN], t[..., TP]


def selection_rate(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(fp + tp, tn + fp + fn + tp)


def base_rate(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(fn + tp, tn + fp + fn + tp)


def true_positive_rate(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(tp, tp + fn)


def false_positive_rate(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(fp, fp + tn)


def true_negative_rate(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(tn, tn + fp)


def false_negative_rate(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(fn, fn + tp)


def precision(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(tp, tp + fp)


def negative_predictive_value(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(tn, tn + fn)


def accuracy(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(tn + tp, tn + fp + fn + tp)


def balanced_accuracy(t: np.ndarray) -> np.ndarray:
    return (true_positive_rate(t) + true_negative_rate(t)) / 2


def f1(t: np.ndarray) -> np.ndarray:
    tn, fp, fn, tp = _cells(t)
    return ratio(2 * tp, 2 * tp + fp + fn)


Rate = Callable[[np.ndarray], np.ndarray]

RATES: dict[str, Rate] = {
    "selection_rate": selection_rate,
    "base_rate": base_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "tnr": true_negative_rate,
    "fnr": false_negative_rate,
    "ppv": precision,
    "npv": negative_predictive_value,
    "accuracy": accuracy,
}
