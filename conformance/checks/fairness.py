"""Group fairness checks, all computed from per-group confusion counts.

Every criterion compares a per-group rate across the groups of each sensitive attribute (and
their intersection): the difference ``max − min`` and the ratio ``min / max``, each with a
bootstrap confidence interval. Groups smaller than ``min_group_size`` are left out of the
comparison and listed, so that a verdict built on them can never be a pass.
"""

from __future__ import annotations


import numpy as np
from pydantic import Field

from conformance.checks.base import AuditContext, BootstrapParams, Check, NotApplicable
from conformance.result import GroupValue, Interval, Measurement
from conformance.stats import confusion as cm
from conformance.stats.bootstrap import percentile_interval, resample_tables
from conformance.stats.disparity import difference_and_ratio
from conformance.stats.groups import Grouping

MIN_GROUP_SIZE = 30


class FairnessParams(BootstrapParams):
    min_group_size: int = Field(
        MIN_GROUP_SIZE,
        ge=1,
        description=(
            "Groups with fewer rows are left out of disparities and make a pass impossible. "
            "At 30 rows the standard error of a rate near 0.5 is about 0.09, already as wide "
            "as common fairness tolerances."
        ),
    )
    intersections: bool = Field(True, description="Also compare the intersection of all sensitive attributes.")


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _interval(samples: np.ndarray, params: BootstrapParams) -> Interval | None:
    if not params.n_boot:
        return None
    low, high = percentile_interval(samples, params.ci_level)
    return Interval(low=low, high=high, level=params.ci_level)


class _Comparison:
    """One grouping's count table, its resamples, and which groups are eligible for comparison."""

    def __init__(self, ctx: AuditContext, grouping: Grouping, params: FairnessParams, rng: np.random.Generator):
        self.grouping = grouping
        self.params = params
        self.table = cm.confusion_table(grouping.codes, grouping.size, ctx.data.y_true, ctx.require_predictions())
        self.resampled = resample_tables(self.table, params.n_boot, rng)
        self.sizes = self.table.sum(axis=1)

    def rates(self, rate: cm.Rate) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Point rates per group, resampled rates with ineligible groups masked, and exclusions."""
        point = rate(self.table)
        eligible = self.sizes >= self.params.min_group_size
        excluded = []
        for index, label in enumerate(self.grouping.labels):
            if not eligible[index]:
                excluded.append(f"{label}: n={int(self.sizes[index])} < min_group_size {self.params.min_group_size}")
            elif not np.isfinite(point[index]):
                excluded.append(f"{label}: rate undefined (zero denominator)")
        mask = eligible & np.isfinite(point)
        masked_point = np.where(mask, point, np.nan)
        masked_resampled = np.where(mask, rate(self.resampled), np.nan) if self.resampled.size else self.resampled
        return masked_point, masked_resampled, excluded

    def group_values(self, rate: cm.Rate) -> list[GroupValue]:
        point = rate(self.table)
        resampled = rate(self.resampled) if self.resampled.size else None
        return [
            GroupValue(
                group=label,
                n=int(self.sizes[i]),
                value=_finite(point[i]),
                ci=_interval(resampled[:, i], self.params) if resampled is not None else None,
            )
            for i, label in enumerate(self.grouping.labels)
        ]

    def driver(self, point: np.ndarray, rate_name: str) -> str | None:
        if np.isfinite(point).sum() < 2:
            return None
        low, high = int(np.nanargmin(point)), int(np.nanargmax(point))
        labels = self.grouping.labels
        return (
            f"lowest {rate_name}: {labels[low]} ({point[low]:.3f}); "
            f"highest: {labels[high]} ({point[high]:.3f})"
        )




def _disparities(
    ctx: AuditContext,
    params: FairnessParams,
    check_id: str,
    rates: dict[str, cm.Rate],
) -> list[Measurement]:
    """Per attribute: difference and ratio of each rate, plus the worst case across rates."""
    ctx.require_predictions()
    if not ctx.data.sensitive:
        raise NotApplicable("no sensitive attribute given (--sensitive COLUMN)")
    rng = ctx.rng(check_id)
    out: list[Measurement] = []
    for grouping in ctx.groupings(params.intersections):
        comparison = _Comparison(ctx, grouping, params, rng)
        differences, ratios, excluded_all, drivers = [], [], [], []
        for name, rate in rates.items():
            point, resampled, excluded = comparison.rates(rate)
            diff, rat = difference_and_ratio(point)
            diff_b, rat_b = difference_and_ratio(resampled) if resampled.size else (np.empty(0), np.empty(0))
            differences.append((diff, diff_b))
            ratios.append((rat, rat_b))
            excluded_all.extend(e if "undefined" not in e or len(rates) == 1 else f"{e} [{name}]" for e in excluded)
            driver = comparison.driver(point, name)
            drivers.append(driver)
            groups = comparison.group_values(rate)
            if len(rates) > 1:
                for metric, (v, b) in ((f"{name}_difference", (diff, diff_b)), (f"{name}_ratio", (rat, rat_b))):
                    out.append(
                        Measurement(
                            check=check_id, metric=metric, attribute=grouping.attribute,
                            value=_finite(v), ci=_interval(b, params), groups=groups,
                            excluded_groups=excluded, driver=driver,
                            note=None if np.isfinite(v) else "undefined: fewer than two groups can be compared",
                        )
                    )
        # the criterion: worst case over its rates (largest difference, smallest ratio)
        worst_diff = np.max([d for d, _ in differences], axis=0)
        worst_ratio = np.min([r for r, _ in ratios], axis=0)
        diff_b = np.max([b for _, b in differences], axis=0) if params.n_boot else np.empty(0)
        ratio_b = np.min([b for _, b in ratios], axis=0) if params.n_boot else np.empty(0)
        first = next(iter(rates.values()))
        groups = comparison.group_values(first) if len(rates) == 1 else []
        driver = "; ".join(d for d in drivers if d) or None
        for metric, v, b in (("difference", worst_diff, diff_b), ("ratio", worst_ratio, ratio_b)):
            out.append(
                Measurement(
                    check=check_id, metric=metric, attribute=grouping.attribute,
                    value=_finite(v), ci=_interval(b, params), groups=groups,
                    excluded_groups=list(dict.fromkeys(excluded_all)), driver=driver,
                    note=None if np.isfinite(v) else "undefined: fewer than two groups can be compared",
                )
            )
    return out


def demographic_parity(ctx: AuditContext, params: FairnessParams) -> list[Measurement]:
    """Selection rate (share of positive decisions) per group: its largest difference and smallest ratio.

    Why: groups that receive favourable decisions at very different rates are the first sign of
    disparate impact; the ratio is the quantity of the four-fifths rule.
    """
    return _disparities(ctx, params, "fairness.demographic_parity", {"selection_rate": cm.selection_rate})


def equalized_odds(ctx: AuditContext, params: FairnessParams) -> list[Measurement]:
    """True- and false-positive rates per group: the worse of their differences and ratios.

    Why: a model can select groups at equal rates yet be right about one group far more often;
    equalized odds asks that qualified and unqualified people fare alike across groups.
    """
    return _disparities(
        ctx, params, "fairness.equalized_odds", {"tpr": cm.true_positive_rate, "fpr": cm.false_positive_rate}
    )


REMEDIATION = (
    "Look at the driving groups in the per-group table; examine the training data for under-"
    "representation and label bias, remove proxies of the sensitive attribute, or apply a "
    "mitigation (reweighing, constrained training, group-aware thresholds) and re-audit."
)

CHECKS = [
    Check(
        id="fairness.demographic_parity",
        title="Demographic parity (selection rate)",
        measure=demographic_parity,
        params=FairnessParams,
        metrics=("difference", "ratio"),
        needs_sensitive=True,
        remediation=REMEDIATION,
    ),
    Check(
        id="fairness.equalized_odds",
        title="Equalized odds (TPR and FPR)",
        measure=equalized_odds,
        params=FairnessParams,
        metrics=("difference", "ratio", "tpr_difference", "tpr_ratio", "fpr_difference", "fpr_ratio"),
        needs_sensitive=True,
        remediation=REMEDIATION,
    ),
]
