"""Proxies of sensitive attributes: features that, alone, reveal a person's group.

Leaving a sensitive attribute out of a model does not keep the model from using it: a postcode
or a first name can carry much of the same information. For each feature and each sensitive
attribute this module measures how well the feature *alone* predicts the attribute, as a
cross-fitted single-feature AUC: the feature is discretised (quantile bins of a number, the most
frequent levels of a category, missing values as a level of their own), each level is scored by
the share of the group among the rows of that level *in the other half* of the data, and the AUC
of that score against group membership is computed one group against the rest and averaged,
weighted by group size. Cross-fitting keeps a high-cardinality identifier from looking like a
perfect proxy by memorising rows. 0.5 means no information; 1 a perfect proxy.

Everything is counted with ``np.bincount`` over at most ``max_rows`` rows (a seeded sample),
so the cost is a few milliseconds per feature whatever the size of the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from conformance.checks.base import AuditContext, Check, CheckParams, NotApplicable
from conformance.checks.shap_values import ExplainParams, explanation, memo
from conformance.errors import ConformanceError
from conformance.messages import say
from conformance.result import GroupValue, Measurement, Message

PROXY_AUC = 0.7


class ProxyParams(CheckParams):
    proxy_auc: float = Field(
        PROXY_AUC,
        gt=0.5,
        le=1.0,
        description=(
            "A feature whose single-feature AUC for a sensitive attribute reaches this is counted as a "
            "strong proxy (0.7 is the conventional 'acceptable discrimination' level of an AUC)."
        ),
    )
    bins: int = Field(10, ge=2, le=100, description="Quantile bins of a numeric feature.")
    max_levels: int = Field(50, ge=2, le=10_000, description="Most frequent levels of a categorical feature kept; the rest are pooled.")
    max_rows: int = Field(200_000, ge=1_000, description="Rows used (a seeded sample of larger data).")


def candidate_features(ctx: AuditContext) -> list[str]:
    """The columns that could act as proxies: the model's inputs, else the data's features."""
    features = ctx.model_features if ctx.has_model else ctx.data.features
    return [f for f in features if f != ctx.data.target]


def discretise(values: pd.Series, bins: int, max_levels: int) -> np.ndarray:
    """Integer levels of a column: quantile bins, or frequent categories; missing is its own level."""
    missing = values.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        x = values.to_numpy(dtype=float)
        present = x[~missing]
        if present.size == 0:
            return np.zeros(len(x), dtype=np.int64)
        distinct = np.unique(present)
        if distinct.size <= bins:
            levels = np.searchsorted(distinct, np.where(missing, distinct[0], x))
        else:
            edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
            levels = np.searchsorted(edges, np.where(missing, edges[0], x), side="right")
        top = int(levels.max()) + 1
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) > max_levels:
            counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
            keep = np.argsort(-counts, kind="stable")[:max_levels]
            remap = np.full(len(uniques), max_levels, dtype=np.int64)  # the pooled level
            remap[keep] = np.arange(max_levels)
            levels = np.where(codes >= 0, remap[np.maximum(codes, 0)], 0)
            top = max_levels + 1
        else:
            levels = np.maximum(codes, 0)
            top = max(len(uniques), 1)
    return np.where(missing, top, levels).astype(np.int64)


def _auc_of_cells(score: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> float | None:
    """AUC of a score that is constant within cells, from each cell's positive and negative counts."""
    p, n = pos.sum(), neg.sum()
    if p == 0 or n == 0:
        return None
    distinct, inverse = np.unique(score, return_inverse=True)
    pos_at = np.bincount(inverse, weights=pos, minlength=len(distinct))
    neg_at = np.bincount(inverse, weights=neg, minlength=len(distinct))
    below = np.concatenate([[0.0], np.cumsum(neg_at)[:-1]])
    return float((pos_at * (below + 0.5 * neg_at)).sum() / (p * n))


def single_feature_auc(levels: np.ndarray, groups: np.ndarray, n_groups: int, fold: np.ndarray) -> float | None:
    """Cross-fitted AUC of ``levels`` predicting ``groups`` (one vs rest, weighted by group size)."""
    n_levels = int(levels.max()) + 1
    cell = fold * n_levels + levels
    totals = np.bincount(cell, minlength=2 * n_levels).reshape(2, n_levels)
    aucs, weights = [], []
    for g in range(n_groups):
        member = groups == g
        pos = np.bincount(cell, weights=member, minlength=2 * n_levels).reshape(2, n_levels)
        prior = member.mean()
        # score of a cell: the group's share in the same level of the *other* fold (smoothed to the prior)
        score = (pos[::-1] + prior) / (totals[::-1] + 1.0)
        auc = _auc_of_cells(score.ravel(), pos.ravel(), (totals - pos).ravel())
        if auc is not None:
            aucs.append(auc)
            weights.append(member.sum())
    if not aucs:
        return None
    if n_groups == 2:  # one vs rest of either group is the same question
        return aucs[0]
    return float(np.average(aucs, weights=weights))


def proxy_strengths(ctx: AuditContext, params: ProxyParams) -> tuple[dict[str, dict[str, float | None]], int]:
    """Per sensitive attribute, the single-feature AUC of every candidate feature; and the rows used."""
    key = ("proxies", params.bins, params.max_levels, params.max_rows)
    return memo(ctx, key, lambda: _strengths(ctx, params))


def _strengths(ctx: AuditContext, params: ProxyParams) -> tuple[dict[str, dict[str, float | None]], int]:
    frame = ctx.data.frame
    n = len(frame)
    rng = ctx.rng("fairness.proxy_detection")
    if n > params.max_rows:
        frame = frame.iloc[np.sort(rng.choice(n, size=params.max_rows, replace=False))]
    fold = rng.integers(0, 2, size=len(frame))
    features = candidate_features(ctx)
    levels = {f: discretise(frame[f], params.bins, params.max_levels) for f in features}
    out: dict[str, dict[str, float | None]] = {}
    for attribute in ctx.data.sensitive:
        known = frame[attribute].notna().to_numpy()
        codes, uniques = pd.factorize(frame[attribute])
        out[attribute] = {
            f: single_feature_auc(levels[f][known], codes[known], len(uniques), fold[known])
            for f in features
            if f != attribute
        }
    return out, len(frame)


class ProxyDetectionParams(ExplainParams, ProxyParams):
    importance_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="A strong proxy is flagged as important when it carries at least this share of the model's total mean |SHAP|.",
    )


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.2f}"


def _listed(items: list[Message]) -> Message:
    """Messages listed with commas (``a, b, c``), in the reader's language."""
    head, *rest = items
    return head if not rest else say("note.proxies.listed", head=head, tail=_listed(rest))


def _unavailable(exc: Exception) -> Message:
    """Why the model's attributions are missing: the reason's message when it has one, else its text."""
    said = getattr(exc, "said", None)
    if isinstance(said, Message):
        return say("note.proxies.importance_unavailable", why=said)
    return say("note.proxies.importance_unavailable_detail", detail=str(exc))


def proxy_detection(ctx: AuditContext, params: ProxyDetectionParams) -> list[Measurement]:
    """Features that alone predict a sensitive attribute (single-feature AUC), and which of them the model relies on.

    Why: removing a sensitive attribute from the inputs does not remove its influence when other
    features stand in for it (redlining by postcode). For each sensitive attribute, each candidate
    feature's cross-fitted single-feature AUC is measured (0.5: no information, 1: a perfect
    proxy); a feature at or above ``proxy_auc`` is a strong proxy, and a strong proxy carrying at
    least ``importance_share`` of the model's total mean |SHAP| is flagged as an important proxy.
    Without the model (or without SHAP) the proxies are still measured, and the count of
    important ones is left undefined with the reason. The per-feature AUCs are in the groups.
    """
    if not ctx.data.sensitive:
        raise NotApplicable(say("note.proxies.no_sensitive"))
    strengths, used = proxy_strengths(ctx, params)
    shares: dict[str, float] | None = None
    why_not = None
    try:
        explained = explanation(ctx, params)
        shares = dict(zip(explained.features, explained.shares))
    except (NotApplicable, ConformanceError) as exc:
        why_not = _unavailable(exc)
    check = "fairness.proxy_detection"
    rows_note = say("note.proxies.rows_sampled" if used < ctx.data.rows else "note.proxies.rows", rows=f"{used:,}")
    out = []
    for attribute, by_feature in strengths.items():
        ranked = sorted(by_feature.items(), key=lambda kv: -1.0 if kv[1] is None else -kv[1])
        groups = [GroupValue(group=f, n=used, value=auc) for f, auc in ranked]
        defined = [(f, a) for f, a in ranked if a is not None]
        top = defined[0] if defined else None
        strong = [(f, a) for f, a in defined if a >= params.proxy_auc]
        out.append(
            Measurement(
                check=check,
                metric="max_proxy_auc",
                attribute=attribute,
                value=None if top is None else top[1],
                groups=groups,
                driver_parts=[] if top is None else [say("note.proxies.strongest", feature=top[0])],
                note_parts=[rows_note if top is not None else say("note.proxies.undefined")],
            )
        )
        out.append(
            Measurement(
                check=check,
                metric="proxy_count",
                attribute=attribute,
                value=float(len(strong)),
                note_parts=[say("note.proxies.strong", proxies=_listed([say("note.proxies.strong_one", feature=f, auc=_fmt(a))
                                                                          for f, a in strong]))
                            if strong else say("note.proxies.none_strong", auc=f"{params.proxy_auc:g}")],
            )
        )
        if shares is None:
            out.append(Measurement(check=check, metric="important_proxies", attribute=attribute, value=None,
                                   note_parts=[why_not] if why_not else []))
            continue
        important = [(f, a, shares.get(f, 0.0)) for f, a in strong if shares.get(f, 0.0) >= params.importance_share]
        note = (
            say("note.proxies.important", proxies=_listed([say("note.proxies.important_one", feature=f, auc=_fmt(a), share=f"{s:.0%}")
                                                          for f, a, s in important]))
            if important
            else say("note.proxies.none_important", share=f"{params.importance_share:.0%}")
        )
        out.append(Measurement(check=check, metric="important_proxies", attribute=attribute, value=float(len(important)),
                               note_parts=[note]))
    return out


CHECKS = [
    Check(
        id="fairness.proxy_detection",
        title="Proxies of sensitive attributes",
        measure=proxy_detection,
        params=ProxyDetectionParams,
        metrics=("max_proxy_auc", "proxy_count", "important_proxies"),
        tasks=frozenset({"binary", "regression"}),
        needs_sensitive=True,
        remediation=(
            "For each important proxy, establish whether it is needed for the purpose; drop it, "
            "coarsen it or constrain its effect, and test the outcome disparities again. Document "
            "the proxies you keep and why they are justified."
        ),
    ),
]
