"""robustness.* checks with real models: noise curves, blanked inputs, counterfactual flips, failures as findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from conformance import api
from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext, NotApplicable
from conformance.checks.robustness import NoiseParams, _perturb, _perturbable
from conformance.checks.runner import run_check
from conformance.errors import DataError
from conformance.io.dataset import encode_predictions, encode_scores, prepare
from conformance.io.models import wrap_estimator


def make_context(frame, model, target="y", sensitive=(), reference=None, seed=0):
    data = prepare(frame, target=target, sensitive=list(sensitive))
    predictor = wrap_estimator(model)
    features = predictor.feature_names or data.features
    y_pred = encode_predictions(data, predictor.predict(frame[features]), "the model's predictions")
    scores = predictor.predict_scores(frame[features], data.positive_label)
    scores = None if scores is None else encode_scores(scores, data.rows, "scores")
    ref = None
    if reference is not None:
        ref = prepare(reference, target=target, sensitive=list(sensitive), features=data.features)
    return AuditContext(data=data, y_pred=y_pred, scores=scores, seed=seed, predictor=predictor,
                        model_features=features, reference=ref)


def measure(check_id, ctx, **params):
    check = REGISTRY[check_id]
    out = check.measure(ctx, check.params(**params))
    return {(m.metric, m.attribute) if m.attribute else m.metric: m for m in out}


def numeric_frame(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(0, 1, n), rng.normal(5, 2, n)
    y = (x1 + 0.5 * (x2 - 5) + rng.normal(0, 0.5, n) > 0).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": y})


@pytest.fixture(scope="module")
def logistic():
    frame = numeric_frame()
    model = LogisticRegression().fit(frame[["x1", "x2"]], frame["y"])
    return frame, model


class Raises:
    """A model wrapper that raises when an input column has a value it refuses."""

    def __init__(self, model, refuse):
        self.model, self.refuse = model, refuse
        self.feature_names_in_ = model.feature_names_in_
        self.classes_ = model.classes_

    def _guard(self, X):
        if self.refuse(X):
            raise ValueError("refused input")

    def predict(self, X):
        self._guard(X)
        return self.model.predict(X)

    def predict_proba(self, X):
        self._guard(X)
        return self.model.predict_proba(X)


# --- noise ------------------------------------------------------------------------------------


def test_noise_level_zero_flips_nothing_and_flip_rate_grows_with_level(logistic):
    frame, model = logistic
    out = measure("robustness.noise", make_context(frame, model), levels=[0.0, 0.1, 0.5, 2.0])
    flips = [g.value for g in out["max_flip_rate"].groups]
    assert [g.group for g in out["max_flip_rate"].groups] == ["level 0", "level 0.1", "level 0.5", "level 2"]
    assert flips[0] == 0.0
    assert out["max_accuracy_drop"].groups[0].value == 0.0
    assert out["max_mean_score_change"].groups[0].value == 0.0
    assert all(a < b for a, b in zip(flips, flips[1:])), flips
    assert out["max_flip_rate"].value == flips[-1] > 0.2
    assert out["max_accuracy_drop"].value > 0.1  # 2 standard deviations of noise hurt accuracy
    ci = out["max_flip_rate"].ci
    assert ci.low <= flips[-1] <= ci.high
    assert "all 3,000 rows" in out["max_flip_rate"].note


def test_noise_flip_rate_matches_a_direct_computation(logistic):
    """Same seeded noise, applied by hand: the flip rate is the share of changed predictions."""
    frame, model = logistic
    ctx = make_context(frame, model, seed=3)
    params = NoiseParams(levels=[0.3], n_boot=0)
    out = measure("robustness.noise", ctx, levels=[0.3], n_boot=0)
    rng = ctx.rng("robustness.noise")
    columns, _ = _perturbable(ctx, ())
    noisy = _perturb(frame[["x1", "x2"]], columns, 0.3, params.swap_scale, rng)
    assert np.abs(noisy["x1"] - frame["x1"]).std() == pytest.approx(0.3 * frame["x1"].std() * np.sqrt(1 - 2 / np.pi), rel=0.1)
    expected = np.mean(model.predict(noisy) != model.predict(frame[["x1", "x2"]]))
    assert out["max_flip_rate"].value == pytest.approx(expected)
    assert out["max_flip_rate"].ci is None


def test_noise_is_seeded(logistic):
    frame, model = logistic
    a = measure("robustness.noise", make_context(frame, model, seed=1), sample_size=500)
    b = measure("robustness.noise", make_context(frame, model, seed=1), sample_size=500)
    c = measure("robustness.noise", make_context(frame, model, seed=2), sample_size=500)
    assert a == b
    assert a["max_flip_rate"].groups != c["max_flip_rate"].groups
    assert "sample of 500 of the 3,000 rows" in a["max_flip_rate"].note


def test_category_swaps_go_to_other_observed_levels_and_integers_stay_integers():
    rng = np.random.default_rng(0)
    n = 4000
    frame = pd.DataFrame({
        "colour": pd.Series(rng.choice(["red", "green", "blue"], n), dtype="str"),
        "kind": pd.Categorical(rng.choice(["a", "b"], n)),
        "count": rng.integers(0, 20, n),
        "flag": rng.choice([True, False], n),
        "y": rng.integers(0, 2, n),
    })
    frame.loc[:99, "colour"] = None
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["colour", "kind", "flag"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(frame.drop(columns="y"), frame["y"])
    ctx = make_context(frame, model)
    columns, unchanged = _perturbable(ctx, ())
    assert unchanged == []
    inputs = frame.drop(columns="y")
    noisy = _perturb(inputs, columns, 1.0, 0.5, np.random.default_rng(1))
    changed = noisy["colour"] != inputs["colour"]
    known = inputs["colour"].notna()
    assert changed[known].mean() == pytest.approx(0.5, abs=0.03)  # swap probability min(1, 0.5 × 1)
    assert noisy["colour"][~known].isna().all()  # missing values are not swapped
    assert set(noisy["colour"].dropna()) <= {"red", "green", "blue"}
    assert noisy["colour"].dtype == inputs["colour"].dtype and noisy["kind"].dtype == inputs["kind"].dtype
    assert set(noisy["kind"]) <= {"a", "b"} and (noisy["kind"] != inputs["kind"]).mean() == pytest.approx(0.5, abs=0.03)
    assert noisy["flag"].dtype == bool
    assert noisy["count"].dtype == inputs["count"].dtype and (noisy["count"] != inputs["count"]).any()
    no_swaps = _perturb(inputs, columns, 1.0, 0.0, np.random.default_rng(1))
    assert no_swaps["colour"].equals(inputs["colour"])


def test_swaps_alone_flip_a_model_that_reads_only_categories():
    rng = np.random.default_rng(0)
    n = 2000
    colour = rng.choice(["red", "green", "blue"], n)
    frame = pd.DataFrame({"colour": colour, "y": (colour == "red").astype(int)})
    model = make_pipeline(OneHotEncoder(), LogisticRegression()).fit(frame[["colour"]], frame["y"])
    out = measure("robustness.noise", make_context(frame, model), levels=[0.0, 1.0], swap_scale=0.5)
    assert [g.value for g in out["max_flip_rate"].groups][0] == 0.0
    # a swap flips a decision exactly when it moves a row into or out of 'red': 2/3 of swapped rows
    assert out["max_flip_rate"].value == pytest.approx(0.5 * 2 / 3, abs=0.04)
    assert "swaps on 1 categorical inputs" in out["max_flip_rate"].note


def test_noise_leaves_constant_and_missing_inputs_alone_and_needs_something_to_perturb(logistic):
    frame, model = logistic
    frame = frame.assign(const=1.0, empty=np.nan)
    model = make_pipeline(make_column_transformer(("drop", ["const", "empty"]), remainder="passthrough"), LogisticRegression())
    model.fit(frame[["x1", "x2", "const", "empty"]], frame["y"])
    out = measure("robustness.noise", make_context(frame, model))
    assert "left unchanged (constant or missing): const, empty" in out["max_flip_rate"].note
    assert out["max_flip_rate"].value > 0
    with pytest.raises(DataError, match="did you mean 'const'"):
        measure("robustness.noise", make_context(frame, model), ignore_columns=["cost"])
    flat = frame.assign(x1=0.0, x2=3.0)
    model = LogisticRegression().fit(flat[["x1", "x2"]], flat["y"])
    with pytest.raises(NotApplicable, match="no model input can be perturbed"):
        measure("robustness.noise", make_context(flat, model))


def test_a_level_the_model_fails_on_is_a_finding(logistic):
    frame, model = logistic
    # refuses x2 below -1: never in the data (x2 ~ N(5, 2) clipped), reached only with large noise
    frame = frame.assign(x2=frame["x2"].clip(0, None))
    fussy = Raises(LogisticRegression().fit(frame[["x1", "x2"]], frame["y"]), lambda X: (X["x2"] < -1).any())
    ctx = make_context(frame, fussy)
    outcome = run_check("k", REGISTRY["robustness.noise"], NoiseParams(levels=[0.0, 3.0]), ctx)
    assert outcome.status == "ok"
    flip = next(m for m in outcome.measurements if m.metric == "max_flip_rate")
    assert flip.value == 0.0
    assert flip.groups[1].value is None
    assert flip.excluded_groups == ["level 3: the model's predict raised ValueError: refused input"]


def test_robustness_needs_the_model(predictions_frame):
    data = prepare(predictions_frame, target="approved", sensitive=["sex"], positive_label="yes", exclude=["decision", "score"])
    ctx = AuditContext(data=data, y_pred=encode_predictions(data, predictions_frame["decision"], "p"), scores=None, seed=0)
    for check_id in ("robustness.noise", "robustness.missing_values", "robustness.counterfactual_flip", "reliability.determinism"):
        with pytest.raises(NotApplicable, match="predictions-only"):
            measure(check_id, ctx)


# --- missing values ---------------------------------------------------------------------------


def test_a_model_that_raises_on_missing_input_is_recorded_per_feature_not_a_crash(logistic):
    frame, model = logistic
    ctx = make_context(frame, model)  # LogisticRegression refuses NaN
    outcome = run_check("k", REGISTRY["robustness.missing_values"], REGISTRY["robustness.missing_values"].params(), ctx)
    assert outcome.status == "ok"
    out = {m.metric: m for m in outcome.measurements}
    assert out["failing_features"].value == 2
    assert {g.group: g.value for g in out["failing_features"].groups} == {"x1": 1.0, "x2": 1.0}
    assert "Input X contains NaN" in out["failing_features"].driver
    assert out["max_flip_rate"].value is None and "failed on every input" in out["max_flip_rate"].note
    assert len(out["max_flip_rate"].excluded_groups) == 2


def test_missing_values_with_a_model_that_handles_them(logistic):
    frame, _ = logistic
    frame = frame.assign(noise=np.random.default_rng(5).normal(0, 1, len(frame)))
    model = HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(frame[["x1", "x2", "noise"]], frame["y"])
    out = measure("robustness.missing_values", make_context(frame, model))
    assert out["failing_features"].value == 0 and out["failing_features"].driver is None
    rates = {g.group: g.value for g in out["max_flip_rate"].groups}
    blanked = frame[["x1", "x2", "noise"]].assign(x1=np.nan)
    assert rates["x1"] == pytest.approx(np.mean(model.predict(blanked) != model.predict(frame[["x1", "x2", "noise"]])))
    assert rates["x1"] > rates["noise"]  # the strong feature matters more than the noise one
    assert out["max_flip_rate"].value == max(rates.values())
    assert out["max_flip_rate"].excluded_groups == []


def test_missing_values_only_some_features_fail_and_columns_param():
    rng = np.random.default_rng(0)
    n = 1500
    frame = pd.DataFrame({"a": rng.normal(size=n), "city": rng.choice(["x", "y"], n), "y": rng.integers(0, 2, n)})
    base = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(frame[["a", "city"]], frame["y"])
    model = Raises(base, lambda X: X["a"].isna().any())
    out = measure("robustness.missing_values", make_context(frame, model))
    assert out["failing_features"].value == 1
    assert [g.group for g in out["max_flip_rate"].groups if g.value is not None] == ["city"]
    assert out["max_flip_rate"].excluded_groups == ["a: the model's predict raised ValueError: refused input"]
    only = measure("robustness.missing_values", make_context(frame, model), columns=["city"])
    assert only["failing_features"].value == 0
    with pytest.raises(DataError, match="not a model input"):
        measure("robustness.missing_values", make_context(frame, model), columns=["town"])


# --- counterfactual flip ----------------------------------------------------------------------


def _sex_frame(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n)
    income = rng.normal(50, 10, n)
    y = ((income - 50) / 10 + (sex == "male") * 1.0 + rng.normal(0, 0.5, n) > 0.5).astype(int)
    return pd.DataFrame({"sex": sex, "income": income, "y": y})


def test_counterfactual_flip_is_zero_for_a_model_that_ignores_the_attribute():
    frame = _sex_frame()
    blind = make_pipeline(make_column_transformer(("drop", ["sex"]), remainder="passthrough"), LogisticRegression())
    blind.fit(frame[["sex", "income"]], frame["y"])
    out = measure("robustness.counterfactual_flip", make_context(frame, blind, sensitive=["sex"]))
    assert out[("flip_rate", "sex")].value == 0.0
    assert out[("mean_score_change", "sex")].value == 0.0
    assert {g.group for g in out[("flip_rate", "sex")].groups} == {"set to female", "set to male"}


def test_counterfactual_flip_is_positive_for_a_model_that_uses_it_and_matches_a_direct_count():
    frame = _sex_frame()
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["sex"]), remainder="passthrough"), LogisticRegression()
    ).fit(frame[["sex", "income"]], frame["y"])
    out = measure("robustness.counterfactual_flip", make_context(frame, model, sensitive=["sex"]))
    X = frame[["sex", "income"]]
    swapped = X.assign(sex=np.where(X["sex"] == "male", "female", "male"))
    expected = np.mean(model.predict(swapped) != model.predict(X))
    flip = out[("flip_rate", "sex")]
    assert flip.value == pytest.approx(expected) and expected > 0.1
    assert flip.ci.low <= flip.value <= flip.ci.high
    groups = {g.group: g for g in flip.groups}
    males = (X["sex"] == "male").to_numpy()
    assert groups["set to female"].n == males.sum()
    assert groups["set to female"].value == pytest.approx(np.mean(model.predict(swapped[males]) != model.predict(X[males])))
    assert "changes to the positive label" in flip.driver


def test_counterfactual_flip_not_applicable_when_no_sensitive_attribute_is_an_input():
    frame = _sex_frame()
    model = LogisticRegression().fit(frame[["income"]], frame["y"])
    with pytest.raises(NotApplicable, match="no sensitive attribute is a model input"):
        measure("robustness.counterfactual_flip", make_context(frame, model, sensitive=["sex"]))
    with pytest.raises(NotApplicable, match="no sensitive attribute given"):
        measure("robustness.counterfactual_flip", make_context(frame, model))


def test_counterfactual_flip_not_applicable_for_a_lawful_input_with_the_reason():
    frame = _sex_frame()
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["sex"]), remainder="passthrough"), LogisticRegression()
    ).fit(frame[["sex", "income"]], frame["y"])
    with pytest.raises(NotApplicable, match="declared lawful inputs"):
        measure("robustness.counterfactual_flip", make_context(frame, model, sensitive=["sex"]), lawful_inputs=("sex",))
    ctx = make_context(frame, model, sensitive=["sex"])
    ctx.model_card = {"lawful_inputs": ["sex"]}  # declared in the model card instead
    with pytest.raises(NotApplicable, match="meant to change decisions"):
        measure("robustness.counterfactual_flip", ctx)


def test_counterfactual_values_of_a_numeric_attribute_are_capped(logistic):
    frame, model = logistic
    ctx = make_context(frame.assign(x1=frame["x1"].round(2)), model, sensitive=["x1"])
    out = measure("robustness.counterfactual_flip", ctx, max_values=5, sample_size=200)
    flip = out[("flip_rate", "x1")]
    assert len(flip.groups) == 5 and "5 quantiles" in flip.note
    assert flip.value > 0


# --- end to end -------------------------------------------------------------------------------

PROFILE = """\
id: robustness-test
title: Robustness test profile
version: "1"
source:
  title: test
  citation: test
requirements:
  - {id: noise, clause: "1", title: noise, principle: robustness, severity: minor, check: robustness.noise,
     metric: max_flip_rate, params: {sample_size: 200}, threshold: {max: 0.5, origin: tool-default}}
  - {id: missing, clause: "2", title: missing, principle: robustness, severity: minor, check: robustness.missing_values,
     metric: failing_features, params: {sample_size: 200}, threshold: {max: 0, origin: tool-default}}
  - {id: cf, clause: "3", title: cf, principle: fairness, severity: minor, check: robustness.counterfactual_flip,
     metric: flip_rate, params: {sample_size: 200}, threshold: {max: 0.5, origin: tool-default}}
  - {id: det, clause: "4", title: det, principle: reliability, severity: minor, check: reliability.determinism,
     metric: mismatch_rate, threshold: {max: 0, origin: tool-default}}
  - {id: shift, clause: "5", title: shift, principle: reliability, severity: minor, check: reliability.distribution_shift,
     metric: max_psi, threshold: {max: 0.25, origin: tool-default}}
  - {id: mia, clause: "6", title: mia, principle: privacy, severity: minor, check: privacy.membership_inference,
     metric: advantage, params: {n_boot: 200}, threshold: {max: 0.3, origin: tool-default}}
  - {id: overlap, clause: "7", title: overlap, principle: data, severity: minor, check: data.overlap,
     metric: overlap_rows, threshold: {max: 0, origin: tool-default}}
"""


def test_end_to_end_with_the_demo_model_and_its_training_data(tmp_path, demo_model):
    model, train, test = demo_model
    profile = tmp_path / "robustness-test.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    result = api.audit(test, target="risk", sensitive=["sex"], model=model, profiles=[str(profile)], reference=train)
    outcomes = {c.check: c for c in result.evidence.checks}
    assert {c: o.status for c, o in outcomes.items()} == dict.fromkeys(outcomes, "ok"), [o.reason for o in outcomes.values()]
    values = {(m.check, m.metric, m.attribute): m.value for o in outcomes.values() for m in o.measurements}
    assert values[("robustness.counterfactual_flip", "flip_rate", "sex")] > 0  # the demo model reads sex
    assert values[("reliability.determinism", "mismatch_rate", None)] == 0
    assert values[("data.overlap", "overlap_rows", None)] == 0
    assert values[("privacy.membership_inference", "advantage", None)] > 0
    assert values[("robustness.missing_values", "failing_features", None)] >= 1  # numeric NaN breaks the demo model
    verdicts = {r.id: r.verdict for r in result.evidence.requirements}
    assert verdicts["missing"] == "fail" and verdicts["det"] == "pass" and verdicts["overlap"] == "pass"
    # no reference: the checks that need it do not apply
    without = api.audit(test, target="risk", sensitive=["sex"], model=model, profiles=[str(profile)])
    status = {c.check: (c.status, c.reason) for c in without.evidence.checks}
    for check_id in ("reliability.distribution_shift", "privacy.membership_inference", "data.overlap"):
        assert status[check_id] == ("not_applicable", "needs reference (training) data: give --reference FILE")
