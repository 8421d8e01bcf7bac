"""Transparency checks: what drives the model, how steady that picture is, why a decision was adverse.

All of them read the same SHAP values (:mod:`conformance.checks.shap_values`): a seeded sample of
rows explained once per audit, whichever of these checks a profile cites. Attributions are in
the explainer's output space for the positive (favourable) label, summed back onto the original
columns; every measurement's note names the explainer, the output space and the sample.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from conformance.checks.base import AuditContext, Check, NotApplicable
from conformance.checks.proxies import ProxyParams, proxy_strengths
from conformance.checks.shap_values import ExplainParams, Explanation, explanation
from conformance.messages import parts, say
from conformance.result import GroupValue, Measurement

BOTH = frozenset({"binary", "regression"})


def _ranked(explained: Explanation) -> list[tuple[str, float, float]]:
    """(feature, mean |SHAP|, share of the total), most important first."""
    order = np.argsort(-explained.importance, kind="stable")
    return [(explained.features[i], float(explained.importance[i]), float(explained.shares[i])) for i in order]


# --- global importance -----------------------------------------------------------------------------


class ImportanceParams(ExplainParams):
    top_k: int = Field(5, ge=1, le=1_000, description="How many of the most important features `top_k_share` covers.")


def global_importance(ctx: AuditContext, params: ImportanceParams) -> list[Measurement]:
    """Global feature importance: mean |SHAP| of each original column over a seeded sample of rows.

    Why: a reader of the technical documentation must be able to see what drives the model's
    outputs (EU AI Act Art. 13 and Annex IV 2(b); NIST AI RMF MEASURE 2.9). The per-feature values
    (the data of a bar chart) are in the groups of ``mean_abs_shap``, mapped back through
    pipelines and one-hot encoders to the columns a person recognises. ``top_feature_share`` and
    ``top_k_share`` say how concentrated the model's reliance is; ``additivity_error`` is the
    largest gap between base value plus attributions and the model's own output on the explained
    rows (faithfulness of the explanation: zero up to rounding for exact explainers).
    Predictions-only audits are not applicable: explaining needs the model.
    """
    explained = explanation(ctx, params)
    check = "explainability.global_importance"
    note = explained.said(ctx.data.rows)
    ranked = _ranked(explained)
    m = len(explained.rows)
    groups = [GroupValue(group=f, n=m, value=v) for f, v, _ in ranked]
    total = float(explained.importance.sum())
    top = ranked[0] if ranked else None
    k = min(params.top_k, len(ranked))
    defined = total > 0
    constant = None if defined else say("note.explainability.constant_model")
    additivity = explained.additivity_error
    return [
        Measurement(check=check, metric="mean_abs_shap", value=total, groups=groups, note_parts=note),
        Measurement(
            check=check,
            metric="top_feature_share",
            value=top[2] if defined and top else None,
            driver_parts=[say("note.explainability.most_important", feature=top[0])] if top else [],
            note_parts=parts(constant, note),
        ),
        Measurement(
            check=check,
            metric="top_k_share",
            value=sum(s for _, _, s in ranked[:k]) if defined else None,
            note_parts=parts(constant, say("note.explainability.top_k", k=str(k), features=", ".join(f for f, _, _ in ranked[:k]))),
        ),
        Measurement(
            check=check,
            metric="additivity_error",
            value=additivity,
            note_parts=parts(say("note.explainability.additivity", space=explained.output_space),
                             None if additivity is not None else say("note.explainability.no_raw_output")),
        ),
        Measurement(check=check, metric="explained_rows", value=float(m), note_parts=note),
    ]


# --- reliance on sensitive attributes and their proxies --------------------------------------------


class RelianceParams(ExplainParams, ProxyParams):
    pass


def sensitive_reliance(ctx: AuditContext, params: RelianceParams) -> list[Measurement]:
    """Share of the model's total attribution that falls on each sensitive attribute and on its proxies.

    Why: a model that uses a protected characteristic directly, or through features standing in
    for it, treats people differently because of it (disparate treatment; EU AI Act Art. 10(2)(f)
    bias examination). ``sensitive_share`` is the attribute's share of the total mean |SHAP| when it
    is a model input (0 when it is not); ``proxy_share`` the share of the features that alone
    predict it with a single-feature AUC of at least ``proxy_auc`` (see
    ``fairness.proxy_detection``); ``total_share`` their sum.
    """
    if not ctx.data.sensitive:
        raise NotApplicable(say("note.explainability.no_sensitive"))
    explained = explanation(ctx, params)
    strengths, _ = proxy_strengths(ctx, params)
    shares = dict(zip(explained.features, map(float, explained.shares)))
    note = explained.said(ctx.data.rows)
    check = "explainability.sensitive_reliance"
    out = []
    for attribute in ctx.data.sensitive:
        direct = shares.get(attribute)
        direct_note = None if direct is not None else say("note.explainability.not_an_input")
        proxies = [f for f, auc in strengths.get(attribute, {}).items() if auc is not None and auc >= params.proxy_auc]
        proxy = sum(shares.get(f, 0.0) for f in proxies)
        proxy_note = (
            say("note.explainability.proxies", proxies=", ".join(f"{f} ({shares.get(f, 0.0):.1%})" for f in proxies))
            if proxies
            else say("note.explainability.no_proxy", auc=f"{params.proxy_auc:g}")
        )
        out += [
            Measurement(check=check, metric="sensitive_share", attribute=attribute, value=direct or 0.0, note_parts=parts(direct_note, note)),
            Measurement(check=check, metric="proxy_share", attribute=attribute, value=proxy, note_parts=parts(proxy_note, note)),
            Measurement(
                check=check, metric="total_share", attribute=attribute, value=(direct or 0.0) + proxy,
                note_parts=parts(direct_note, proxy_note, note),
            ),
        ]
    return out


# --- stability -------------------------------------------------------------------------------------


class StabilityParams(ExplainParams):
    n_boot: int = Field(200, ge=10, le=10_000, description="Bootstrap resamples of the explained rows.")
    top_k: int = Field(5, ge=1, le=1_000, description="How many of the most important features `top_k_overlap` compares.")


def _ranks(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(values, axis=-1)


def stability(ctx: AuditContext, params: StabilityParams) -> list[Measurement]:
    """How steady the global importance ranking is across bootstrap resamples of the explained rows.

    Why: an explanation that changes with the sample is weak evidence of what drives a model;
    instability is itself a finding to document. The explained rows are resampled with Poisson(1)
    weights ``n_boot`` times; each resample's mean |SHAP| ranking is compared with the full
    sample's: ``rank_correlation`` is the mean Spearman correlation, ``top_k_overlap`` the mean
    share of the full top ``top_k`` features found in the resample's top ``top_k``. The notes give
    the 5th percentiles (the unlucky resamples).
    """
    explained = explanation(ctx, params)
    check = "explainability.stability"
    note = explained.said(ctx.data.rows)
    magnitude = np.abs(explained.values)
    m, f = magnitude.shape
    if f < 2 or m < 2:
        why = say("note.explainability.too_few_to_rank")
        return [Measurement(check=check, metric=name, value=None, note_parts=[why]) for name in ("rank_correlation", "top_k_overlap")]
    rng = ctx.rng(check)
    full = magnitude.mean(axis=0)
    boot = np.empty((params.n_boot, f))
    step = max(1, 2_000_000 // m)
    for start in range(0, params.n_boot, step):
        weights = rng.poisson(1.0, size=(min(step, params.n_boot - start), m)).astype(float)
        boot[start : start + len(weights)] = (weights @ magnitude) / np.maximum(weights.sum(axis=1, keepdims=True), 1)
    full_ranks, boot_ranks = _ranks(full), _ranks(boot)
    centred_full = full_ranks - full_ranks.mean()
    centred = boot_ranks - boot_ranks.mean(axis=1, keepdims=True)
    denominator = np.sqrt((centred**2).sum(axis=1) * (centred_full**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (centred @ centred_full) / denominator
    rho = rho[np.isfinite(rho)]
    k = min(params.top_k, f)
    top_full = set(np.argsort(-full, kind="stable")[:k])
    top_boot = np.argsort(-boot, axis=1, kind="stable")[:, :k]
    overlap = np.array([len(top_full.intersection(row)) / k for row in top_boot])
    out = [
        Measurement(
            check=check,
            metric="rank_correlation",
            value=float(rho.mean()) if rho.size else None,
            note_parts=parts(
                say("note.explainability.spearman", n_boot=str(params.n_boot), p5=f"{np.percentile(rho, 5):.3f}") if rho.size
                else say("note.explainability.all_ranked_equal"),
                note,
            ),
        ),
        Measurement(
            check=check,
            metric="top_k_overlap",
            value=float(overlap.mean()),
            note_parts=parts(say("note.explainability.overlap", k=str(k), p5=f"{np.percentile(overlap, 5):.2f}"), note),
        ),
    ]
    return out


# --- reason codes ----------------------------------------------------------------------------------


class ReasonParams(ExplainParams):
    max_reasons: int = Field(
        4,
        ge=1,
        le=20,
        description="Reasons per adverse decision (ECOA / Regulation B commentary: more than four is not meaningful).",
    )
    examples: int = Field(5, ge=0, le=50, description="Adverse decisions shown as examples (feature names only, never values).")


def reason_codes(ctx: AuditContext, params: ReasonParams) -> list[Measurement]:
    """Principal reasons for adverse decisions: the features pushing each one most toward the adverse outcome.

    Why: a person refused credit (and, under the EU AI Act Art. 86, affected by a high-risk
    decision) is owed the principal reasons. For the adverse decisions (prediction not the
    positive label) among the explained rows, the reasons are the features with negative
    attributions toward the positive label, strongest first, at most ``max_reasons``: faithful to
    the model (SHAP values of the model itself, not a surrogate). ``sensitive_reason_rate`` is the
    share of adverse decisions citing a sensitive attribute among their reasons;
    ``no_reason_rate`` the share where no feature pushes toward the adverse outcome (the decision
    follows from the base rate alone, so no reason can be given); ``reason_frequency`` groups say
    how often each feature is cited. Examples name data rows and features, never values.
    """
    y_pred = ctx.require_predictions()
    explained = explanation(ctx, params)
    check = "explainability.reason_codes"
    note = explained.said(ctx.data.rows)
    adverse = y_pred[explained.rows] == 0
    phi = explained.values[adverse]
    rows = explained.rows[adverse]
    n = len(rows)
    if n == 0:
        why = say("note.explainability.no_adverse")
        return [
            Measurement(check=check, metric="adverse_explained", value=0.0, note_parts=parts(why, note)),
            *[Measurement(check=check, metric=name, value=None, note_parts=[why])
              for name in ("sensitive_reason_rate", "no_reason_rate", "reason_frequency")],
        ]
    order = np.argsort(phi, axis=1, kind="stable")[:, : params.max_reasons]
    negative = np.take_along_axis(phi, order, axis=1) < 0
    features = explained.features
    cited = np.zeros(len(features))
    np.add.at(cited, order[negative], 1)
    sensitive = [i for i, f in enumerate(features) if f in set(ctx.data.sensitive)]
    if not ctx.data.sensitive:
        sensitive_rate, sensitive_note = None, say("note.explainability.no_sensitive_undefined")
    else:
        cites = np.isin(order, sensitive) & negative
        sensitive_rate = float(cites.any(axis=1).mean())
        sensitive_note = None if sensitive else say("note.explainability.sensitive_not_an_input")
    shown = []
    for i in range(min(params.examples, n)):
        reasons = [features[j] for j, keep in zip(order[i], negative[i]) if keep]
        cited_reasons = ", ".join(reasons) if reasons else say("note.explainability.no_reasons")
        shown.append(say("note.explainability.example", row=str(int(rows[i])), reasons=cited_reasons))
    examples = say("note.explainability.examples", examples=shown) if shown else None
    ranked = np.argsort(-cited, kind="stable")
    groups = [GroupValue(group=features[j], n=n, value=float(cited[j] / n)) for j in ranked if cited[j] > 0]
    return [
        Measurement(check=check, metric="adverse_explained", value=float(n), note_parts=parts(examples, note)),
        Measurement(check=check, metric="sensitive_reason_rate", value=sensitive_rate, note_parts=parts(sensitive_note, note)),
        Measurement(check=check, metric="no_reason_rate", value=float((~negative.any(axis=1)).mean()), note_parts=note),
        Measurement(
            check=check,
            metric="reason_frequency",
            value=float(len(groups)),
            groups=groups,
            note_parts=parts(say("note.explainability.reason_frequency"), note),
        ),
    ]


CHECKS = [
    Check(
        id="explainability.global_importance",
        title="Global feature importance (SHAP)",
        measure=global_importance,
        params=ImportanceParams,
        metrics=("mean_abs_shap", "top_feature_share", "top_k_share", "additivity_error", "explained_rows"),
        tasks=BOTH,
        remediation=(
            "Check that the features driving the model are ones a domain expert expects and can justify; "
            "describe them in the technical documentation and the instructions for use."
        ),
    ),
    Check(
        id="explainability.sensitive_reliance",
        title="Reliance on sensitive attributes and their proxies",
        measure=sensitive_reliance,
        params=RelianceParams,
        metrics=("sensitive_share", "proxy_share", "total_share"),
        tasks=BOTH,
        needs_sensitive=True,
        remediation=(
            "Remove sensitive attributes from the inputs unless a legal basis allows them; for proxies, "
            "see fairness.proxy_detection; retrain and re-test both reliance and outcome disparities."
        ),
    ),
    Check(
        id="explainability.stability",
        title="Stability of the explanations",
        measure=stability,
        params=StabilityParams,
        metrics=("rank_correlation", "top_k_overlap"),
        tasks=BOTH,
        remediation=(
            "Explain more rows (sample_size); if the ranking stays unstable, the model relies on many "
            "interchangeable features: regularise or simplify it, and say so in the documentation."
        ),
    ),
    Check(
        id="explainability.reason_codes",
        title="Reason codes for adverse decisions",
        measure=reason_codes,
        params=ReasonParams,
        metrics=("adverse_explained", "sensitive_reason_rate", "no_reason_rate", "reason_frequency"),
        remediation=(
            "Give affected people the principal reasons for adverse decisions from the model itself; "
            "a sensitive attribute among the reasons is disparate treatment: remove it and retrain."
        ),
    ),
]
