"""reliability.determinism and reliability.distribution_shift: KS against scipy, PSI by hand, a random model caught."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.linear_model import LinearRegression, LogisticRegression

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext, NotApplicable
from conformance.checks.reliability import level_counts, numeric_bins, psi
from conformance.io.dataset import encode_predictions, prepare
from conformance.io.models import wrap_estimator


def measure(check_id, ctx, **params):
    check = REGISTRY[check_id]
    return {m.metric: m for m in check.measure(ctx, check.params(**params))}


def shift_context(frame, reference, target="y"):
    data = prepare(frame, target=target, sensitive=[])
    ref = prepare(reference, target=target, sensitive=[], features=data.features)
    return AuditContext(data=data, y_pred=None, scores=None, seed=0, reference=ref)


def model_context(frame, model, target="y", seed=0, with_predictions=True):
    data = prepare(frame, target=target, sensitive=[], task="regression" if target == "t" else "auto")
    predictor = wrap_estimator(model)
    features = [c for c in frame.columns if c not in (target,)]
    y_pred = scores = None
    if with_predictions:
        labels = predictor.predict(frame[features])
        y_pred = encode_predictions(data, labels, "p")
        scores = predictor.predict_scores(frame[features], data.positive_label) if data.task == "binary" else None
    return AuditContext(data=data, y_pred=y_pred, scores=scores, seed=seed, predictor=predictor, model_features=features)


# --- distribution shift -----------------------------------------------------------------------


def _frames(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    reference = pd.DataFrame({
        "age": rng.normal(40, 10, n),
        "income": rng.lognormal(3, 0.5, n),
        "city": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
        "y": rng.integers(0, 2, n),
    })
    current = pd.DataFrame({
        "age": rng.normal(45, 10, n),  # shifted by half a standard deviation
        "income": rng.lognormal(3, 0.5, n),  # unchanged
        "city": rng.choice(["a", "b", "c"], n, p=[0.2, 0.3, 0.5]),  # shifted
        "y": rng.integers(0, 2, n),
    })
    current.loc[:199, "income"] = np.nan
    reference.loc[3800:, "income"] = np.nan  # as often missing as in the reference: no drift
    return reference, current


def test_ks_matches_scipy_per_feature():
    reference, current = _frames()
    out = measure("reliability.distribution_shift", shift_context(current, reference))
    ks = {g.group: g.value for g in out["max_ks"].groups}
    assert set(ks) == {"age", "income"}
    for name in ks:
        expected = ks_2samp(reference[name].dropna(), current[name].dropna()).statistic
        assert ks[name] == pytest.approx(expected, abs=1e-12)
    assert out["max_ks"].value == ks["age"] and "age" in out["max_ks"].driver
    assert "no KS statistic for categorical features: city" in out["max_ks"].note
    assert out["max_ks"].excluded_groups == []  # categorical features are not 'left out' of a pass


def test_psi_by_hand_on_a_small_example():
    # reference 1..10, two quantile bins at the median 5.5: (-inf, 5.5] and (5.5, inf)
    expected_counts, actual_counts = numeric_bins(np.arange(1.0, 11.0), np.array([1, 2, 3, 4, 5, 6, 7, 8, np.nan, np.nan]), 2)
    assert expected_counts.tolist() == [5, 5, 0] and actual_counts.tolist() == [5, 3, 2]
    e = np.array([0.5, 0.5, 1e-4])
    a = np.array([0.5, 0.3, 0.2])
    by_hand = (0.5 - 0.5) * np.log(1) + (0.3 - 0.5) * np.log(0.3 / 0.5) + (0.2 - 1e-4) * np.log(0.2 / 1e-4)
    assert psi(expected_counts, actual_counts) == pytest.approx(by_hand) == pytest.approx(np.sum((a - e) * np.log(a / e)))
    # through the check: a feature with these values, and a categorical one by hand
    reference = pd.DataFrame({"x": np.arange(1.0, 11.0), "c": list("aaaaabbbbb"), "y": [0, 1] * 5})
    current = pd.DataFrame({"x": [1, 2, 3, 4, 5, 6, 7, 8, np.nan, np.nan], "c": list("aaabbbbbbb"), "y": [0, 1] * 5})
    out = measure("reliability.distribution_shift", shift_context(current, reference), n_bins=2)
    values = {g.group: g.value for g in out["max_psi"].groups}
    assert values["x"] == pytest.approx(by_hand)
    assert values["c"] == pytest.approx((0.3 - 0.5) * np.log(0.3 / 0.5) + (0.7 - 0.5) * np.log(0.7 / 0.5))


def test_psi_of_identical_samples_is_zero_and_bins_are_reference_quantiles():
    rng = np.random.default_rng(1)
    x = rng.normal(size=10_000)
    ref_counts, cur_counts = numeric_bins(x, x, 10)
    assert ref_counts[:-1].tolist() == [1000] * 10 and ref_counts[-1] == 0
    assert psi(ref_counts, cur_counts) == 0.0


def test_drifted_features_are_flagged_by_the_threshold_only():
    reference, current = _frames()
    out = measure("reliability.distribution_shift", shift_context(current, reference))
    psis = {g.group: g.value for g in out["max_psi"].groups}
    assert psis["city"] > 0.2 and psis["age"] > 0.2 and psis["income"] < 0.1
    assert out["drifted_features"].value == 2
    assert [g.group for g in out["drifted_features"].groups] == sorted(["city", "age"], key=lambda n: -psis[n])
    strict = measure("reliability.distribution_shift", shift_context(current, reference), psi_threshold=0.0001)
    assert strict["drifted_features"].value == 3
    assert strict["max_psi"].value == out["max_psi"].value  # the threshold does not change the metrics
    ignored = measure("reliability.distribution_shift", shift_context(current, reference), ignore_columns=["city", "age"])
    assert ignored["drifted_features"].value == 0


def test_missingness_is_drift_and_constant_and_empty_columns_are_handled():
    reference, current = _frames()
    reference = reference.assign(const=1.0, empty=np.nan, half=np.where(np.arange(len(reference)) % 2, 1.0, np.nan))
    current = current.assign(const=1.0, empty=np.nan, half=np.nan)
    out = measure("reliability.distribution_shift", shift_context(current, reference))
    psis = {g.group: g.value for g in out["max_psi"].groups}
    assert psis["const"] == 0.0 and psis["empty"] == 0.0
    assert psis["half"] == pytest.approx(psi(np.array([2000, 2000]), np.array([0, 4000])))
    ks = {g.group: g.value for g in out["max_ks"].groups}
    assert ks["const"] == 0.0 and "empty" not in ks and "half" not in ks
    assert "missing on one side: empty, half" in out["max_ks"].note


def test_categorical_levels_beyond_the_cap_are_pooled():
    ref = pd.Series(list("aaaabbbccd"))
    cur = pd.Series(list("aaaabbbxyz"))
    ref_counts, cur_counts, pooled = level_counts(ref, cur, 2)
    assert ref_counts.tolist() == [4, 3, 3] and cur_counts.tolist() == [4, 3, 3] and pooled == 2


def test_distribution_shift_needs_reference_data():
    reference, current = _frames()
    ctx = shift_context(current, reference)
    ctx.reference = None
    with pytest.raises(NotApplicable, match="--reference"):
        measure("reliability.distribution_shift", ctx)


# --- determinism ------------------------------------------------------------------------------


class Coin:
    """A classifier whose probabilities are noisy: the same row can get another label."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_
        self.feature_names_in_ = model.feature_names_in_
        self.rng = np.random.default_rng()

    def predict_proba(self, X):
        p = np.clip(self.model.predict_proba(X)[:, 1] + self.rng.normal(0, 0.2, len(X)), 0, 1)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def _classification(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x.sum(axis=1) + rng.normal(0, 1, n) > 0).astype(int)})


def test_a_deterministic_model_has_no_mismatch():
    frame = _classification()
    model = LogisticRegression().fit(frame[["a", "b"]], frame["y"])
    out = measure("reliability.determinism", model_context(frame, model))
    assert out["mismatch_rate"].value == 0.0 and out["max_score_difference"].value == 0.0
    assert "2 repeats" in out["mismatch_rate"].note


def test_a_random_model_is_caught():
    frame = _classification()
    coin = Coin(LogisticRegression().fit(frame[["a", "b"]], frame["y"]))
    out = measure("reliability.determinism", model_context(frame, coin), sample_size=500)
    assert out["mismatch_rate"].value > 0.05
    assert out["max_score_difference"].value > 0.2
    assert "sample of 500 of the 2,000 rows" in out["mismatch_rate"].note
    assert "rows got a different prediction" in out["mismatch_rate"].driver
    # without the audit's own predictions, a first run is the baseline
    alone = measure("reliability.determinism", model_context(frame, coin, with_predictions=False), repeats=1)
    assert alone["mismatch_rate"].value > 0.05


def test_determinism_of_a_regression_model():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=500), "t": rng.normal(size=500)})
    model = LinearRegression().fit(frame[["a"]], frame["t"])
    out = measure("reliability.determinism", model_context(frame, model, target="t"))
    assert out["mismatch_rate"].value == 0.0 and out["max_score_difference"].value == pytest.approx(0.0, abs=1e-12)


def test_determinism_without_scores():
    from sklearn.svm import LinearSVC

    frame = _classification()
    model = LinearSVC().fit(frame[["a", "b"]], frame["y"])
    out = measure("reliability.determinism", model_context(frame, model))
    assert out["mismatch_rate"].value == 0.0
    assert out["max_score_difference"].value is None and "no scores" in out["max_score_difference"].note
