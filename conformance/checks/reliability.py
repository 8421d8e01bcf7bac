"""Reliability checks: the same rows get the same answers, and the data is the data the model knows.

``reliability.determinism`` runs the model again on the rows it has already scored.
``reliability.distribution_shift`` compares the evaluation data with reference (training)
data, feature by feature, and needs no model. (``reliability.calibration`` lives with the
performance checks: it reads the scores only.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from conformance.checks.base import AuditContext, Check, CheckParams, NotApplicable
from conformance.checks.robustness import is_numeric
from conformance.errors import DataError, did_you_mean
from conformance.messages import parts, say
from conformance.result import GroupValue, Measurement

# --- determinism ------------------------------------------------------------------------------


class DeterminismParams(CheckParams):
    sample_size: int = Field(
        10_000, ge=100, le=10_000_000, description="Rows sampled (seeded) and predicted again; all rows when there are fewer."
    )
    repeats: int = Field(2, ge=1, le=20, description="How many more times the sampled rows are predicted, each time in a new order.")
    tolerance: float = Field(
        0.0, ge=0, description="Regression: predictions that differ by at most this much count as the same."
    )


def determinism(ctx: AuditContext, params: DeterminismParams) -> list[Measurement]:
    """Whether the model gives the same rows the same outputs again: share of rows whose prediction differs, largest score difference.

    The sampled rows are predicted ``repeats`` more times, each time shuffled into a new order
    and as a smaller batch, and compared with the audit's own predictions of the same rows
    (made once, on all rows, in the data's order). ``mismatch_rate`` is the share of sampled
    rows whose predicted label (for regression: prediction, beyond ``tolerance``) differs in
    any repeat; ``max_score_difference`` is the largest absolute difference of a score (for
    regression: of a prediction). Both are 0 for a deterministic model.

    Why: an audit, a complaint or an appeal must be able to reproduce a decision; outputs that
    depend on chance, on row order or on what else is in the batch cannot be explained,
    tested or contested.
    """
    ctx.require_model()
    if not ctx.model_features:
        raise NotApplicable(say("note.reliability.inputs_unknown"))
    n = ctx.data.rows
    rng = ctx.rng("reliability.determinism")
    rows = np.sort(rng.choice(n, params.sample_size, replace=False)) if n > params.sample_size else np.arange(n)
    frame = ctx.data.frame[ctx.model_features].iloc[rows].reset_index(drop=True)
    sampled = (say("note.reliability.on_sample", n=f"{len(rows):,}", rows=f"{n:,}") if len(rows) < n
               else say("note.reliability.on_all", rows=f"{n:,}"))
    if ctx.y_pred is not None and len(ctx.y_pred) == n:
        labels = ctx.y_pred[rows]
        scores = ctx.scores[rows] if ctx.scores is not None and len(ctx.scores) == n else None
    else:  # no predictions of the audit's own: a first run is the baseline
        labels, scores = ctx.predict(frame)
    repeats = params.repeats
    regression = ctx.data.task == "regression"
    mismatched = np.zeros(len(rows), dtype=bool)
    largest = 0.0
    for _ in range(repeats):
        order = rng.permutation(len(rows))
        again_labels, again_scores = ctx.predict(frame.iloc[order].reset_index(drop=True))
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        again_labels = again_labels[back]
        if regression:
            difference = np.abs(again_labels - labels)
            mismatched |= ~(difference <= params.tolerance)  # NaN counts as a mismatch
            largest = max(largest, float(np.nanmax(difference, initial=0.0)))
        else:
            mismatched |= again_labels != labels
            if scores is not None and again_scores is not None:
                largest = max(largest, float(np.nanmax(np.abs(again_scores[back] - scores), initial=0.0)))
    note = [sampled, say("note.reliability.repeats" if repeats != 1 else "note.reliability.one_repeat", repeats=str(repeats))]
    count = int(mismatched.sum())
    check = "reliability.determinism"
    driver = [say("note.reliability.mismatched", count=str(count), rows=f"{len(rows):,}")] if count else []
    has_scores = regression or scores is not None
    return [
        Measurement(check=check, metric="mismatch_rate", value=count / len(rows), driver_parts=driver, note_parts=note),
        Measurement(
            check=check, metric="max_score_difference", value=largest if has_scores else None,
            note_parts=note if has_scores else [say("note.reliability.no_scores")],
        ),
    ]


# --- distribution shift -----------------------------------------------------------------------

PSI_FLOOR = 1e-4
"""A bin's share is at least this in the PSI sum, so that an empty bin gives a large, finite term."""


class ShiftParams(CheckParams):
    n_bins: int = Field(10, ge=2, le=100, description="PSI bins of a numeric feature: quantiles of the reference data.")
    max_levels: int = Field(
        50, ge=2, le=10_000,
        description="PSI of a categorical feature: its most frequent reference levels; the rest are pooled as 'other'.",
    )
    psi_threshold: float = Field(
        0.2, gt=0,
        description="Features with a PSI at least this are listed as drifted (0.2: the usual practice default, not a standard's).",
    )
    ignore_columns: tuple[str, ...] = Field((), description="Features left out (ids, timestamps).")


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two vectors of bin counts: Σ (a − e) · ln(a / e) over bin shares.

    Shares are floored at ``PSI_FLOOR`` (not renormalised), so an empty bin adds a large but
    finite term.
    """
    e = np.maximum(expected / expected.sum(), PSI_FLOOR)
    a = np.maximum(actual / actual.sum(), PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_bins(reference: np.ndarray, current: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of both samples in bins cut at the reference's quantiles, missing values in a last bin of their own.

    Bins are ``(-inf, q1], (q1, q2], …, (q_k, inf)`` with the distinct interior quantiles of the
    reference's non-missing values (so a constant feature has two bins).
    """
    known = reference[~np.isnan(reference)]
    if known.size:
        edges = np.unique(np.quantile(known, np.linspace(0, 1, n_bins + 1)[1:-1]))
    else:
        edges = np.array([])

    def counts(values: np.ndarray) -> np.ndarray:
        missing = np.isnan(values)
        binned = np.searchsorted(edges, values[~missing], side="left")
        return np.append(np.bincount(binned, minlength=edges.size + 1), missing.sum())

    return counts(reference), counts(current)


def level_counts(reference: pd.Series, current: pd.Series, max_levels: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Counts of both samples per level (missing is a level); levels beyond the reference's most frequent pooled."""
    ref = reference.astype(object).where(reference.notna(), "\0missing")
    cur = current.astype(object).where(current.notna(), "\0missing")
    levels = ref.value_counts()
    kept = list(levels.index[:max_levels])
    pooled = max(0, len(levels) - max_levels)
    index = pd.Index(kept)
    ref_codes = index.get_indexer(ref)
    cur_codes = index.get_indexer(cur)  # levels unseen in the reference: pooled with 'other'
    size = len(kept) + 1
    return (
        np.bincount(np.where(ref_codes < 0, len(kept), ref_codes), minlength=size),
        np.bincount(np.where(cur_codes < 0, len(kept), cur_codes), minlength=size),
        pooled,
    )


def distribution_shift(ctx: AuditContext, params: ShiftParams) -> list[Measurement]:
    """Drift of each feature between the reference (training) data and the evaluation data: PSI, Kolmogorov–Smirnov statistic, drifted features.

    For a numeric feature, the population stability index (PSI) is computed on bins cut at
    the reference's quantiles (``n_bins``), and the two-sample Kolmogorov–Smirnov statistic
    (``scipy.stats.ks_2samp``) on the non-missing values. For a categorical feature, PSI is
    computed on its levels; it has no KS statistic. Missing values are a bin (a level) of
    their own, so a change in missingness is drift too. PSI is
    ``Σ (a − e) · ln(a / e)`` over the bins' shares in the evaluation (a) and reference (e)
    data, with shares floored at 0.0001. ``max_psi`` and ``max_ks`` are the largest over the
    features (each feature a group); ``drifted_features`` counts the features with a PSI of at
    least ``psi_threshold`` (a practice default of 0.2, used only to list them: the profile
    judges the metrics).

    Why: a model is only as good as the match between the data it learnt from and the data it
    meets; performance measured on drifted data, or a model used on a population it never
    saw, is evidence about a different system.
    """
    from scipy.stats import ks_2samp

    reference = ctx.require_reference()
    for column in params.ignore_columns:
        if column not in ctx.data.features:
            hint = did_you_mean(column, ctx.data.features)
            said = say("note.reliability.ignored_not_a_feature", column=column, hint=hint)
            raise DataError(f"column '{column}' (in ignore_columns) is not a feature", hint, said=said)
    features = [c for c in ctx.data.features if c not in params.ignore_columns and c in reference.frame.columns]
    if not features:
        raise NotApplicable(say("note.reliability.nothing_to_compare"))
    psi_groups, ks_groups, drifted = [], [], []
    categorical, empty = [], []
    for name in features:
        ref, cur = reference.frame[name], ctx.data.frame[name]
        if is_numeric(ref) and is_numeric(cur):
            ref_values = ref.to_numpy(dtype=float, na_value=np.nan)
            cur_values = cur.to_numpy(dtype=float, na_value=np.nan)
            value = psi(*numeric_bins(ref_values, cur_values, params.n_bins))
            ref_known, cur_known = ref_values[~np.isnan(ref_values)], cur_values[~np.isnan(cur_values)]
            if ref_known.size and cur_known.size:
                ks = float(ks_2samp(ref_known, cur_known).statistic)
                ks_groups.append(GroupValue(group=name, n=int(cur_known.size), value=ks))
            else:
                empty.append(name)
        else:
            ref_counts, cur_counts, _ = level_counts(ref, cur, params.max_levels)
            value = psi(ref_counts, cur_counts)
            categorical.append(name)
        psi_groups.append(GroupValue(group=name, n=int(cur.notna().sum()), value=value))
        if value >= params.psi_threshold:
            drifted.append((name, value))
    check = "reliability.distribution_shift"
    note = say("note.reliability.shift_rows", reference=f"{reference.rows:,}", rows=f"{ctx.data.rows:,}")
    top_psi = max(psi_groups, key=lambda g: g.value)
    out = [
        Measurement(
            check=check, metric="max_psi", value=top_psi.value, groups=psi_groups,
            driver_parts=[say("note.reliability.largest_psi", feature=top_psi.group, psi=f"{top_psi.value:.3f}")], note_parts=[note],
        )
    ]
    ks_note = parts(
        note,
        say("note.reliability.no_ks_categorical", features=", ".join(categorical)) if categorical else None,
        say("note.reliability.no_ks_missing", features=", ".join(empty)) if empty else None,
    )
    if ks_groups:
        top_ks = max(ks_groups, key=lambda g: g.value)
        out.append(
            Measurement(
                check=check, metric="max_ks", value=top_ks.value, groups=ks_groups,
                driver_parts=[say("note.reliability.largest_ks", feature=top_ks.group, ks=f"{top_ks.value:.3f}")], note_parts=ks_note,
            )
        )
    else:
        out.append(Measurement(check=check, metric="max_ks", value=None, note_parts=parts(say("note.reliability.no_numeric"), ks_note)))
    drifted.sort(key=lambda item: -item[1])
    out.append(
        Measurement(
            check=check, metric="drifted_features", value=float(len(drifted)),
            groups=[GroupValue(group=name, n=ctx.data.rows, value=value) for name, value in drifted],
            driver_parts=[say("note.reliability.drifted", threshold=f"{params.psi_threshold:g}",
                              features=", ".join(f"{n} ({v:.3f})" for n, v in drifted))] if drifted else [],
            note_parts=[note, say("note.reliability.drift_rule", threshold=f"{params.psi_threshold:g}")],
        )
    )
    return out


CHECKS = [
    Check(
        id="reliability.determinism",
        title="Determinism of predictions",
        measure=determinism,
        params=DeterminismParams,
        metrics=("mismatch_rate", "max_score_difference"),
        tasks=frozenset({"binary", "regression"}),
        remediation=(
            "Fix the model's random seeds, remove sampling or dropout at prediction time, and make "
            "outputs independent of batch composition and row order."
        ),
    ),
    Check(
        id="reliability.distribution_shift",
        title="Distribution shift from the reference data",
        measure=distribution_shift,
        params=ShiftParams,
        metrics=("max_psi", "max_ks", "drifted_features"),
        tasks=frozenset({"binary", "regression"}),
        remediation=(
            "Find out why the drifted features differ (population, collection, coding); retrain or "
            "recalibrate on data like the data of use, or restrict the intended purpose."
        ),
    ),
]
