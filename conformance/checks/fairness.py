"""Group fairness checks, all computed from per-group confusion counts.

Every criterion compares a per-group rate across the groups of each sensitive attribute (and
their intersection): the difference ``max − min`` and the ratio ``min / max``, each with a
bootstrap confidence interval; or, with a declared ``reference_group``, the largest distance
from that group's rate. Groups smaller than ``min_group_size``, and groups whose rate is
undefined (a zero denominator), are left out of the comparison and listed, so that a verdict
built without them can never be a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from conformance.checks.base import AuditContext, BootstrapParams, Check, NotApplicable
from conformance.errors import closest
from conformance.messages import parts, say
from conformance.result import GroupValue, Interval, Measurement, Message
from conformance.stats import confusion as cm
from conformance.stats.bootstrap import percentile_interval, resample_tables
from conformance.stats.disparity import adverse_impact, against_reference, difference_and_ratio, impact_ratios
from conformance.stats.groups import JOIN, UNKNOWN, Grouping

MIN_GROUP_SIZE = 30
UNDEFINED = say("note.fairness.undefined")
"""The note of a comparison with fewer than two groups."""


def small_group(n: int, minimum: int) -> Message:
    """Why a group is left out: fewer rows than ``min_group_size``."""
    return say("note.fairness.small_group", n=str(n), min=str(minimum))


def exclusion(group: str, why: Message) -> Message:
    """One entry of ``excluded_groups``: the group and why it is left out."""
    return say("note.fairness.left_out", group=group, why=why)


def range_driver(name: str, low: str, low_value: float, high: str, high_value: float) -> Message:
    """The driver of a disparity: the groups with the lowest and the highest value."""
    return say("note.fairness.driver_range", rate=name, low=low, low_value=f"{low_value:.3f}",
               high=high, high_value=f"{high_value:.3f}")


class GroupParams(BootstrapParams):
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


class FairnessParams(GroupParams):
    reference_group: str | None = Field(
        None,
        description=(
            "Compare every group with this group instead of the highest with the lowest. It applies "
            "to each attribute that has a group of this label; the others are compared highest to "
            "lowest, with a note."
        ),
    )


class LL144Params(GroupParams):
    min_group_size: int = Field(
        1,
        ge=1,
        description=(
            "Keep 1: the rules (6 RCNY § 5-301) give every category at or above 2% of the data an impact ratio "
            "however few rows it has; small categories are set aside only by exclude_below_share."
        ),
    )
    use_scores: bool = Field(
        False, description="Use scoring rates (share above the full sample's median score) instead of selection rates."
    )
    exclude_below_share: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="Leave out of the impact ratios the categories with a smaller share of the rows (LL144 allows 0.02).",
    )


# --- one rate compared across the groups of one grouping ------------------------------------


@dataclass(frozen=True)
class _Counts:
    """One grouping's confusion counts and their bootstrap resamples (empty when ``n_boot`` is 0)."""

    grouping: Grouping
    table: np.ndarray  # (groups, 4)
    resampled: np.ndarray  # (n_boot, groups, 4)

    @classmethod
    def of(cls, ctx: AuditContext, grouping: Grouping, y_pred: np.ndarray, n_boot: int, rng: np.random.Generator) -> _Counts:
        table = ctx.confusion_table(grouping, y_pred)
        return cls(grouping, table, resample_tables(table, n_boot, rng))

    @property
    def sizes(self) -> np.ndarray:
        return self.table.sum(axis=1)


@dataclass(frozen=True)
class _Disparity:
    """What a comparison of one rate across groups reports: the values, the groups, the gaps."""

    difference: float
    ratio: float
    boot_difference: np.ndarray
    boot_ratio: np.ndarray
    compared: np.ndarray  # per-group rate, NaN for the groups left out
    boot_compared: np.ndarray
    groups: list[GroupValue]
    reasons: list[tuple[Message, bool]]  # (group: why it was left out, whether because the rate is undefined)
    driver: Message | None
    note: Message | None

    @property
    def excluded(self) -> list[Message]:
        return [text for text, _ in self.reasons]

    def tagged(self, name: str) -> list[Message]:
        """Exclusions, with the rate named where it is the rate that is undefined."""
        return [say("note.fairness.left_out_rate", excluded=text, rate=name) if undefined else text
                for text, undefined in self.reasons]


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _interval(samples: np.ndarray, params: BootstrapParams) -> Interval | None:
    if not params.n_boot or not np.asarray(samples).size:
        return None
    low, high = percentile_interval(samples, params.ci_level)
    return Interval(low=low, high=high, level=params.ci_level)


def _group_values(labels: tuple[str, ...], sizes: np.ndarray, point: np.ndarray, boot: np.ndarray, params: BootstrapParams) -> list[GroupValue]:
    return [
        GroupValue(group=label, n=int(sizes[i]), value=_finite(point[i]), ci=_interval(boot[:, i], params))
        for i, label in enumerate(labels)
    ]


def _driver(labels: tuple[str, ...], rates: np.ndarray, name: str, reference: int | None) -> Message | None:
    if np.isfinite(rates).sum() < 2:
        return None
    low, high = int(np.nanargmin(rates)), int(np.nanargmax(rates))
    if reference is None or not np.isfinite(rates[reference]):
        return range_driver(name, labels[low], rates[low], labels[high], rates[high])
    far = max((low, high), key=lambda i: abs(rates[i] - rates[reference]))
    return say("note.fairness.driver_reference", reference=labels[reference], rate=name, value=f"{rates[reference]:.3f}",
               far=labels[far], far_value=f"{rates[far]:.3f}")


def _compare(
    counts: _Counts,
    rate: cm.Rate,
    name: str,
    params: GroupParams,
    *,
    reference: int | None = None,
    one_sided: bool = False,
    left_out: dict[int, Message] | None = None,
    ignored: frozenset[int] = frozenset(),
) -> _Disparity:
    """Compare one rate across groups.

    Symmetric (``one_sided=False``): ``max − min`` and ``min / max``, or with a reference the
    largest distance from the reference's rate. One-sided: the shortfall of the lowest rate below
    the top (the reference's, or the highest) and the smallest impact ratio; the per-group values
    are then impact ratios rather than rates. ``left_out`` are further groups to leave out, with
    their reason; ``ignored`` groups are left out without one (the caller reports them).
    """
    labels, sizes = counts.grouping.labels, counts.sizes
    point, boot = rate(counts.table), rate(counts.resampled)
    why: dict[int, tuple[Message, bool]] = {i: (text, False) for i, text in (left_out or {}).items()}
    for i in range(len(labels)):
        if i in why or i in ignored:
            continue
        if sizes[i] < params.min_group_size:
            why[i] = (small_group(int(sizes[i]), params.min_group_size), False)
        elif not np.isfinite(point[i]):
            why[i] = (say("note.fairness.rate_undefined"), True)
    eligible = np.array([i not in why and i not in ignored for i in range(len(labels))], dtype=bool)
    compared = np.where(eligible, point, np.nan)
    boot_compared = np.where(eligible, boot, np.nan)

    if one_sided:
        difference, ratio = adverse_impact(compared, reference)
        boot_difference, boot_ratio = adverse_impact(boot_compared, reference)
        top, boot_top = impact_ratios(compared, reference)[1], impact_ratios(boot_compared, reference)[1]
        shown, boot_shown = cm.ratio(point, top), cm.ratio(boot, boot_top[:, None])
    elif reference is not None:
        difference, ratio = against_reference(compared, reference)
        boot_difference, boot_ratio = against_reference(boot_compared, reference)
        shown, boot_shown = point, boot
    else:
        difference, ratio = difference_and_ratio(compared)
        boot_difference, boot_ratio = difference_and_ratio(boot_compared)
        shown, boot_shown = point, boot

    note = None
    if not np.isfinite(difference):
        if reference is not None and reference in why:
            note = say("note.fairness.reference_left_out", group=labels[reference], why=why[reference][0])
        else:
            note = UNDEFINED
    return _Disparity(
        difference=float(difference),
        ratio=float(ratio),
        boot_difference=boot_difference,
        boot_ratio=boot_ratio,
        compared=compared,
        boot_compared=boot_compared,
        groups=_group_values(labels, sizes, shown, boot_shown, params),
        reasons=[(exclusion(labels[i], text), undefined) for i, (text, undefined) in sorted(why.items())],
        driver=_driver(labels, compared, name, reference),
        note=note,
    )


# --- from comparisons to measurements -------------------------------------------------------


def _measurement(
    check_id: str, metric: str, attribute: str, value: float, boot: np.ndarray, params: BootstrapParams, **fields
) -> Measurement:
    return Measurement(
        check=check_id, metric=metric, attribute=attribute, value=_finite(value), ci=_interval(boot, params), **fields
    )


def _per_rate(check_id: str, attribute: str, name: str, d: _Disparity, params: BootstrapParams, note: Message | None) -> list[Measurement]:
    """``<rate>_difference`` and ``<rate>_ratio`` of one rate, with its per-group values."""
    shared = dict(groups=d.groups, excluded_parts=d.excluded, driver_parts=parts(d.driver), note_parts=parts(d.note, note))
    return [
        _measurement(check_id, f"{name}_difference", attribute, d.difference, d.boot_difference, params, **shared),
        _measurement(check_id, f"{name}_ratio", attribute, d.ratio, d.boot_ratio, params, **shared),
    ]


def _unique(messages: list[Message]) -> list[Message]:
    """The messages without repeats, in their order."""
    return list({m.model_dump_json(): m for m in messages}.values())


def _worst(check_id: str, attribute: str, found: dict[str, _Disparity], params: BootstrapParams, note: Message | None) -> list[Measurement]:
    """The criterion: the worst case over its rates (largest difference, smallest ratio), per resample too."""
    compared = list(found.values())
    single = len(compared) == 1
    excluded = compared[0].excluded if single else [t for name, d in found.items() for t in d.tagged(name)]
    shared = dict(
        groups=compared[0].groups if single else [],
        excluded_parts=_unique(excluded),
        driver_parts=parts(*(d.driver for d in compared)),
    )
    undefined = next((d.note for d in compared if d.note), UNDEFINED)
    out = []
    for metric, worst, values, boots in (
        ("difference", np.max, [d.difference for d in compared], [d.boot_difference for d in compared]),
        ("ratio", np.min, [d.ratio for d in compared], [d.boot_ratio for d in compared]),
    ):
        value = float(worst(values))
        boot = worst(boots, axis=0)
        out.append(
            _measurement(check_id, metric, attribute, value, boot, params,
                         note_parts=parts(None if np.isfinite(value) else undefined, note), **shared)
        )
    return out


def _groupings(ctx: AuditContext, params: GroupParams) -> list[Grouping]:
    if not ctx.data.sensitive:
        raise NotApplicable(say("note.fairness.no_sensitive"))
    return ctx.groupings(params.intersections)


def _hint(name: str, labels: list[str], same: str | None) -> Message:
    """The closest group label to a misspelt one, or the labels to choose from (as ``errors.did_you_mean``)."""
    choices = sorted(set(labels))
    best = same or closest(name, choices)
    if best is not None:
        return say("note.fairness.did_you_mean", label=best)
    if not choices:
        return say("note.fairness.nothing_to_choose")
    return say("note.fairness.valid_names", names=", ".join(choices[:12]) + (", …" if len(choices) > 12 else ""))


def _references(groupings: list[Grouping], reference: str | None) -> list[int | None]:
    """The reference group's index in each grouping (None where it has no such group)."""
    if reference is None:
        return [None] * len(groupings)
    found = [g.labels.index(reference) if reference in g.labels else None for g in groupings]
    if all(i is None for i in found):
        attributes = ", ".join(f"'{g.attribute}'" for g in groupings)
        labels = [label for g in groupings for label in g.labels]
        same = [label for label in labels if label.casefold() == reference.casefold()]
        raise NotApplicable(say("note.fairness.reference_unknown", reference=reference, attributes=attributes,
                                hint=_hint(reference, labels, same[0] if same else None)))
    return found


def _disparities(
    ctx: AuditContext,
    params: FairnessParams,
    check_id: str,
    rates: dict[str, cm.Rate],
    *,
    criterion: bool = True,
    one_sided: bool = False,
) -> list[Measurement]:
    """Per attribute: each rate's difference and ratio, and (``criterion``) the worst case across rates.

    A single-rate criterion reports only ``difference`` and ``ratio``, with the per-group values;
    a criterion of several rates also reports ``<rate>_difference`` and ``<rate>_ratio``.
    """
    y_pred = ctx.require_predictions()
    groupings = _groupings(ctx, params)
    references = _references(groupings, params.reference_group)
    rng = ctx.rng(check_id)
    out: list[Measurement] = []
    for grouping, reference in zip(groupings, references):
        counts = _Counts.of(ctx, grouping, y_pred, params.n_boot, rng)
        note = None
        if params.reference_group is not None and reference is None:
            note = say("note.fairness.reference_absent", reference=params.reference_group, attribute=grouping.attribute)
        found = {
            name: _compare(counts, rate, name, params, reference=reference, one_sided=one_sided)
            for name, rate in rates.items()
        }
        if not criterion or len(found) > 1:
            for name, d in found.items():
                out += _per_rate(check_id, grouping.attribute, name, d, params, note)
        if criterion:
            out += _worst(check_id, grouping.attribute, found, params, note)
    return out


# --- the checks -----------------------------------------------------------------------------


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


def equal_opportunity(ctx: AuditContext, params: FairnessParams) -> list[Measurement]:
    """True-positive rate (recall) per group: its largest difference and smallest ratio.

    Why: among the people who merit the favourable outcome, each group should receive it equally
    often; a lower TPR means qualified members of a group are turned away more. A group with no
    actual positives has an undefined TPR and is left out of the comparison, and listed.
    """
    return _disparities(ctx, params, "fairness.equal_opportunity", {"tpr": cm.true_positive_rate})


def predictive_parity(ctx: AuditContext, params: FairnessParams) -> list[Measurement]:
    """Precision (positive predictive value) per group: its largest difference and smallest ratio.

    Why: a positive decision should mean the same for everyone; when precision differs, a
    favourable prediction is worth less evidence for one group than another. It generally cannot
    hold together with equalized odds when base rates differ, so profiles choose between them.
    """
    return _disparities(ctx, params, "fairness.predictive_parity", {"ppv": cm.precision})


def accuracy_parity(ctx: AuditContext, params: FairnessParams) -> list[Measurement]:
    """Accuracy per group: its largest difference and smallest ratio.

    Why: a model that is right less often for one group serves that group worse, whatever the
    direction of its errors; it is the plainest quality-of-service disparity.
    """
    return _disparities(ctx, params, "fairness.accuracy_parity", {"accuracy": cm.accuracy})


def fpr_parity(ctx: AuditContext, params: FairnessParams) -> list[Measurement]:
    """False-positive rate per group: its largest difference and smallest ratio.

    Why: where a positive decision is a burden (a fraud flag, a risk score), the people wrongly
    flagged should not come disproportionately from one group. A group with no actual negatives
    has an undefined FPR and is left out of the comparison, and listed.
    """
    return _disparities(ctx, params, "fairness.fpr_parity", {"fpr": cm.false_positive_rate})


def disparate_impact(ctx: AuditContext, params: FairnessParams) -> list[Measurement]:
    """Each group's selection rate over the most-selected group's (the four-fifths rule).

    ``ratio`` is the smallest impact ratio (the least-selected group's rate over the highest, or
    over the ``reference_group``'s); ``difference`` is the shortfall of the lowest rate below that
    top rate. The per-group values are impact ratios. It is one-sided: a group selected more often
    than the reference is no adverse impact, so with a reference the ratio is at most 1.

    Why: US employment practice (29 CFR 1607.4(D)) reads a selection rate below four-fifths of
    the highest as evidence of adverse impact.
    """
    return _disparities(
        ctx, params, "fairness.disparate_impact", {"selection_rate": cm.selection_rate}, one_sided=True
    )


def group_rates(ctx: AuditContext, params: FairnessParams) -> list[Measurement]:
    """The per-group table: n, share, base rate, selection rate, TPR, FPR, FNR, TNR, PPV, NPV, accuracy.

    For each rate, ``<rate>_difference`` (``max − min``) and ``<rate>_ratio`` (``min / max``) with
    the per-group values and their confidence intervals; ``min_share`` is the smallest group's
    share of the rows, with every group's share. An undefined rate is reported as undefined.

    Why: the named criteria each look at one rate; the full table shows where a model treats
    groups differently, and which groups are too thin in the data to judge.
    """
    check_id = "fairness.group_rates"
    out = _disparities(ctx, params, check_id, cm.RATES, criterion=False)
    rng = ctx.rng(f"{check_id}.share")
    for grouping in _groupings(ctx, params):
        sizes = grouping.counts()
        boot = resample_tables(sizes, params.n_boot, rng)
        share, boot_share = cm.ratio(sizes, sizes.sum()), cm.ratio(boot, boot.sum(axis=-1, keepdims=True))
        smallest = int(np.argmin(share))
        out.append(
            _measurement(
                check_id, "min_share", grouping.attribute, share[smallest], boot_share.min(axis=-1), params,
                groups=_group_values(grouping.labels, sizes, share, boot_share, params),
                driver_parts=[say("note.fairness.smallest_group", group=grouping.labels[smallest], n=str(int(sizes[smallest])))],
            )
        )
    return out


def _is_unknown(label: str) -> bool:
    return UNKNOWN in label.split(JOIN)


def ll144_impact_ratio(ctx: AuditContext, params: LL144Params) -> list[Measurement]:
    """NYC Local Law 144 bias audit: each category's selection (or scoring) rate over the highest.

    For binary outputs the rate is the selection rate; with ``use_scores`` it is the scoring rate,
    the share of the category scoring above the full sample's median score. ``min_impact_ratio``
    is the smallest impact ratio, with every category's impact ratio; ``highest_rate`` is the top
    category's rate, with every category's rate. Categories of sex, race/ethnicity and their
    intersection are compared separately. Rows in an "unknown" category are left out of the
    ratios and counted in the note; categories under ``exclude_below_share`` of the rows are set
    aside (``permitted_exclusions``, the rules allow 2%), their counts and rates still in the
    groups; every other category gets a ratio however few rows it has (``min_group_size`` 1).

    Why: NYC employers using an automated employment decision tool must publish these impact
    ratios from an independent bias audit (6 RCNY § 5-301).
    """
    check_id = "fairness.ll144_impact_ratio"
    median = None
    if params.use_scores:
        if ctx.scores is None:
            raise NotApplicable(say("note.fairness.no_scores"))
        median = float(np.median(ctx.scores))
        outputs = (ctx.scores > median).astype(np.int8)
    else:
        outputs = ctx.require_predictions()
    name = "scoring_rate" if params.use_scores else "selection_rate"
    rng = ctx.rng(check_id)
    out: list[Measurement] = []
    for grouping in _groupings(ctx, params):
        counts = _Counts.of(ctx, grouping, outputs, params.n_boot, rng)
        sizes, total = counts.sizes, int(counts.sizes.sum())
        unknown = frozenset(i for i, label in enumerate(grouping.labels) if _is_unknown(label))
        small_share = {
            i: say("note.fairness.small_share", share=f"{sizes[i] / total:.2%}", min=f"{params.exclude_below_share:.2%}")
            for i in range(grouping.size)
            if i not in unknown and sizes[i] / total < params.exclude_below_share
        }
        d = _compare(counts, cm.selection_rate, name, params, one_sided=True, left_out=small_share, ignored=unknown)
        n_unknown = int(sum(sizes[i] for i in unknown))
        note = parts(
            d.note if not np.isfinite(d.ratio) else None,
            say("note.fairness.unknown_left_out", n=str(n_unknown), share=f"{n_unknown / total:.2%}"),
            None if median is None else say("note.fairness.scoring_rate", median=f"{median:.6g}"),
            ctx.stats.sample_said if median is not None and ctx.stats is not None and ctx.stats.sampled else None,
        )
        top = impact_ratios(d.compared)[1]
        boot_top = impact_ratios(d.boot_compared)[1]
        rates = cm.selection_rate(counts.table)
        permitted = [exclusion(grouping.labels[i], text) for i, text in sorted(small_share.items())]
        excluded = [e for e in d.excluded if e not in permitted]
        shared = dict(excluded_parts=excluded, permitted_parts=permitted,
                      driver_parts=parts(d.driver), note_parts=note)
        out += [
            _measurement(check_id, "min_impact_ratio", grouping.attribute, d.ratio, d.boot_ratio, params,
                         groups=d.groups, **shared),
            _measurement(check_id, "highest_rate", grouping.attribute, float(top), boot_top, params,
                         groups=_group_values(grouping.labels, sizes, rates, cm.selection_rate(counts.resampled), params),
                         **shared),
        ]
    return out


REMEDIATION = (
    "Look at the driving groups in the per-group table; examine the training data for under-"
    "representation and label bias, remove proxies of the sensitive attribute, or apply a "
    "mitigation (reweighing, constrained training, group-aware thresholds) and re-audit."
)


def _criterion(id: str, title: str, measure, metrics: tuple[str, ...] = ("difference", "ratio"), params=FairnessParams) -> Check:
    return Check(id=id, title=title, measure=measure, params=params, metrics=metrics, needs_sensitive=True, remediation=REMEDIATION)


CHECKS = [
    _criterion("fairness.demographic_parity", "Demographic parity (selection rate)", demographic_parity),
    _criterion(
        "fairness.equalized_odds",
        "Equalized odds (TPR and FPR)",
        equalized_odds,
        ("difference", "ratio", "tpr_difference", "tpr_ratio", "fpr_difference", "fpr_ratio"),
    ),
    _criterion("fairness.equal_opportunity", "Equal opportunity (true-positive rate)", equal_opportunity),
    _criterion("fairness.predictive_parity", "Predictive parity (precision)", predictive_parity),
    _criterion("fairness.accuracy_parity", "Accuracy parity", accuracy_parity),
    _criterion("fairness.fpr_parity", "False-positive-rate parity", fpr_parity),
    _criterion("fairness.disparate_impact", "Disparate impact (four-fifths rule)", disparate_impact),
    _criterion(
        "fairness.group_rates",
        "Per-group rates",
        group_rates,
        (*(f"{name}_{kind}" for name in cm.RATES for kind in ("difference", "ratio")), "min_share"),
    ),
    _criterion(
        "fairness.ll144_impact_ratio",
        "NYC Local Law 144 impact ratios",
        ll144_impact_ratio,
        ("min_impact_ratio", "highest_rate"),
        LL144Params,
    ),
]
