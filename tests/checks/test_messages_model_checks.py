"""The transparency, privacy, reliability and robustness checks write catalogue messages, not English.

Every note, driver, group left out and not-applicable or error reason these checks produce on
real models carries its messages; the messages render the stored English exactly, and in Chinese
they leave no English sentence (the detector of ``tests/report/test_zh_every_profile.py``; code,
exception messages in backticks, options and the data's own names do not count).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext
from conformance.checks.runner import run_check
from conformance.io.dataset import encode_predictions, encode_scores, prepare
from conformance.io.models import wrap_estimator
from conformance.locale import Words
from conformance.result import CheckOutcome
from tests.checks.test_robustness import Raises
from tests.english import english_runs

pytest.importorskip("shap")

MODULES = ("explainability", "privacy", "reliability", "robustness")


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(shift, 1, n), rng.normal(5, 2, n)
    city = rng.choice(["north", "south", "east"], n)
    sex = rng.choice(["female", "male"], n)
    y = (x1 + 0.5 * (x2 - 5) + 0.3 * (sex == "male") + rng.normal(0, 0.5, n) > 0).astype(int)
    contact = [f"person{i}@example.org" for i in range(n)]
    return pd.DataFrame({"x1": x1, "x2": x2, "city": city, "sex": sex, "contact": contact, "y": y})


class Unsteady:
    """A model whose scores carry fresh noise at every call: its decisions near 0.5 change when asked again."""

    def __init__(self, model):
        self.model, self.rng = model, np.random.default_rng(0)
        self.feature_names_in_, self.classes_ = model.feature_names_in_, model.classes_

    def predict_proba(self, X):
        p = np.clip(self.model.predict_proba(X)[:, 1] + self.rng.normal(0, 0.1, len(X)), 0, 1)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def _context(model, frame, reference, sensitive=("sex",)) -> AuditContext:
    data = prepare(frame, target="y", sensitive=list(sensitive), exclude=["contact"])
    predictor = wrap_estimator(model)
    features = predictor.feature_names or data.features
    y_pred = encode_predictions(data, predictor.predict(frame[features]), "the model's predictions")
    scores = encode_scores(predictor.predict_scores(frame[features], data.positive_label), data.rows, "scores")
    ref = prepare(reference, target="y", sensitive=list(sensitive), exclude=["contact"], features=data.features)
    return AuditContext(data=data, y_pred=y_pred, scores=scores, seed=0, predictor=predictor, model_features=features, reference=ref)


@pytest.fixture(scope="module")
def outcomes() -> list[CheckOutcome]:
    """Each check of the four modules on real models, ordinary and failing, plus the cases where they do not apply."""
    frame, reference = _frame(600, 0, shift=0.8), _frame(700, 1)
    inputs = ["x1", "x2", "city", "sex"]
    pipeline = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city", "sex"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(reference[inputs], reference["y"])
    ordinary = _context(pipeline, frame, reference)
    failing = _context(Raises(pipeline, lambda X: X["x1"].isna().any() or (X["x2"] > 12).any()), frame, reference)
    unread = _context(make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(reference[["x1", "x2", "city"]], reference["y"]), frame, reference)
    runs = [
        (ordinary, {"explainability.global_importance": {"sample_size": 1000},
                    "explainability.stability": {"n_boot": 20}, "reliability.distribution_shift": {"psi_threshold": 0.05}}),
        (failing, {"explainability.global_importance": {"time_budget_s": 1e-6, "sample_size": 60},
                   "explainability.reason_codes": {"time_budget_s": 1e-6, "sample_size": 60},
                   "explainability.stability": {"time_budget_s": 1e-6, "sample_size": 60, "n_boot": 20},
                   "explainability.sensitive_reliance": {"time_budget_s": 1e-6, "sample_size": 60},
                   "robustness.noise": {"levels": [0.1, 3.0]}}),
        (unread, {"robustness.noise": {"ignore_columns": ["x1", "x2", "city"]},
                  "reliability.distribution_shift": {"ignore_columns": ["x1", "x2", "city", "sex"]}}),
    ]
    out = []
    for ctx, params in runs:
        for key, check in REGISTRY.items():
            if check.measure.__module__.rsplit(".", 1)[-1] in MODULES:  # reliability.calibration lives in performance
                out.append(run_check(key, check, check.params(**params.get(key, {})), ctx))
    def run(key, ctx, **params):
        check = REGISTRY[key]
        out.append(run_check(key, check, check.params(**params), ctx))

    # sampled rows, one repeat, a model that answers differently when asked again
    run("reliability.determinism", _context(Unsteady(pipeline), frame, reference), sample_size=100, repeats=1)
    # categorical features only; a feature missing on one side
    run("reliability.distribution_shift", ordinary, ignore_columns=["x1", "x2"])
    run("reliability.distribution_shift", _context(pipeline, frame, reference.assign(x2=np.nan)))
    # the model fails at every level
    run("robustness.noise", failing, levels=[3.0])
    # a numeric and a many-levelled attribute, one declared lawful
    aged = frame.assign(age=np.random.default_rng(3).integers(18, 80, len(frame)),
                        region=np.random.default_rng(4).choice([f"r{i}" for i in range(30)], len(frame)))
    aged_reference = reference.assign(age=np.random.default_rng(5).integers(18, 80, len(reference)),
                                      region=np.random.default_rng(6).choice([f"r{i}" for i in range(30)], len(reference)))
    wide = [*inputs, "age", "region"]
    aged_model = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city", "sex", "region"]), remainder="passthrough"),
        LogisticRegression(max_iter=500),
    ).fit(aged_reference[wide], aged_reference["y"])
    aged_ctx = _context(aged_model, aged, aged_reference, sensitive=("sex", "age", "region"))
    run("robustness.counterfactual_flip", aged_ctx, lawful_inputs=["sex"], sample_size=100)
    # every feature standing in for the attribute; no sensitive attribute; a constant model with no adverse decision
    run("explainability.sensitive_reliance", ordinary, proxy_auc=0.501)
    run("explainability.reason_codes", _context(pipeline, frame, reference, sensitive=()))
    constant = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city", "sex"]), remainder="passthrough"),
        DummyClassifier(strategy="constant", constant=1),
    ).fit(reference[inputs], reference["y"])
    for key in ("explainability.global_importance", "explainability.reason_codes"):
        run(key, _context(constant, frame, reference), sample_size=40, time_budget_s=5.0)
    typo = REGISTRY["robustness.missing_values"]
    out.append(run_check("typo", typo, typo.params(columns=["town"]), ordinary))
    lawful = REGISTRY["robustness.counterfactual_flip"]
    out.append(run_check("lawful", lawful, lawful.params(lawful_inputs=["sex"]), ordinary))
    return out


def _texts(outcome: CheckOutcome):
    """(English stored, messages, Chinese rendering) of every text the outcome carries."""
    en, zh = Words("en"), Words("zh")
    if outcome.reason:
        yield outcome.reason, outcome.reason_parts, zh.check_reason(outcome)
    for m in outcome.measurements:
        if m.note:
            yield m.note, m.note_parts, zh.note(m)
        if m.driver:
            yield m.driver, m.driver_parts, zh.driver(m)
        assert len(m.excluded_parts) == len(m.excluded_groups), (m.check, m.metric, m.excluded_groups)
        for stored, part, chinese in zip(m.excluded_groups, m.excluded_parts, zh.excluded(m)):
            yield stored, [part], chinese
    assert en  # the English catalogue loads


def test_the_runs_reach_the_cases_that_write_texts(outcomes):
    statuses = {(o.check, o.status) for o in outcomes}
    assert ("robustness.counterfactual_flip", "not_applicable") in statuses  # sensitive not read / declared lawful
    assert ("robustness.missing_values", "error") in statuses  # a column that is not a model input
    assert ("robustness.noise", "not_applicable") in statuses and ("reliability.distribution_shift", "not_applicable") in statuses
    def keys(value) -> set[str]:  # a message's key and those of the messages among its parameters
        if isinstance(value, list):
            return set().union(*map(keys, value))
        value = value.model_dump() if hasattr(value, "model_dump") else value
        if not isinstance(value, dict) or "key" not in value:
            return set()
        return {value["key"], *keys(list((value.get("params") or {}).values()))}

    found = keys([p for o in outcomes for p in [*o.reason_parts, *(q for m in o.measurements for q in
                                                                   [*m.note_parts, *m.driver_parts, *m.excluded_parts])]])
    for expected in ("time_budget", "permutations", "sample_exceeds", "model_failed", "fails_without", "largest_psi",
                     "drifted", "best_guess", "pii_found", "examples", "flips", "all_lawful", "not_a_model_input",
                     "one_repeat", "mismatched", "no_numeric", "no_ks_categorical", "no_ks_missing", "failed_every_level",
                     "quantiles", "most_frequent", "lawful_skipped", "proxies", "no_sensitive_undefined", "constant_model",
                     "no_adverse", "on_sample"):
        assert any(k.endswith(f".{expected}") for k in found), expected


def test_every_text_has_its_messages_and_they_render_the_stored_english(outcomes):
    en = Words("en")
    seen = 0
    for outcome in outcomes:
        for stored, said, _ in _texts(outcome):
            assert said, (outcome.key, outcome.check, stored)
            assert en.parts(said) == stored
            assert all(p.key.split(".")[1] in MODULES for p in said if p.key.startswith("note.") and "runner" not in p.key)
            seen += 1
    assert seen > 60


def test_no_english_sentence_is_left_in_chinese(outcomes):
    names = ["x1", "x2", "city", "sex", "age", "region", "contact", "female", "male", "north", "south", "east", "email"]
    left = {}
    for outcome in outcomes:
        for _, _, chinese in _texts(outcome):
            text = chinese
            for name in names:
                text = re.sub(rf"(?<!\w){name}(?!\w)", " ", text)
            found = english_runs(text)
            if found:
                left[chinese] = found
    assert left == {}


def test_a_chart_gives_a_left_out_groups_reason_in_the_reports_language(outcomes):
    from conformance.report.charts import group_chart

    m = next(m for o in outcomes if o.check == "robustness.missing_values" and o.status == "ok"
             for m in o.measurements if m.excluded_groups)
    english, chinese = group_chart("c", m, Words("en")), group_chart("c", m, Words("zh"))
    assert "x1: — n=600 (the model&#x27;s predict raised ValueError" in english
    assert "x1: — n=600 (x1：`the model&#x27;s predict raised ValueError" in chinese
