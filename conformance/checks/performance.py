"""Performance checks: how well the model's outputs match the truth, with uncertainty.

Rates of labels are functions of confusion counts, resampled as count tables. Losses of scores
and of regression predictions are means of per-row values: their intervals come from Poisson(1)
row weights (B weighted sums, one matrix product per chunk of resamples), on a seeded subsample
when the data is large so that the cost is bounded whatever the number of rows.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from conformance.checks.base import AuditContext, BootstrapParams, Check, NotApplicable
from conformance.errors import DataError, did_you_mean
from conformance.messages import parts, say
from conformance.result import GroupValue, Interval, Measurement, Message
from conformance.stats import confusion as cm
from conformance.stats.bootstrap import bootstrap_rows, bootstrap_sums, percentile_interval, resample_tables
from conformance.stats.groups import Grouping, encode
from conformance.stats.scores import auc

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


def _interval(samples: np.ndarray, params: BootstrapParams) -> Interval | None:
    if not params.n_boot or not np.asarray(samples).size:
        return None
    low, high = percentile_interval(samples, params.ci_level)
    return Interval(low=low, high=high, level=params.ci_level)


def subsample_said(n: int, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray | None, Message | None]:
    """``bootstrap_rows`` with its note as a catalogue message."""
    rows, _ = bootstrap_rows(n, n_boot, rng)
    if rows is None:
        return None, None
    return rows, say("note.performance.bootstrap_subsample", n_boot=str(n_boot), m=f"{len(rows):,}", n=f"{n:,}")


# --- classification ---------------------------------------------------------------------------


def probability_problem_said(scores: np.ndarray) -> Message | None:
    """Why the scores are not probabilities of the positive label (a catalogue message), or None when they are."""
    if not np.all(np.isfinite(scores)):
        return say("note.performance.scores_not_finite")
    if scores.size and (scores.min() < 0 or scores.max() > 1):
        return say("note.performance.scores_outside_unit")
    return None


def _probability_losses(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-row log loss and Brier score, shape (rows, 2); log loss clips at machine precision (as sklearn)."""
    eps = np.finfo(float).eps
    p = np.clip(scores, eps, 1 - eps)
    y = y_true.astype(float)
    log_loss = -(y * np.log(p) + (1 - y) * np.log1p(-p))
    brier = (scores - y) ** 2
    return np.column_stack([log_loss, brier])


def _loss_measurements(ctx: AuditContext, params: BootstrapParams, rng: np.random.Generator) -> list[Measurement]:
    check = "performance.classification"
    problem = probability_problem_said(ctx.scores)
    if problem:
        omitted = [say("note.performance.omitted", problem=problem)]
        return [Measurement(check=check, metric=m, value=None, note_parts=omitted) for m in ("log_loss", "brier")]
    losses = _probability_losses(ctx.data.y_true, ctx.scores)
    point = losses.mean(axis=0)
    rows, subsample = subsample_said(len(losses), params.n_boot, rng)
    cis: list[Interval | None] = [None, None]
    if params.n_boot:
        sample = losses if rows is None else losses[rows]
        sums = bootstrap_sums(np.column_stack([np.ones(len(sample)), sample]), params.n_boot, rng)[:, 0]
        means = cm.ratio(sums[:, 1:], sums[:, :1])
        cis = [_interval(means[:, j], params) for j in range(2)]
    note = parts(subsample, ctx.stats.sample_said if ctx.stats is not None and ctx.stats.sampled else None)
    return [
        Measurement(check=check, metric=metric, value=_value(point[j]), ci=cis[j], note_parts=note)
        for j, metric in enumerate(("log_loss", "brier"))
    ]


def classification(ctx: AuditContext, params: BootstrapParams) -> list[Measurement]:
    """Accuracy, balanced accuracy, precision, recall, specificity, F1 and, with scores, ROC AUC, log loss and Brier score.

    Why: a provider must state the accuracy of a system and the metrics behind it, and show
    evidence that it holds on test data representative of use. Each value carries a bootstrap
    confidence interval so a reader sees how far the test set pins it down. Log loss and Brier
    score need scores that are probabilities in [0, 1]; with other scores they are left
    undefined, with the reason.
    """
    y_pred = ctx.require_predictions()
    table = ctx.confusion_table(None, y_pred)[0]
    rng = ctx.rng("performance.classification")
    resampled = resample_tables(table, params.n_boot, rng)
    out = []
    for name, rate in CLASSIFICATION_METRICS.items():
        value = _value(rate(table))
        ci = None
        if params.n_boot:
            low, high = percentile_interval(rate(resampled), params.ci_level)
            ci = Interval(low=low, high=high, level=params.ci_level)
        note = parts(None if value is not None else say("note.performance.zero_denominator"))
        out.append(Measurement(check="performance.classification", metric=name, value=value, ci=ci, note_parts=note))
    if ctx.scores is not None:
        histogram, n_bins, binned = ctx.score_histogram(None)
        histogram = histogram[0]
        value = _value(auc(histogram))
        ci = None
        if params.n_boot:
            low, high = percentile_interval(auc(resample_tables(histogram, params.n_boot, rng)), params.ci_level)
            ci = Interval(low=low, high=high, level=params.ci_level)
        note = binned if value is not None else [say("note.performance.single_class")]
        out.append(Measurement(check="performance.classification", metric="roc_auc", value=value, ci=ci, note_parts=note))
        out.extend(_loss_measurements(ctx, params, rng))
    return out


# --- regression -------------------------------------------------------------------------------


def _regression_metrics(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MAE, RMSE and R² from weighted sums of (1, |e|, e², y − c, (y − c)²) for any centring c."""
    weight, abs_error, sq_error, y, y2 = (sums[..., j] for j in range(5))
    mae = cm.ratio(abs_error, weight)
    rmse = np.sqrt(cm.ratio(sq_error, weight))
    total = y2 - cm.ratio(y * y, weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(total > 0, 1 - sq_error / np.where(total > 0, total, 1), np.nan)
    return mae, rmse, r2


def regression(ctx: AuditContext, params: BootstrapParams) -> list[Measurement]:
    """Mean absolute error, root mean squared error and R² (coefficient of determination) of the predictions.

    Why: the accuracy of a system that predicts a quantity is stated as the size of its errors,
    in the target's units (MAE, RMSE), and as the share of the target's variance it explains
    (R²). Each value carries a bootstrap confidence interval.
    """
    y_pred = ctx.require_predictions().astype(float)
    y_true = ctx.data.y_true.astype(float)
    error = y_pred - y_true
    centred = y_true - y_true.mean()
    values = np.column_stack([np.ones_like(error), np.abs(error), error**2, centred, centred**2])
    point = _regression_metrics(values.sum(axis=0))
    rng = ctx.rng("performance.regression")
    rows, note = subsample_said(len(values), params.n_boot, rng)
    resampled = None
    if params.n_boot:
        sample = values if rows is None else values[rows]
        resampled = _regression_metrics(bootstrap_sums(sample, params.n_boot, rng)[:, 0])
    out = []
    for j, metric in enumerate(("mae", "rmse", "r2")):
        value = _value(point[j])
        why = None if value is not None else say("note.performance.constant_target")
        ci = _interval(resampled[j], params) if resampled is not None else None
        out.append(Measurement(check="performance.regression", metric=metric, value=value, ci=ci, note_parts=parts(why, note)))
    return out


# --- calibration ------------------------------------------------------------------------------


class CalibrationParams(BootstrapParams):
    n_bins: int = Field(10, ge=2, le=100, description="Bins of the scores, equal-width and equal-mass alike.")


def _calibration_errors(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ECE and maximum calibration error from per-bin sums ``(..., bins, 3)`` of (1, score, label)."""
    count, score, label = sums[..., 0], sums[..., 1], sums[..., 2]
    ece = cm.ratio(np.abs(label - score).sum(axis=-1), count.sum(axis=-1))
    gaps = np.abs(cm.ratio(label - score, count))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mce = np.nanmax(gaps, axis=-1)
    return ece, mce


def _bin_labels(edges: np.ndarray) -> list[str]:
    """Labels of bins ``[e0, e1], (e1, e2], …``: the convention of sklearn's ``calibration_curve``."""
    return [
        f"{'[' if i == 0 else '('}{edges[i]:.4g}, {edges[i + 1]:.4g}]" for i in range(len(edges) - 1)
    ]


def calibration(ctx: AuditContext, params: CalibrationParams) -> list[Measurement]:
    """Expected calibration error (equal-width and equal-mass bins), maximum calibration error, and the reliability-diagram data.

    The scores are cut into ``n_bins`` bins; in each, the mean score is compared with the share
    of positives. The expected calibration error (ECE) is the mean absolute gap weighted by the
    bins' sizes; equal-mass bins (score quantiles) make every bin equally well estimated. The
    metrics ``mean_predicted`` and ``observed_rate`` carry, per equal-width bin, the two axes of
    a reliability diagram (their values are the overall mean score and positive rate).

    Why: a score read as a probability (a risk of 0.8) must mean what it says; a badly
    calibrated score misleads everyone who acts on it, even when its ranking (AUC) is good.
    """
    if ctx.scores is None:
        raise NotApplicable(say("note.performance.no_scores_calibration"))
    problem = probability_problem_said(ctx.scores)
    if problem:
        raise NotApplicable(problem)
    p, y = ctx.scores, ctx.data.y_true.astype(float)
    k = params.n_bins
    width_edges = np.linspace(0.0, 1.0, k + 1)
    mass_edges = np.quantile(p, np.linspace(0.0, 1.0, k + 1))
    width_bin = np.searchsorted(width_edges[1:-1], p, side="left")
    mass_bin = np.searchsorted(mass_edges[1:-1], p, side="left")

    def per_bin(codes: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(codes, weights=w, minlength=k) for w in (np.ones_like(p), p, y)], axis=-1)

    width_sums, mass_sums = per_bin(width_bin), per_bin(mass_bin)
    ece_w, mce = _calibration_errors(width_sums)
    ece_m, _ = _calibration_errors(mass_sums)

    rng = ctx.rng("reliability.calibration")
    rows, note = subsample_said(len(p), params.n_boot, rng)
    boot_w = boot_m = None
    if params.n_boot:
        take = slice(None) if rows is None else rows
        # both binnings are intervals of the score, so at most 2k − 1 (width, mass) cells occur
        joint = width_bin[take] * k + mass_bin[take]
        order = np.argsort(joint, kind="stable")
        cells, starts = np.unique(joint[order], return_index=True)
        bounds = np.append(starts, len(order))
        sample = np.column_stack([np.ones(len(order)), p[take][order], y[take][order]])
        sums = bootstrap_sums(sample, params.n_boot, rng, bounds)  # (B, cells, 3)
        boot_w = np.einsum("bsj,sk->bkj", sums, np.eye(k)[cells // k])
        boot_m = np.einsum("bsj,sk->bkj", sums, np.eye(k)[cells % k])
    ece_w_b, mce_b = _calibration_errors(boot_w) if boot_w is not None else (np.empty(0), np.empty(0))
    ece_m_b = _calibration_errors(boot_m)[0] if boot_m is not None else np.empty(0)

    def gap_groups(sums: np.ndarray, labels: list[str], keep_empty: bool) -> list[GroupValue]:
        gaps = cm.ratio(sums[:, 2] - sums[:, 1], sums[:, 0])
        return [
            GroupValue(group=label, n=int(sums[i, 0]), value=_value(gaps[i]))
            for i, label in enumerate(labels)
            if keep_empty or sums[i, 0] > 0
        ]

    width_labels, mass_labels = _bin_labels(width_edges), _bin_labels(mass_edges)
    count = width_sums[:, 0]
    mean_score = cm.ratio(width_sums[:, 1], count)
    observed = cm.ratio(width_sums[:, 2], count)
    observed_b = cm.ratio(boot_w[..., 2], boot_w[..., 0]) if boot_w is not None else None
    gaps = np.abs(observed - mean_score)
    driver = None
    if np.isfinite(gaps).any():
        worst = int(np.nanargmax(gaps))
        driver = say("note.performance.largest_bin_gap", bin=width_labels[worst], observed=f"{observed[worst]:.3f}",
                     mean=f"{mean_score[worst]:.3f}", n=str(int(count[worst])))
    check = "reliability.calibration"
    empty = int((count == 0).sum())
    empty_note = say("note.performance.empty_bins", empty=str(empty), bins=str(k)) if empty else None
    mass_note = None
    if (mass_sums[:, 0] == 0).any():
        mass_note = say("note.performance.tied_bins", empty=str(int((mass_sums[:, 0] == 0).sum())))
    return [
        Measurement(
            check=check, metric="ece", value=_value(ece_w), ci=_interval(ece_w_b, params),
            groups=gap_groups(width_sums, width_labels, True), note_parts=parts(note, empty_note),
        ),
        Measurement(
            check=check, metric="ece_equal_mass", value=_value(ece_m), ci=_interval(ece_m_b, params),
            groups=gap_groups(mass_sums, mass_labels, False), note_parts=parts(note, mass_note),
        ),
        Measurement(
            check=check, metric="max_calibration_error", value=_value(mce), ci=_interval(mce_b, params),
            driver_parts=parts(driver), note_parts=parts(note),
        ),
        Measurement(
            check=check, metric="mean_predicted", value=float(p.mean()),
            groups=[GroupValue(group=label, n=int(count[i]), value=_value(mean_score[i])) for i, label in enumerate(width_labels)],
        ),
        Measurement(
            check=check, metric="observed_rate", value=float(y.mean()),
            groups=[
                GroupValue(
                    group=label, n=int(count[i]), value=_value(observed[i]),
                    ci=_interval(observed_b[:, i], params) if observed_b is not None and count[i] else None,
                )
                for i, label in enumerate(width_labels)
            ],
            note_parts=parts(note),
        ),
    ]


# --- worst slice ------------------------------------------------------------------------------

SLICE_METRICS: dict[str, tuple[cm.Rate, bool]] = {
    # name: (rate, higher is better)
    "accuracy": (cm.accuracy, True),
    "balanced_accuracy": (cm.balanced_accuracy, True),
    "f1": (cm.f1, True),
    "tpr": (cm.true_positive_rate, True),
    "tnr": (cm.true_negative_rate, True),
    "ppv": (cm.precision, True),
    "npv": (cm.negative_predictive_value, True),
    "fpr": (cm.false_positive_rate, False),
    "fnr": (cm.false_negative_rate, False),
}
SliceMetric = Literal["accuracy", "balanced_accuracy", "f1", "tpr", "tnr", "ppv", "npv", "fpr", "fnr"]
SLICE_QUANTILES = 4
"""A numeric slice column with more distinct values than ``MAX_SLICE_VALUES`` is cut at its quartiles."""
MAX_SLICE_VALUES = 20


class WorstSliceParams(BootstrapParams):
    metric: SliceMetric = Field("accuracy", description="The metric computed on every slice (fpr and fnr: lower is better).")
    slice_columns: tuple[str, ...] = Field((), description="Columns to slice by besides the sensitive attributes.")
    min_group_size: int = Field(
        30, ge=1, description="Slices with fewer rows are left out of the worst value and listed."
    )
    intersections: bool = Field(True, description="Also slice by the intersection of the sensitive attributes.")


def _slice_grouping(frame: pd.DataFrame, column: str) -> Grouping:
    values = frame[column]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        if values.nunique() > MAX_SLICE_VALUES:
            values = pd.qcut(values, SLICE_QUANTILES, duplicates="drop").astype("string")
    return encode(values, column)


def worst_slice(ctx: AuditContext, params: WorstSliceParams) -> list[Measurement]:
    """The chosen metric on every group of every sensitive attribute and slice column: the worst slice and its gap to the overall value.

    ``worst_value`` is the metric on the worst slice with at least ``min_group_size`` rows;
    ``gap_to_overall`` is how much worse it is than on all rows (positive: worse). A numeric slice
    column with many values is cut at its quartiles.

    Why: an aggregate accuracy can hide a subpopulation on which the system fails; the
    accuracy required of a system must hold for the persons or groups it is used on.
    """
    y_pred = ctx.require_predictions()
    frame = ctx.data.frame
    for column in params.slice_columns:
        if column not in frame.columns:
            raise DataError(
                f"slice column '{column}' (in performance.worst_slice) is not in the data",
                did_you_mean(column, map(str, frame.columns)),
            )
    groupings = list(ctx.groupings(params.intersections)) if ctx.data.sensitive else []
    groupings += [_slice_grouping(frame, c) for c in params.slice_columns if c not in ctx.data.sensitive]
    if not groupings:
        raise NotApplicable(say("note.performance.nothing_to_slice"))
    rate, higher_is_better = SLICE_METRICS[params.metric]
    rng = ctx.rng("performance.worst_slice")
    out: list[Measurement] = []
    for grouping in groupings:
        table = cm.confusion_table(grouping.codes, grouping.size, ctx.data.y_true, y_pred)
        sizes = table.sum(axis=1)
        point = rate(table)
        overall = float(rate(table.sum(axis=0)))
        eligible = (sizes >= params.min_group_size) & np.isfinite(point)
        excluded = [
            say("note.performance.slice_left_out", slice=label,
                why=say("note.performance.small_slice", n=str(int(sizes[i])), min=str(params.min_group_size))
                if sizes[i] < params.min_group_size
                else say("note.performance.slice_undefined", metric=params.metric))
            for i, label in enumerate(grouping.labels)
            if not eligible[i]
        ]
        resampled = resample_tables(table, params.n_boot, rng)
        boot = rate(resampled) if resampled.size else None
        groups = [
            GroupValue(
                group=label, n=int(sizes[i]), value=_value(point[i]),
                ci=_interval(boot[:, i], params) if boot is not None else None,
            )
            for i, label in enumerate(grouping.labels)
        ]
        pick = np.nanmin if higher_is_better else np.nanmax
        sign = 1.0 if higher_is_better else -1.0
        worst = worst_b = gap = gap_b = np.nan
        driver = None
        if eligible.any():
            masked = np.where(eligible, point, np.nan)
            index = int(np.nanargmin(masked) if higher_is_better else np.nanargmax(masked))
            worst = point[index]
            gap = sign * (overall - worst)
            driver = say("note.performance.worst_slice", metric=params.metric, slice=grouping.labels[index],
                         value=f"{worst:.3f}", n=str(int(sizes[index])), overall=f"{overall:.3f}")
            if boot is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    worst_b = pick(np.where(eligible, boot, np.nan), axis=1)
                gap_b = sign * (rate(resampled.sum(axis=1)) - worst_b)
        why = None if eligible.any() else say("note.performance.no_slice", min=str(params.min_group_size), metric=params.metric)
        for metric, value, samples in (("worst_value", worst, worst_b), ("gap_to_overall", gap, gap_b)):
            out.append(
                Measurement(
                    check="performance.worst_slice", metric=metric, attribute=grouping.attribute,
                    value=_value(np.asarray(value)), ci=_interval(np.atleast_1d(samples), params) if boot is not None and eligible.any() else None,
                    groups=groups, excluded_parts=excluded, driver_parts=parts(driver), note_parts=parts(why),
                )
            )
    return out


CHECKS = [
    Check(
        id="performance.classification",
        title="Classification performance",
        measure=classification,
        params=BootstrapParams,
        metrics=(*CLASSIFICATION_METRICS, "roc_auc", "log_loss", "brier"),
        remediation=(
            "Improve the model or its training data; if the level is adequate for the intended "
            "purpose, declare it (and its metrics) in the instructions for use."
        ),
    ),
    Check(
        id="performance.regression",
        title="Regression performance",
        measure=regression,
        params=BootstrapParams,
        metrics=("mae", "rmse", "r2"),
        tasks=frozenset({"regression"}),
        remediation=(
            "Improve the model or its training data; if the error level is adequate for the "
            "intended purpose, declare it (and its metrics) in the instructions for use."
        ),
    ),
    Check(
        id="reliability.calibration",
        title="Calibration of the scores",
        measure=calibration,
        params=CalibrationParams,
        metrics=("ece", "ece_equal_mass", "max_calibration_error", "mean_predicted", "observed_rate"),
        remediation=(
            "Recalibrate the scores on held-out data (Platt scaling, isotonic regression or "
            "temperature scaling) and re-audit; do not present uncalibrated scores as probabilities."
        ),
    ),
    Check(
        id="performance.worst_slice",
        title="Performance on the worst slice",
        measure=worst_slice,
        params=WorstSliceParams,
        metrics=("worst_value", "gap_to_overall"),
        remediation=(
            "Look at the worst slice in the per-group table: collect more or better data for it, "
            "check its labels, and consider a model or threshold that serves it; state the known "
            "limitation in the instructions for use if it remains."
        ),
    ),
]
