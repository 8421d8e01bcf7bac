"""Performance checks: how well the model's outputs match the truth, with uncertainty."""

from __future__ import annotations

import numpy as np

from conformance.checks.base import AuditContext, BootstrapParams, Check
from conformance.result import Interval, Measurement
from conformance.stats import confusion as cm
from conformance.stats.bootstrap import percentile_interval, resample_tables
from conformance.stats.scores import auc, label_histogram, score_bins

CLASSIFICATION_METRICS = {
    "accuracy": cm.accuracy,
    "balanced_accuracy": cm.balanced_accuracy,
    "precision": cm.precision,
    "recall": cm.true_positive_rate,
    "specificity": cm.true_negative_rate,
    "f1": cm.f1,
}


def _value(array: np.ndarray) -> float | None:
    value = float(array)
    return value if np.isfinite(value) else None


def classification(ctx: AuditContext, params: BootstrapParams) -> list[Measurement]:
    """Accuracy, balanced accuracy, precision, recall, specificity, F1 and (with scores) ROC AUC.

    Why: a provider must state the accuracy of a system and the metrics behind it, and show
    evidence that it holds on test data representative of use. Each value carries a bootstrap
    confidence interval so a reader sees how far the test set pins it down.
    """
    y_pred = ctx.require_predictions()
    y_true = ctx.data.y_true
    rows = ctx.data.rows
    table = cm.confusion_table(np.zeros(rows, dtype=np.int64), 1, y_true, y_pred)[0]
    rng = ctx.rng("performance.classification")
    resampled = resample_tables(table, params.n_boot, rng)
    out = []
    for name, rate in CLASSIFICATION_METRICS.items():
        value = _value(rate(table))
        ci = None
        if params.n_boot:
            low, high = percentile_interval(rate(resampled), params.ci_level)
            ci = Interval(low=low, high=high, level=params.ci_level)
        note = None if value is not None else "undefined: its denominator is zero on this data"
        out.append(Measurement(check="performance.classification", metric=name, value=value, ci=ci, note=note))
    if ctx.scores is not None:
        bins, n_bins, exact = score_bins(ctx.scores)
        histogram = label_histogram(bins, n_bins, y_true)[0]
        value = _value(auc(histogram))
        ci = None
        if params.n_boot:
            low, high = percentile_interval(auc(resample_tables(histogram, params.n_boot, rng)), params.ci_level)
            ci = Interval(low=low, high=high, level=params.ci_level)
        note = None if exact else f"computed on {n_bins} quantile bins of the scores"
        if value is None:
            note = "undefined: the data has a single class"
        out.append(Measurement(check="performance.classification", metric="roc_auc", value=value, ci=ci, note=note))
    return out



CHECKS = [
    Check(
        id="performance.classification",
        title="Classification performance",
        measure=classification,
        params=BootstrapParams,
        metrics=(*CLASSIFICATION_METRICS, "roc_auc"),
        remediation=(
            "Improve the model or its training data; if the level is adequate for the intended "
            "purpose, declare it (and its metrics) in the instructions for use."
        ),
    ),
]
