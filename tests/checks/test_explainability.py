"""Transparency checks: SHAP importance, reliance on sensitive attributes and proxies, stability, reason codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext, NotApplicable
from conformance.checks.runner import run_check
from conformance.checks.shap_values import ExplainParams, column_map, explanation
from conformance.io.dataset import encode_predictions, prepare
from conformance.io.models import wrap_estimator

shap = pytest.importorskip("shap")

PLANTED = ["x0", "x1", "x2"]


def _context(frame, model, target="y", sensitive=(), seed=0, predictions_only=False) -> AuditContext:
    data = prepare(frame, target=target, sensitive=list(sensitive), exclude=["pred"] if predictions_only else None)
    if predictions_only:
        y_pred = encode_predictions(data, frame["pred"], "predictions")
        return AuditContext(data=data, y_pred=y_pred, scores=None, seed=seed)
    predictor = wrap_estimator(model)
    features = predictor.feature_names or data.features
    y_pred = encode_predictions(data, predictor.predict(frame[features]), "predictions")
    scores = predictor.predict_scores(frame[features], data.positive_label) if data.task == "binary" else None
    return AuditContext(data=data, y_pred=y_pred, scores=scores, seed=seed, predictor=predictor, model_features=features)


def _measure(ctx, check_id, **params):
    check = REGISTRY[check_id]
    outcome = run_check(check_id, check, check.params(**params), ctx)
    return outcome


def _value(outcome, metric, attribute=None):
    return next(m for m in outcome.measurements if m.metric == metric and m.attribute == attribute)


@pytest.fixture(scope="module")
def planted():
    """8 features, three informative (x0 strongest), one (zip_area) a near copy of the sensitive 'group'."""
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(3)
    n = 3000
    group = rng.choice(["a", "b"], n)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(6)})
    frame["zip_area"] = np.where(group == "a", 1.0, 0.0) + rng.normal(scale=0.3, size=n)
    frame["group"] = group
    logit = 2.5 * frame.x0 - 1.8 * frame.x1 + 1.2 * frame.x2 + 1.0 * frame.zip_area
    frame["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    features = [c for c in frame.columns if c.startswith("x")] + ["zip_area"]
    train, test = frame.iloc[:2000], frame.iloc[2000:].reset_index(drop=True)
    model = GradientBoostingClassifier(n_estimators=80, max_depth=3, random_state=0).fit(train[features], train.y)
    return model, test, features


def test_top_features_match_the_planted_ones_and_permutation_importance(planted):
    from sklearn.inspection import permutation_importance

    model, test, features = planted
    ctx = _context(test, model, sensitive=["group"])
    outcome = _measure(ctx, "explainability.global_importance", top_k=3)
    assert outcome.status == "ok", outcome.reason
    chart = _value(outcome, "mean_abs_shap").groups
    shap_top = [g.group for g in chart[:4]]
    assert set(PLANTED) <= set(shap_top)
    assert shap_top[0] == "x0"
    noise = {g.group: g.value for g in chart if g.group in ("x3", "x4", "x5")}
    assert max(noise.values()) < 0.25 * chart[0].value
    perm = permutation_importance(model, test[features], test.y, n_repeats=10, random_state=0)
    perm_order = [features[i] for i in np.argsort(-perm.importances_mean)]
    assert set(perm_order[:4]) == set(shap_top)
    from scipy.stats import spearmanr

    shap_values = {g.group: g.value for g in chart}
    rho = spearmanr([shap_values[f] for f in features], perm.importances_mean).statistic
    assert rho > 0.8
    assert "TreeExplainer" in _value(outcome, "mean_abs_shap").note
    assert _value(outcome, "additivity_error").value < 1e-8


def test_additivity_holds_on_the_explained_rows(planted):
    model, test, features = planted
    ctx = _context(test, model)
    explained = explanation(ctx, ExplainParams(sample_size=200))
    rebuilt = explained.base_value + explained.values.sum(axis=1)
    raw = model.decision_function(test[features].iloc[explained.rows])
    np.testing.assert_allclose(rebuilt, raw, atol=1e-8)
    assert len(explained.rows) == 200


def test_explanations_are_computed_once_per_audit(planted, monkeypatch):
    from conformance.checks import shap_values

    model, test, _ = planted
    ctx = _context(test, model, sensitive=["group"])
    calls = []
    real = shap_values.explain
    monkeypatch.setattr(shap_values, "explain", lambda *a, **k: calls.append(1) or real(*a, **k))
    for check_id in ("explainability.global_importance", "explainability.sensitive_reliance",
                     "explainability.stability", "explainability.reason_codes", "fairness.proxy_detection"):
        assert _measure(ctx, check_id).status == "ok"
    assert len(calls) == 1


def test_planted_proxy_is_flagged_and_counted_as_reliance(planted):
    model, test, _ = planted
    ctx = _context(test, model, sensitive=["group"])
    outcome = _measure(ctx, "fairness.proxy_detection")
    assert outcome.status == "ok", outcome.reason
    top = _value(outcome, "max_proxy_auc", "group")
    assert top.driver == "strongest proxy: zip_area" and top.value > 0.9
    assert {g.group: g.value for g in top.groups}["x3"] < 0.6
    assert _value(outcome, "proxy_count", "group").value == 1
    important = _value(outcome, "important_proxies", "group")
    assert important.value == 1 and "zip_area" in important.note
    reliance = _measure(ctx, "explainability.sensitive_reliance")
    assert _value(reliance, "sensitive_share", "group").value == 0.0
    assert "not a model input" in _value(reliance, "sensitive_share", "group").note
    assert _value(reliance, "proxy_share", "group").value > 0.05


def test_proxy_auc_ignores_a_memorising_identifier():
    from conformance.checks.proxies import discretise, single_feature_auc

    rng = np.random.default_rng(0)
    n = 5000
    group = rng.integers(0, 2, n)
    identifier = pd.Series([f"id{i}" for i in range(n)])
    levels = discretise(identifier, bins=10, max_levels=10_000)
    auc = single_feature_auc(levels, group, 2, rng.integers(0, 2, n))
    assert abs(auc - 0.5) < 0.05  # cross-fitting: a unique id carries no information


def test_stability_and_reason_codes(planted):
    model, test, _ = planted
    ctx = _context(test, model, sensitive=["group"])
    stable = _measure(ctx, "explainability.stability")
    assert _value(stable, "rank_correlation").value > 0.8
    assert 0 <= _value(stable, "top_k_overlap").value <= 1
    reasons = _measure(ctx, "explainability.reason_codes", max_reasons=2, examples=3)
    assert reasons.status == "ok", reasons.reason
    adverse = _value(reasons, "adverse_explained")
    assert adverse.value == float((ctx.y_pred[explanation(ctx, ExplainParams()).rows] == 0).sum())
    assert adverse.note.count("row ") == 3
    assert all(len(part.split(":")[1].split(",")) <= 2 for part in adverse.note.split("; ")[0].split("strongest first): ")[1:])
    frequency = _value(reasons, "reason_frequency")
    assert frequency.groups[0].group in PLANTED
    assert _value(reasons, "sensitive_reason_rate").value == 0.0  # 'group' is not a model input


def test_reason_code_examples_name_features_never_values(planted):
    model, test, features = planted
    ctx = _context(test, model, sensitive=["group"])
    reasons = _measure(ctx, "explainability.reason_codes", examples=10)
    note = _value(reasons, "adverse_explained").note
    examples = note.split("strongest first): ", 1)[1].split("; TreeExplainer", 1)[0].split("; ")
    assert len(examples) == 10
    for example in examples:
        row, cited = example.split(": ")
        assert row.startswith("row ") and int(row[4:]) < len(test)
        assert set(cited.split(", ")) <= set(features)


def test_demo_pipeline_maps_one_hot_columns_back(demo_model):
    model, _, test = demo_model
    features = list(model.feature_names_in_)
    pre = model[:-1]
    width = pre.transform(test[features].head(5)).shape[1]
    mapped = column_map(pre, features, width)
    assert mapped is not None and len(mapped) == width > len(features)
    assert set(mapped) == set(features)
    names = pre.get_feature_names_out()
    for name, original in zip(names, mapped):
        assert name.split("__", 1)[1].startswith(original)

    ctx = _context(test, model, target="risk", sensitive=["sex", "age_group"])
    explained = explanation(ctx, ExplainParams())
    assert explained.features == features and explained.values.shape == (len(test), len(features))
    assert explained.additivity_error < 1e-8
    outcome = _measure(ctx, "explainability.global_importance")
    assert "every row explained" in _value(outcome, "mean_abs_shap").note  # sample larger than the data
    reliance = _measure(ctx, "explainability.sensitive_reliance")
    assert _value(reliance, "sensitive_share", "sex").value > 0  # sex is a model input
    assert "age" in _value(reliance, "proxy_share", "age_group").note  # age stands in for age_group


def test_unseen_categorical_levels_do_not_crash(demo_model):
    model, _, test = demo_model
    frame = test.copy()
    frame["purpose"] = frame["purpose"].astype(object)
    frame.loc[:20, "purpose"] = "time travel"  # a level the encoder never saw
    ctx = _context(frame, model, target="risk", sensitive=["sex"])
    outcome = _measure(ctx, "explainability.global_importance")
    assert outcome.status == "ok", outcome.reason
    assert _value(outcome, "additivity_error").value < 1e-8


def test_predictions_only_is_not_applicable(planted):
    _, test, _ = planted
    frame = test.assign(pred=test.y)
    ctx = _context(frame, None, sensitive=["group"], predictions_only=True)
    for check_id in ("explainability.global_importance", "explainability.stability", "explainability.reason_codes"):
        outcome = _measure(ctx, check_id)
        assert outcome.status == "not_applicable"
        assert "predictions-only" in outcome.reason
    proxies = _measure(ctx, "fairness.proxy_detection")  # proxies need no model
    assert proxies.status == "ok"
    assert _value(proxies, "important_proxies", "group").value is None


def test_missing_shap_is_not_applicable(planted, monkeypatch):
    import builtins

    model, test, _ = planted
    ctx = _context(test, model)
    real_import = builtins.__import__

    def no_shap(name, *args, **kwargs):
        if name == "shap" or name.startswith("shap."):
            raise ImportError("No module named 'shap'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_shap)
    outcome = _measure(ctx, "explainability.global_importance")
    assert outcome.status == "not_applicable"
    assert "install conformance-audit[explain]" in outcome.reason


def test_linear_and_model_agnostic_paths_are_additive_and_agree():
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(5)
    n = 1200
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    frame["colour"] = rng.choice(["red", "green", "blue"], n)
    logit = 2 * frame.a - frame.b + (frame.colour == "red") * 1.5
    frame["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)

    linear = LogisticRegression().fit(frame[["a", "b", "c"]], frame.y)
    ctx = _context(frame.drop(columns="colour"), linear)
    explained = explanation(ctx, ExplainParams(sample_size=100))
    assert explained.explainer == "LinearExplainer"
    assert explained.additivity_error < 1e-8
    assert explained.features[int(np.argmax(explained.importance))] == "a"

    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    knn = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["colour"]), remainder="passthrough"),
        KNeighborsClassifier(n_neighbors=25),
    ).fit(frame[["a", "b", "c", "colour"]], frame.y)
    ctx = _context(frame, knn)
    explained = explanation(ctx, ExplainParams(sample_size=40, background_size=30))
    assert explained.explainer == "PermutationExplainer"
    assert explained.features == ["a", "b", "c", "colour"]
    assert explained.additivity_error < 1e-8
    assert explained.features[int(np.argmax(explained.importance))] == "a"
    assert "background rows" in explained.describe(ctx.data.rows)


def test_time_budget_stops_the_model_agnostic_explainer():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600)})
    frame["y"] = (frame.a > 0).astype(int)
    model = KNeighborsClassifier().fit(frame[["a", "b"]], frame.y)
    ctx = _context(frame, model)
    explained = explanation(ctx, ExplainParams(sample_size=500, background_size=20, time_budget_s=1e-6))
    assert 0 < len(explained.rows) < 500
    assert "time budget" in explained.describe(ctx.data.rows)


def test_regression_models_are_explained_in_prediction_space():
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=800), "b": rng.normal(size=800)})
    frame["y"] = 3 * frame.a + rng.normal(scale=0.1, size=800)
    model = RandomForestRegressor(n_estimators=20, random_state=0).fit(frame[["a", "b"]], frame.y)
    ctx = _context(frame, model, seed=1)
    outcome = _measure(ctx, "explainability.global_importance", sample_size=100)
    assert outcome.status == "ok", outcome.reason
    assert _value(outcome, "top_feature_share").driver == "most important: a"
    assert "output: prediction" in _value(outcome, "mean_abs_shap").note
    assert _value(outcome, "additivity_error").value < 1e-6


def test_positive_label_that_is_the_first_class_flips_the_sign(planted):
    from sklearn.ensemble import GradientBoostingClassifier

    _, test, features = planted
    frame = test.assign(y=np.where(test.y == 1, "approved", "denied"))
    model = GradientBoostingClassifier(n_estimators=30, random_state=0).fit(frame[features], frame.y)
    data = prepare(frame, target="y", sensitive=[], positive_label="approved")
    predictor = wrap_estimator(model)
    ctx = AuditContext(data=data, y_pred=encode_predictions(data, predictor.predict(frame[features]), "p"),
                       scores=None, seed=0, predictor=predictor, model_features=features)
    explained = explanation(ctx, ExplainParams(sample_size=100))
    log_odds_approved = -model.decision_function(frame[features].iloc[explained.rows])  # classes_ = [approved, denied]
    np.testing.assert_allclose(explained.base_value + explained.values.sum(axis=1), log_odds_approved, atol=1e-8)


def test_without_model_the_explanation_is_not_applicable(planted):
    _, test, _ = planted
    ctx = _context(test.assign(pred=test.y), None, predictions_only=True)
    with pytest.raises(NotApplicable):
        explanation(ctx, ExplainParams())
