"""Data-quality checks: what the evaluation data itself says, before any model is involved.

These checks read only the data and its roles (target, sensitive attributes, features). They
report the names of columns and groups, counts and shares, never the values of a row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from conformance.checks.base import AuditContext, BootstrapParams, Check, CheckParams, NotApplicable
from conformance.errors import DataError, did_you_mean
from conformance.messages import parts, say
from conformance.result import GroupValue, Interval, Measurement, Message
from conformance.stats.bootstrap import percentile_interval, resample_tables
from conformance.stats.groups import JOIN, UNKNOWN, Grouping
from conformance.stats.scores import auc, label_histogram, score_bins


def _audited_columns(ctx: AuditContext) -> list[str]:
    """Features, target and sensitive attributes, in the frame's order (not prediction or score columns)."""
    wanted = {*ctx.data.features, ctx.data.target, *ctx.data.sensitive}
    return [c for c in ctx.data.frame.columns if c in wanted]


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


class ColumnsParams(CheckParams):
    ignore_columns: tuple[str, ...] = Field(
        (), description="Columns left out (row ids, timestamps of collection); features, target and sensitive attributes otherwise."
    )


def _columns(ctx: AuditContext, params: ColumnsParams) -> list[str]:
    columns = _audited_columns(ctx)
    for column in params.ignore_columns:
        if column not in ctx.data.frame.columns:
            raise DataError(
                f"column '{column}' (in ignore_columns) is not in the data",
                did_you_mean(column, map(str, ctx.data.frame.columns)),
            )
    return [c for c in columns if c not in params.ignore_columns]


def completeness(ctx: AuditContext, params: ColumnsParams) -> list[Measurement]:
    """Share of missing values in each column: the largest, and the share of all cells.

    Why: data used to test a system must be complete enough for its purpose; a column that is
    often missing, or missing more for some people than others, weakens every measurement that
    relies on it (the imputation the model does is then part of what is audited).
    """
    columns = _columns(ctx, params)
    if not columns:
        raise NotApplicable(say("note.data_quality.no_columns"))
    missing = ctx.data.frame[columns].isna().sum()
    rows = ctx.data.rows
    groups = [GroupValue(group=str(c), n=int(missing[c]), value=_share(int(missing[c]), rows)) for c in columns]
    worst = str(missing.idxmax())
    driver = parts(say("note.data_quality.most_missing", column=worst, share=f"{missing[worst] / rows:.3f}") if missing[worst] else None)
    return [
        Measurement(check="data.completeness", metric="max_missing_rate", value=float(missing.max() / rows), groups=groups,
                    driver_parts=driver),
        Measurement(check="data.completeness", metric="missing_cell_rate", value=float(missing.sum() / (rows * len(columns)))),
    ]


class MissingnessParams(BootstrapParams):
    ignore_columns: tuple[str, ...] = Field(
        (), description="Columns left out (row ids, timestamps of collection); features and target otherwise."
    )
    min_group_size: int = Field(30, ge=1, description="Groups with fewer rows are left out of the gaps, and listed.")
    intersections: bool = Field(False, description="Also compare the intersection of all sensitive attributes.")


def missingness_by_group(ctx: AuditContext, params: MissingnessParams) -> list[Measurement]:
    """Whether values are missing more often for some groups: per column, the gap between groups' missing rates.

    For each sensitive attribute and each audited column (features and target, not the
    attribute itself), the missing rate of every group; ``max_missing_gap`` is the largest
    ``max − min`` over the columns, with a bootstrap interval of that largest gap (count tables
    resampled per column, the worst column taken in each resample). Its groups are the columns
    with their gaps. Groups under ``min_group_size`` and the 'unknown' group are left out, and
    listed.

    Why: a column missing mostly for one group means the model sees less of those people (or
    sees its imputation instead), and every measurement relying on it is weaker for them; the
    share of missing values alone cannot show this.
    """
    if not ctx.data.sensitive:
        raise NotApplicable(say("note.data_quality.no_sensitive"))
    base = _columns(ctx, ColumnsParams(ignore_columns=params.ignore_columns))
    rng = ctx.rng("data.missingness_by_group")
    frame = ctx.data.frame
    out = []
    for grouping in ctx.groupings(params.intersections):
        columns = [c for c in base if c not in grouping.attribute.split(JOIN)]
        if not columns:
            continue
        sizes = np.bincount(grouping.codes, minlength=grouping.size)
        eligible = np.array([UNKNOWN not in _parts(grouping, label) and sizes[i] >= params.min_group_size
                             for i, label in enumerate(grouping.labels)])
        excluded = [_left_out(label, say("note.data_quality.attribute_missing") if UNKNOWN in _parts(grouping, label)
                              else say("note.data_quality.small_group", n=str(int(sizes[i])), min=str(params.min_group_size)))
                    for i, label in enumerate(grouping.labels) if not eligible[i] and sizes[i]]
        missing = frame[columns].isna().to_numpy()
        per_group = np.stack([np.bincount(grouping.codes, weights=missing[:, j], minlength=grouping.size)
                              for j in range(len(columns))])  # (columns, groups)
        gaps, boots = [], []
        for j in range(len(columns)):
            table = np.stack([per_group[j], sizes - per_group[j]], axis=1)[eligible]  # (groups, 2): missing, present
            gaps.append(_gap(table))
            boots.append(_gap(resample_tables(table, params.n_boot, rng)) if params.n_boot else np.zeros(0))
        values = np.array(gaps, dtype=float)
        if eligible.sum() < 2 or not np.isfinite(values).any():
            out.append(Measurement(check="data.missingness_by_group", metric="max_missing_gap", attribute=grouping.attribute,
                                   value=None, excluded_parts=excluded, note_parts=[say("note.data_quality.undefined")]))
            continue
        worst = int(np.nanargmax(values))
        ci = None
        if params.n_boot:
            low, high = percentile_interval(np.nanmax(np.stack(boots), axis=0), params.ci_level)
            ci = Interval(low=low, high=high, level=params.ci_level)
        rates = per_group[worst] / np.where(sizes > 0, sizes, 1)
        shown = [i for i in range(grouping.size) if eligible[i]]
        low_i, high_i = min(shown, key=lambda i: rates[i]), max(shown, key=lambda i: rates[i])
        driver = say("note.data_quality.missing_gap", column=columns[worst], high_rate=f"{rates[high_i]:.3f}",
                     high=grouping.labels[high_i], low_rate=f"{rates[low_i]:.3f}", low=grouping.labels[low_i]) \
            if values[worst] > 0 else None
        out.append(Measurement(
            check="data.missingness_by_group", metric="max_missing_gap", attribute=grouping.attribute,
            value=float(values[worst]), ci=ci, excluded_parts=excluded, driver_parts=parts(driver),
            groups=[GroupValue(group=str(c), n=int(per_group[j][eligible].sum()), value=float(values[j]))
                    for j, c in enumerate(columns)],
        ))
    return out


def _left_out(group: str, why: Message) -> Message:
    """One entry of ``excluded_groups``: the group and why it is left out."""
    return say("note.data_quality.left_out", group=group, why=why)


def _gap(tables: np.ndarray) -> np.ndarray | float:
    """``max − min`` missing rate over the groups of a (…, groups, 2) table of missing and present counts."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = tables[..., 0] / tables.sum(axis=-1)
    if rates.shape[-1] < 2:
        return np.full(rates.shape[:-1], np.nan) if rates.ndim > 1 else float("nan")
    return np.nanmax(rates, axis=-1) - np.nanmin(rates, axis=-1)


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row (equal rows, equal hashes; missing values compare equal)."""
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def duplicates(ctx: AuditContext, params: ColumnsParams) -> list[Measurement]:
    """Rows that repeat an earlier row exactly, and rows whose features repeat with a different target.

    ``duplicate_rows`` counts the copies beyond the first; ``duplicate_rate`` is their share of
    all rows. ``conflicting_label_rows`` counts rows whose feature values occur again with
    another target value. Rows are compared on their features, target and sensitive
    attributes (64-bit row hashes).

    Why: duplicates weigh some cases more than the population does and, when they cross a
    train–test split, inflate measured performance; identical inputs with different labels
    point at label noise or missing features.
    """
    columns = _columns(ctx, params)
    frame = ctx.data.frame
    rows = ctx.data.rows
    repeated = pd.Series(_row_hashes(frame[columns])).duplicated()
    count = int(repeated.sum())
    out = [
        Measurement(check="data.duplicates", metric="duplicate_rows", value=float(count)),
        Measurement(check="data.duplicates", metric="duplicate_rate", value=count / rows),
    ]
    features = [c for c in columns if c != ctx.data.target]
    if features:
        both = pd.DataFrame({"x": _row_hashes(frame[features]), "y": _row_hashes(frame[[ctx.data.target]])})
        conflicting = int((both.groupby("x")["y"].transform("nunique") > 1).sum())
        out.append(Measurement(check="data.duplicates", metric="conflicting_label_rows", value=float(conflicting)))
    return out


def label_balance(ctx: AuditContext, params: CheckParams) -> list[Measurement]:
    """Share of the rarer of the two classes of the target (0.5: balanced, 0: a single class).

    Why: with few examples of one class, every measurement of errors on that class is
    uncertain, accuracy is dominated by the majority class, and a model may simply ignore the
    minority.
    """
    y = ctx.data.y_true
    rows = ctx.data.rows
    positives = int(y.sum())
    negatives = rows - positives
    positive = str(ctx.data.positive_label)
    groups = [
        GroupValue(group=f"{positive} (positive)", n=positives, value=positives / rows),
        GroupValue(group="other (negative)", n=negatives, value=negatives / rows),
    ]
    note = parts(say("note.data_quality.single_class") if 0 in (positives, negatives) else None)
    return [
        Measurement(
            check="data.label_balance", metric="minority_share", value=min(positives, negatives) / rows,
            groups=groups, note_parts=note,
        ),
        Measurement(check="data.label_balance", metric="positive_rate", value=positives / rows),
    ]


class RepresentationParams(CheckParams):
    intersections: bool = Field(True, description="Also count the intersection of all sensitive attributes.")
    target_population: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description=(
            "Share of each group in the population the system is meant for, per attribute "
            "({sex: {female: 0.5, male: 0.5}}); the model card's target_population: is used when this is empty."
        ),
    )


def _target_population(ctx: AuditContext, params: RepresentationParams) -> tuple[dict, Message | None]:
    """The declared target population and where it was declared (None: nowhere)."""
    if params.target_population:
        return params.target_population, say("note.data_quality.declared_in_parameter")
    declared = (ctx.model_card or {}).get("target_population")
    if not declared:
        return {}, None
    if not isinstance(declared, dict) or not all(isinstance(v, dict) for v in declared.values()):
        raise DataError(
            "the model card's target_population must map each attribute to {group: share}",
            "write target_population: {sex: {female: 0.5, male: 0.5}}",
        )
    try:
        return ({str(a): {str(g): float(v) for g, v in shares.items()} for a, shares in declared.items()},
                say("note.data_quality.declared_in_card"))
    except (TypeError, ValueError) as exc:
        raise DataError(f"the model card's target_population holds a share that is not a number: {exc}") from exc


def _share_gap(grouping: Grouping, counts: np.ndarray, target: dict[str, float], source: Message) -> Measurement:
    """Largest |share in the data − declared share| over the declared groups (shares of known rows)."""
    known = {label: int(counts[i]) for i, label in enumerate(grouping.labels) if UNKNOWN not in _parts(grouping, label)}
    total = sum(known.values())
    gaps = []
    for group, share in target.items():
        actual = known.get(group, 0) / total if total else float("nan")
        gaps.append(GroupValue(group=group, n=known.get(group, 0), value=actual - share if total else None))
    undeclared = sorted(set(known) - set(target))
    defined = [g for g in gaps if g.value is not None]
    worst = max(defined, key=lambda g: abs(g.value or 0.0), default=None)
    note = parts(
        say("note.data_quality.compared_with_target", source=source, attribute=grouping.attribute),
        say("note.data_quality.undeclared_groups", groups=", ".join(undeclared)) if undeclared else None,
    )
    driver = say("note.data_quality.largest_share_gap", group=worst.group, gap=f"{worst.value:+.3f}") if worst is not None else None
    return Measurement(
        check="data.representation", metric="max_share_gap", attribute=grouping.attribute,
        value=abs(worst.value) if worst is not None and worst.value is not None else None, groups=gaps,
        driver_parts=parts(driver), note_parts=note,
    )


def representation(ctx: AuditContext, params: RepresentationParams) -> list[Measurement]:
    """Count and share of every group of each sensitive attribute and of their intersection; the smallest.

    Rows with a missing attribute form the group 'unknown': it is listed, and left out of the
    minimum (it is not a group of people the data describes).

    ``max_share_gap`` compares each group's share of the rows with a known attribute with its
    share of the declared target population (``target_population``, or the model card's): the
    largest absolute gap; per group, the signed gap. Without a declaration it is undefined (the
    note says how to declare one): counts show that groups can be measured, only a comparison
    with the population the system serves shows that the data represents it.

    Why: groups that are barely present in the data can neither be served well by a model
    nor be audited for it; a profile sets the minimum count or share each group needs.
    """
    if not ctx.data.sensitive:
        raise NotApplicable(say("note.data_quality.no_sensitive"))
    rows = ctx.rows
    target, source = _target_population(ctx, params)
    out = []
    for grouping in ctx.groupings(params.intersections):
        counts = grouping.counts()
        groups = [GroupValue(group=label, n=int(counts[i]), value=counts[i] / rows) for i, label in enumerate(grouping.labels)]
        known = [i for i, label in enumerate(grouping.labels) if UNKNOWN not in _parts(grouping, label) and counts[i]]
        excluded = [_left_out(grouping.labels[i], say("note.data_quality.attribute_missing"))
                    for i in range(grouping.size) if i not in known]
        if known:
            smallest = min(known, key=lambda i: counts[i])
            count = float(counts[smallest])
            driver = parts(say("note.data_quality.smallest_group", group=grouping.labels[smallest], n=str(int(counts[smallest]))))
        else:
            count, driver = float("nan"), []
        for metric, value in (("min_group_count", count), ("min_group_share", count / rows)):
            out.append(
                Measurement(
                    check="data.representation", metric=metric, attribute=grouping.attribute,
                    value=value if np.isfinite(value) else None, groups=groups, excluded_parts=excluded,
                    driver_parts=driver, note_parts=parts(None if known else say("note.data_quality.attribute_always_missing")),
                )
            )
        if grouping.attribute in target and source is not None:
            out.append(_share_gap(grouping, counts, target[grouping.attribute], source))
        elif JOIN not in grouping.attribute or grouping.attribute in target:
            out.append(Measurement(
                check="data.representation", metric="max_share_gap", attribute=grouping.attribute, value=None,
                note_parts=[say("note.data_quality.no_target_population", attribute=grouping.attribute)],
            ))
    return out


def _parts(grouping: Grouping, label: str) -> list[str]:
    attributes = grouping.attribute.split(" × ")
    return label.split(" × ") if len(attributes) > 1 else [label]


class LeakageParams(CheckParams):
    folds: int = Field(
        5, ge=2, le=20,
        description="Folds of the out-of-fold target-rate encoding of categorical features (so ids cannot look predictive).",
    )


def _numeric_auc(values: pd.Series, y: np.ndarray) -> float:
    x = values.to_numpy(dtype=float)
    missing = np.isnan(x)
    if missing.all():
        return 0.5
    if missing.any():  # missing values rank below every value: missingness itself can leak
        x = np.where(missing, np.nanmin(x) - 1.0, x)
    bins, n_bins, _ = score_bins(x)
    return float(auc(label_histogram(bins, n_bins, y)[0]))


def _categorical_auc(values: pd.Series, y: np.ndarray, folds: int, rng: np.random.Generator) -> float:
    """AUC of the out-of-fold positive rate of each row's category (missing is a category)."""
    codes, _ = pd.factorize(values.astype("string"), use_na_sentinel=False)
    n_cat = int(codes.max()) + 1
    fold = rng.integers(0, folds, size=len(codes))
    cell = codes * folds + fold
    total = np.bincount(cell, minlength=n_cat * folds).reshape(n_cat, folds)
    positive = np.bincount(cell, weights=y, minlength=n_cat * folds).reshape(n_cat, folds)
    out_total = total.sum(axis=1, keepdims=True) - total
    out_positive = positive.sum(axis=1, keepdims=True) - positive
    prior = y.mean()
    encoded = ((out_positive + prior) / (out_total + 1.0))[codes, fold]  # one pseudo-row at the prior
    bins, n_bins, _ = score_bins(encoded)
    return float(auc(label_histogram(bins, n_bins, y)[0]))


def leakage(ctx: AuditContext, params: LeakageParams) -> list[Measurement]:
    """How well each feature alone separates the classes: its single-feature ROC AUC, and the largest.

    A numeric feature is ranked as it is (missing values lowest); a categorical feature by the
    positive rate of its category, learnt out of fold so that an id column cannot look
    predictive. The AUC is taken as ``max(auc, 1 − auc)``: 0.5 is no signal, 1.0 a perfect
    separation by one column.

    Why: a feature that predicts the target almost perfectly is usually the target in
    disguise (recorded after the outcome, or derived from it); a model that uses it will
    look excellent in testing and fail in use.
    """
    y = ctx.data.y_true.astype(float)
    if y.min() == y.max():
        raise NotApplicable(say("note.data_quality.target_single_class"))
    frame = ctx.data.frame
    features = [c for c in ctx.data.features if c != ctx.data.target]
    if not features:
        raise NotApplicable(say("note.data_quality.no_features"))
    rng = ctx.rng("data.leakage")
    scores: dict[str, float] = {}
    for column in features:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            value = _numeric_auc(values, y)
        else:
            value = _categorical_auc(values, y, params.folds, rng)
        scores[str(column)] = max(value, 1.0 - value)
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    top, top_value = ranked[0]
    groups = [GroupValue(group=name, n=int(frame[name].notna().sum()), value=value) for name, value in ranked]
    return [
        Measurement(
            check="data.leakage", metric="max_single_feature_auc", value=top_value, groups=groups,
            driver_parts=[say("note.data_quality.most_predictive", feature=top, auc=f"{top_value:.3f}")],
        )
    ]


class OverlapParams(CheckParams):
    ignore_columns: tuple[str, ...] = Field((), description="Features left out of the comparison (row ids, timestamps).")


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns in one representation on both sides: numbers as float64 (1 and 1.0 are equal), the rest as strings."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[column] = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            out[column] = values.astype(object).where(values.notna(), None).astype("string")
    return pd.DataFrame(out)


def overlap(ctx: AuditContext, params: OverlapParams) -> list[Measurement]:
    """Evaluation rows whose features also occur in the reference (training) data: their count and share.

    Rows are compared on every feature (missing values compare equal, numbers by value
    whatever their type), with 64-bit row hashes; the target is not compared, so a row
    copied with another label still counts. ``overlap_rows`` counts the evaluation rows that
    match some reference row; ``overlap_rate`` is their share of the evaluation rows. The
    driver gives how many distinct reference rows are matched.

    Why: a test set that shares rows with the training set measures memory rather than
    generalisation: every performance and fairness figure of the audit is then optimistic.
    """
    reference = ctx.require_reference()
    for column in params.ignore_columns:
        if column not in ctx.data.features:
            raise DataError(f"column '{column}' (in ignore_columns) is not a feature", did_you_mean(column, ctx.data.features))
    features = [c for c in ctx.data.features if c not in params.ignore_columns]
    if not features:
        raise NotApplicable(say("note.data_quality.no_features_to_compare"))
    current = _row_hashes(_comparable(ctx.data.frame[features]))
    known = _row_hashes(_comparable(reference.frame[features]))
    shared = np.isin(current, known)
    count = int(shared.sum())
    matched = int(np.isin(known, current[shared]).sum()) if count else 0
    check = "data.overlap"
    note = [say("note.data_quality.overlap_compared", features=str(len(features)), reference=f"{reference.rows:,}",
                evaluation=f"{ctx.data.rows:,}")]
    driver = parts(say("note.data_quality.overlap_rows", count=f"{count:,}", matched=f"{matched:,}") if count else None)
    return [
        Measurement(check=check, metric="overlap_rows", value=float(count), driver_parts=driver, note_parts=note),
        Measurement(check=check, metric="overlap_rate", value=count / ctx.data.rows, driver_parts=driver, note_parts=note),
    ]


CHECKS = [
    Check(
        id="data.completeness",
        title="Completeness (missing values)",
        measure=completeness,
        params=ColumnsParams,
        metrics=("max_missing_rate", "missing_cell_rate"),
        tasks=frozenset({"binary", "regression"}),
        remediation="Find out why values are missing (and for whom); collect them, or document the imputation and its effect.",
    ),
    Check(
        id="data.missingness_by_group",
        title="Missingness by group",
        measure=missingness_by_group,
        params=MissingnessParams,
        metrics=("max_missing_gap",),
        tasks=frozenset({"binary", "regression"}),
        needs_sensitive=True,
        remediation=(
            "Find out why the column is missing more for the driving group (collection, form design, "
            "linkage); collect it, or show the model's results hold for that group with and without imputation."
        ),
    ),
    Check(
        id="data.duplicates",
        title="Duplicate rows",
        measure=duplicates,
        params=ColumnsParams,
        metrics=("duplicate_rows", "duplicate_rate", "conflicting_label_rows"),
        tasks=frozenset({"binary", "regression"}),
        remediation="Remove exact duplicates (and check they did not cross the train–test split); review conflicting labels.",
    ),
    Check(
        id="data.label_balance",
        title="Label balance",
        measure=label_balance,
        params=CheckParams,
        metrics=("minority_share", "positive_rate"),
        remediation="Collect more examples of the rare class, or evaluate with metrics that weigh both classes (balanced accuracy).",
    ),
    Check(
        id="data.representation",
        title="Representation of groups",
        measure=representation,
        params=RepresentationParams,
        metrics=("min_group_count", "min_group_share", "max_share_gap"),
        tasks=frozenset({"binary", "regression"}),
        needs_sensitive=True,
        remediation="Collect more data for the small groups, or state that the system is not validated for them.",
    ),
    Check(
        id="data.leakage",
        title="Target leakage (single-feature AUC)",
        measure=leakage,
        params=LeakageParams,
        metrics=("max_single_feature_auc",),
        remediation=(
            "Check when and how the driving feature is recorded: if it is known only after the "
            "outcome or derived from it, remove it and retrain."
        ),
    ),
    Check(
        id="data.overlap",
        title="Overlap of evaluation and reference data",
        measure=overlap,
        params=OverlapParams,
        metrics=("overlap_rows", "overlap_rate"),
        tasks=frozenset({"binary", "regression"}),
        remediation=(
            "Remove the shared rows from the evaluation data (or split by entity, e.g. per person, "
            "so that no one is in both) and measure again."
        ),
    ),
]
