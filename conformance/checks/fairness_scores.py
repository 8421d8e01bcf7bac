"""Group fairness of scores and of regression outputs.

ROC AUC per group comes from per-group score histograms (exact with one bin per distinct score),
resampled as count tables. Calibration error and regression errors per group are sums of
per-row values, resampled with Poisson row weights on a bounded, seeded subsample.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from conformance.checks.base import AuditContext, Check, NotApplicable
from conformance.checks.fairness import (
    REMEDIATION, UNDEFINED, GroupParams, _finite, _groupings, _interval, exclusion, range_driver, small_group,
)
from conformance.checks.performance import probability_problem_said, subsample_said
from conformance.messages import parts, say
from conformance.result import GroupValue, Measurement, Message
from conformance.stats import confusion as cm
from conformance.stats.bootstrap import bootstrap_sums, resample_tables
from conformance.stats.disparity import difference_and_ratio
from conformance.stats.groups import Grouping
from conformance.stats.scores import auc


class AucParams(GroupParams):
    max_bins: int = Field(
        1024, ge=16, le=65536,
        description="Score bins per group; with fewer distinct scores the AUC is exact.",
    )


class CalibrationGroupParams(GroupParams):
    n_bins: int = Field(10, ge=2, le=100, description="Equal-width score bins of the calibration error.")


def _compare(
    check_id: str,
    name: str,
    grouping: Grouping,
    sizes: np.ndarray,
    point: np.ndarray,
    boot: np.ndarray,
    params: GroupParams,
    note: list[Message] | None = None,
) -> list[Measurement]:
    """``<name>_difference`` and ``<name>_ratio`` across eligible groups, with per-group values."""
    excluded, eligible = [], np.ones(grouping.size, dtype=bool)
    for i, label in enumerate(grouping.labels):
        if sizes[i] < params.min_group_size:
            excluded.append(exclusion(label, small_group(int(sizes[i]), params.min_group_size)))
            eligible[i] = False
        elif not np.isfinite(point[i]):
            excluded.append(exclusion(label, say("note.fairness_scores.single_class", metric=name)))
            eligible[i] = False
    compared = np.where(eligible, point, np.nan)
    difference, ratio = difference_and_ratio(compared)
    boot_diff, boot_ratio = (
        difference_and_ratio(np.where(eligible, boot, np.nan)) if boot.size else (np.empty(0), np.empty(0))
    )
    groups = [
        GroupValue(group=label, n=int(sizes[i]), value=_finite(point[i]),
                   ci=_interval(boot[:, i], params) if boot.size else None)
        for i, label in enumerate(grouping.labels)
    ]
    driver = None
    if np.isfinite(compared).sum() >= 2:
        low, high = int(np.nanargmin(compared)), int(np.nanargmax(compared))
        driver = range_driver(name, grouping.labels[low], compared[low], grouping.labels[high], compared[high])
    notes = parts(None if np.isfinite(difference) else UNDEFINED, note)
    return [
        Measurement(check=check_id, metric=f"{name}_{kind}", attribute=grouping.attribute, value=_finite(value),
                    ci=_interval(b, params) if b.size else None, groups=groups, excluded_parts=excluded,
                    driver_parts=parts(driver), note_parts=notes)
        for kind, value, b in (("difference", difference, boot_diff), ("ratio", ratio, boot_ratio))
    ]


def auc_parity(ctx: AuditContext, params: AucParams) -> list[Measurement]:
    """ROC AUC per group: its largest difference and smallest ratio.

    Why: a score that ranks people well in one group and poorly in another gives that group
    worse decisions at every threshold; a group with a single class has no AUC and is listed.
    """
    if ctx.scores is None:
        raise NotApplicable(say("note.fairness_scores.no_scores_auc"))
    rng = ctx.rng("fairness.auc_parity")
    out = []
    for grouping in _groupings(ctx, params):
        histogram, _, note = ctx.score_histogram(grouping, params.max_bins)
        boot = auc(resample_tables(histogram, params.n_boot, rng)) if params.n_boot else np.empty((0, grouping.size))
        out += _compare("fairness.auc_parity", "auc", grouping, grouping.counts(), auc(histogram), boot, params, note)
    return out


def _segment_sums(codes: np.ndarray, values: np.ndarray, n_segments: int, n_boot: int, rng) -> tuple[np.ndarray, np.ndarray, list[Message]]:
    """Per-segment column sums of ``values``, and their Poisson-bootstrap resamples (B, segments, k)."""
    point = np.stack([np.bincount(codes, weights=values[:, j], minlength=n_segments) for j in range(values.shape[1])], -1)
    if not n_boot:
        return point, np.empty((0, n_segments, values.shape[1])), []
    rows, note = subsample_said(len(codes), n_boot, rng)
    take = slice(None) if rows is None else rows
    sub_codes, sub_values = codes[take], values[take]
    order = np.argsort(sub_codes, kind="stable")
    present, starts = np.unique(sub_codes[order], return_index=True)
    sums = bootstrap_sums(sub_values[order], n_boot, rng, np.append(starts, len(order)))
    boot = np.zeros((n_boot, n_segments, values.shape[1]))
    boot[:, present] = sums
    return point, boot, parts(note)


def calibration_parity(ctx: AuditContext, params: CalibrationGroupParams) -> list[Measurement]:
    """Expected calibration error (equal-width bins) per group: its largest difference and smallest ratio.

    ``max_ece`` is the largest group ECE. A group's ECE is the size-weighted mean gap between the
    mean score and the share of positives over the score bins of that group.

    Why: a risk score must mean the same risk for everyone; when one group's 0.7 is another
    group's 0.5, decisions at one threshold treat the groups differently.
    """
    if ctx.scores is None:
        raise NotApplicable(say("note.fairness_scores.no_scores_calibration"))
    problem = probability_problem_said(ctx.scores)
    if problem:
        raise NotApplicable(problem)
    k = params.n_bins
    score_bin = np.minimum((ctx.scores * k).astype(np.int64), k - 1)
    values = np.column_stack([np.ones_like(ctx.scores), ctx.scores, ctx.data.y_true.astype(float)])
    rng = ctx.rng("fairness.calibration_parity")
    out = []
    for grouping in _groupings(ctx, params):
        cells = grouping.codes * k + score_bin
        point, boot, note = _segment_sums(cells, values, grouping.size * k, params.n_boot, rng)

        def ece(sums: np.ndarray) -> np.ndarray:
            sums = sums.reshape(*sums.shape[:-2], grouping.size, k, 3)
            gap = np.abs(sums[..., 2] - sums[..., 1]).sum(axis=-1)
            return cm.ratio(gap, sums[..., 0].sum(axis=-1))

        per_group, boot_group = ece(point), (ece(boot) if params.n_boot else np.empty((0, grouping.size)))
        measured = _compare("fairness.calibration_parity", "ece", grouping, grouping.counts(), per_group,
                            boot_group, params, note)
        eligible = [g for g in measured[0].groups if g.n >= params.min_group_size and g.value is not None]
        worst = max(eligible, key=lambda g: g.value, default=None)
        boot_max = np.nanmax(np.where(grouping.counts() >= params.min_group_size, boot_group, np.nan), axis=-1) \
            if params.n_boot and worst is not None else np.empty(0)
        measured.append(
            Measurement(check="fairness.calibration_parity", metric="max_ece", attribute=grouping.attribute,
                        value=worst.value if worst else None, ci=_interval(boot_max, params) if boot_max.size else None,
                        groups=measured[0].groups, excluded_parts=measured[0].excluded_parts,
                        driver_parts=[say("note.fairness_scores.worst_calibrated", group=worst.group, value=f"{worst.value:.3f}")]
                        if worst else [], note_parts=note)
        )
        out += measured
    return out


def regression_parity(ctx: AuditContext, params: GroupParams) -> list[Measurement]:
    """Per-group MAE, RMSE and mean prediction: their largest differences and smallest ratios.

    Why: a model whose errors are larger for one group, or whose predictions are lower for one
    group (a salary, a credit limit), treats that group differently even with a good overall fit.
    """
    if ctx.y_pred is None:
        raise NotApplicable(say("note.fairness_scores.no_predictions"))
    error = ctx.y_pred.astype(float) - ctx.data.y_true
    values = np.column_stack([np.ones_like(error), np.abs(error), error**2, ctx.y_pred.astype(float)])
    rng = ctx.rng("fairness.regression_parity")
    out = []
    for grouping in _groupings(ctx, params):
        point, boot, note = _segment_sums(grouping.codes, values, grouping.size, params.n_boot, rng)

        def metrics(sums: np.ndarray) -> dict[str, np.ndarray]:
            n = sums[..., 0]
            return {
                "mae": cm.ratio(sums[..., 1], n),
                "rmse": np.sqrt(cm.ratio(sums[..., 2], n)),
                "mean_prediction": cm.ratio(sums[..., 3], n),
            }

        at_point, at_boot = metrics(point), metrics(boot)
        for name in ("mae", "rmse", "mean_prediction"):
            boot_values = at_boot[name] if params.n_boot else np.empty((0, grouping.size))
            out += _compare("fairness.regression_parity", name, grouping, grouping.counts(), at_point[name],
                            boot_values, params, note)
    return out


def _metrics(*names: str) -> tuple[str, ...]:
    return tuple(f"{n}_{kind}" for n in names for kind in ("difference", "ratio"))


CHECKS = [
    Check(id="fairness.auc_parity", title="ROC AUC parity", measure=auc_parity, params=AucParams,
          metrics=_metrics("auc"), needs_sensitive=True, remediation=REMEDIATION),
    Check(id="fairness.calibration_parity", title="Calibration parity (ECE per group)", measure=calibration_parity,
          params=CalibrationGroupParams, metrics=(*_metrics("ece"), "max_ece"), needs_sensitive=True,
          remediation=REMEDIATION),
    Check(id="fairness.regression_parity", title="Regression error and outcome parity", measure=regression_parity,
          params=GroupParams, metrics=_metrics("mae", "rmse", "mean_prediction"), tasks=frozenset({"regression"}),
          needs_sensitive=True, remediation=REMEDIATION),
]
