"""performance.classification losses, performance.regression, reliability.calibration and
performance.worst_slice against scikit-learn, pandas and hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.calibration import calibration_curve

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext, NotApplicable
from conformance.checks.runner import run_check
from conformance.errors import DataError
from conformance.io.dataset import prepare


def _context(frame, y_pred=None, scores=None, target="y", sensitive=(), task="auto", seed=0):
    data = prepare(frame, target=target, sensitive=list(sensitive), task=task)
    return AuditContext(data=data, y_pred=y_pred, scores=scores, seed=seed)


def _measure(check_id, ctx, **params):
    check = REGISTRY[check_id]
    return check.measure(ctx, check.params(**params))


def _by_metric(measurements):
    return {m.metric: m for m in measurements}


# --- log loss and Brier score -----------------------------------------------------------------


def _binary(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    scores = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    return y, scores, (scores > 0.5).astype(np.int8)


@pytest.mark.parametrize("seed", [0, 1])
def test_log_loss_and_brier_match_sklearn(seed):
    y, scores, y_pred = _binary(seed)
    ctx = _context(pd.DataFrame({"y": y}), y_pred, scores)
    out = _by_metric(_measure("performance.classification", ctx, n_boot=200))
    assert out["log_loss"].value == pytest.approx(metrics.log_loss(y, scores), rel=1e-12)
    assert out["brier"].value == pytest.approx(metrics.brier_score_loss(y, scores), rel=1e-12)
    for name in ("log_loss", "brier"):
        assert out[name].ci.low < out[name].value < out[name].ci.high
        assert out[name].note is None
    assert {"accuracy", "roc_auc", "f1"} <= set(out)


def test_scores_of_exactly_zero_and_one_are_clipped_as_sklearn_does():
    y = np.array([0, 1, 1, 0, 1, 0])
    scores = np.array([0.0, 1.0, 0.0, 1.0, 0.7, 0.2])
    ctx = _context(pd.DataFrame({"y": y}), (scores > 0.5).astype(np.int8), scores)
    out = _by_metric(_measure("performance.classification", ctx, n_boot=0))
    assert out["log_loss"].value == pytest.approx(metrics.log_loss(y, scores), rel=1e-9)
    assert out["log_loss"].ci is None


def test_scores_outside_unit_interval_omit_the_losses_with_a_note():
    y, scores, y_pred = _binary()
    margins = scores * 6 - 3  # decision-function scores
    ctx = _context(pd.DataFrame({"y": y}), y_pred, margins)
    out = _by_metric(_measure("performance.classification", ctx, n_boot=50))
    for name in ("log_loss", "brier"):
        assert out[name].value is None and out[name].ci is None
        assert "outside [0, 1]" in out[name].note
    assert out["roc_auc"].value == pytest.approx(metrics.roc_auc_score(y, margins))
    assert out["accuracy"].value == pytest.approx(metrics.accuracy_score(y, y_pred))


def test_large_data_bootstraps_a_bounded_seeded_subsample():
    y, scores, y_pred = _binary(n=150_000)
    ctx = _context(pd.DataFrame({"y": y}), y_pred, scores)
    first = _by_metric(_measure("performance.classification", ctx, n_boot=30))
    again = _by_metric(_measure("performance.classification", ctx, n_boot=30))
    brier = first["brier"]
    assert "subsample of 100,000 of the 150,000 rows" in brier.note
    assert brier.value == pytest.approx(metrics.brier_score_loss(y, scores))
    assert brier.ci.low < brier.value < brier.ci.high
    assert brier.ci == again["brier"].ci  # seeded


# --- regression -------------------------------------------------------------------------------


def _regression(seed=0, n=1500):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 100 + 3 * x + rng.normal(size=n)  # an offset: R² must be computed around the mean stably
    return y, y + rng.normal(scale=0.8, size=n) + 0.2


@pytest.mark.parametrize("seed", [0, 1])
def test_regression_matches_sklearn(seed):
    y, y_pred = _regression(seed)
    ctx = _context(pd.DataFrame({"y": y}), y_pred)
    assert ctx.data.task == "regression"
    out = _by_metric(_measure("performance.regression", ctx, n_boot=300))
    expected = {
        "mae": metrics.mean_absolute_error(y, y_pred),
        "rmse": np.sqrt(metrics.mean_squared_error(y, y_pred)),
        "r2": metrics.r2_score(y, y_pred),
    }
    for name, value in expected.items():
        assert out[name].value == pytest.approx(value, rel=1e-10), name
        assert out[name].ci.low < out[name].value < out[name].ci.high, name


def test_regression_interval_covers_like_a_normal_interval():
    y, y_pred = _regression(n=4000)
    ctx = _context(pd.DataFrame({"y": y}), y_pred)
    mae = _by_metric(_measure("performance.regression", ctx, n_boot=1000))["mae"]
    errors = np.abs(y - y_pred)
    half = 1.96 * errors.std(ddof=1) / np.sqrt(len(errors))
    assert mae.ci.high - mae.ci.low == pytest.approx(2 * half, rel=0.15)


def test_regression_constant_target_leaves_r2_undefined():
    y = np.full(50, 3.0)
    ctx = _context(pd.DataFrame({"y": y}), y + np.linspace(-1, 1, 50), task="regression")
    out = _by_metric(_measure("performance.regression", ctx, n_boot=50))
    assert out["r2"].value is None and "constant" in out["r2"].note
    assert out["mae"].value == pytest.approx(metrics.mean_absolute_error(y, y + np.linspace(-1, 1, 50)))


def test_regression_check_is_not_applicable_to_a_binary_task():
    y, scores, y_pred = _binary()
    ctx = _context(pd.DataFrame({"y": y}), y_pred, scores)
    check = REGISTRY["performance.regression"]
    outcome = run_check("k", check, check.params(), ctx)
    assert outcome.status == "not_applicable" and "regression" in outcome.reason


# --- calibration ------------------------------------------------------------------------------


def _counts(p, edges):
    return pd.Series(pd.cut(p, edges, right=True, include_lowest=True)).value_counts(sort=False).to_numpy()


@pytest.mark.parametrize("seed", [0, 3])
def test_calibration_matches_sklearn_calibration_curve(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    p = rng.beta(2, 3, n).round(3)  # ties, and scores on the bin edges
    y = (rng.random(n) < p**1.5).astype(int)
    ctx = _context(pd.DataFrame({"y": y}), (p > 0.5).astype(np.int8), p)
    out = _by_metric(_measure("reliability.calibration", ctx, n_bins=10, n_boot=100))

    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    counts = _counts(p, np.linspace(0, 1, 11))
    nonempty = counts > 0
    ece = np.sum(counts[nonempty] * np.abs(prob_true - prob_pred)) / n
    assert out["ece"].value == pytest.approx(ece, rel=1e-10)
    assert out["max_calibration_error"].value == pytest.approx(np.max(np.abs(prob_true - prob_pred)), rel=1e-10)
    assert [g.n for g in out["ece"].groups] == list(counts)
    observed = [g.value for g in out["observed_rate"].groups if g.n]
    predicted = [g.value for g in out["mean_predicted"].groups if g.n]
    np.testing.assert_allclose(observed, prob_true, rtol=1e-12)
    np.testing.assert_allclose(predicted, prob_pred, rtol=1e-12)
    assert out["observed_rate"].value == pytest.approx(y.mean())
    assert out["ece"].groups[0].group == "[0, 0.1]" and out["ece"].groups[1].group == "(0.1, 0.2]"

    true_q, pred_q = calibration_curve(y, p, n_bins=10, strategy="quantile")
    counts_q = _counts(p, np.unique(np.quantile(p, np.linspace(0, 1, 11))))
    ece_q = np.sum(counts_q * np.abs(true_q - pred_q)) / n
    assert out["ece_equal_mass"].value == pytest.approx(ece_q, rel=1e-10)
    assert [g.n for g in out["ece_equal_mass"].groups] == list(counts_q)

    for name in ("ece", "ece_equal_mass", "max_calibration_error"):
        assert out[name].ci.low <= out[name].value <= out[name].ci.high


def test_calibration_tells_calibrated_from_miscalibrated_scores():
    rng = np.random.default_rng(5)
    n = 20_000
    p = rng.random(n)
    y = (rng.random(n) < p).astype(int)
    good = _by_metric(_measure("reliability.calibration", _context(pd.DataFrame({"y": y}), None, p), n_boot=0))
    bad = _by_metric(_measure("reliability.calibration", _context(pd.DataFrame({"y": y}), None, p**3), n_boot=0))
    assert good["ece"].value < 0.02 and good["ece_equal_mass"].value < 0.02
    assert bad["ece"].value > 0.15 and bad["max_calibration_error"].value > 0.2
    assert "largest gap in bin" in bad["max_calibration_error"].driver


def test_calibration_needs_probability_scores():
    y, scores, y_pred = _binary()
    with pytest.raises(NotApplicable, match="no scores"):
        _measure("reliability.calibration", _context(pd.DataFrame({"y": y}), y_pred, None))
    with pytest.raises(NotApplicable, match=r"outside \[0, 1\]"):
        _measure("reliability.calibration", _context(pd.DataFrame({"y": y}), y_pred, scores * 2 - 0.5))


def test_calibration_with_a_single_class_and_constant_scores_does_not_crash():
    y = np.ones(40, dtype=int)
    p = np.full(40, 0.7)
    out = _by_metric(_measure("reliability.calibration", _context(pd.DataFrame({"y": y}), None, p), n_boot=20))
    assert out["ece"].value == pytest.approx(0.3)
    assert out["ece_equal_mass"].value == pytest.approx(0.3)
    assert "empty" in out["ece_equal_mass"].note


# --- worst slice ------------------------------------------------------------------------------


def _sliced_frame():
    """Group a: 100 rows, 90 right; b: 60 rows, 36 right; c: 10 rows, 0 right (too small)."""
    groups = np.repeat(["a", "b", "c"], [100, 60, 10])
    y = np.tile([0, 1], 85)
    right = np.concatenate([np.arange(100) < 90, np.arange(60) < 36, np.zeros(10, bool)])
    y_pred = np.where(right, y, 1 - y).astype(np.int8)
    return pd.DataFrame({"y": y, "g": groups, "x": np.arange(170.0)}), y_pred


def test_worst_slice_hand_computed():
    frame, y_pred = _sliced_frame()
    ctx = _context(frame, y_pred, sensitive=["g"])
    out = _by_metric(_measure("performance.worst_slice", ctx, n_boot=200))
    overall = (90 + 36) / 170
    assert out["worst_value"].value == pytest.approx(36 / 60)
    assert out["gap_to_overall"].value == pytest.approx(overall - 36 / 60)
    assert out["worst_value"].attribute == "g"
    assert "b (0.600" in out["worst_value"].driver
    assert out["worst_value"].excluded_groups == ["c: n=10 < min_group_size 30"]
    assert {g.group: g.n for g in out["worst_value"].groups} == {"a": 100, "b": 60, "c": 10}
    assert out["worst_value"].ci.low <= 0.6 <= out["worst_value"].ci.high
    small = _by_metric(_measure("performance.worst_slice", ctx, n_boot=0, min_group_size=5))
    assert small["worst_value"].value == 0.0


def test_worst_slice_lower_is_better_metric_and_slice_columns():
    frame, y_pred = _sliced_frame()
    ctx = _context(frame, y_pred)
    out = _measure("performance.worst_slice", ctx, n_boot=0, metric="fpr", slice_columns=["x"], min_group_size=1)
    worst = _by_metric(out)["worst_value"]
    assert worst.attribute == "x" and len(worst.groups) == 4  # a numeric column is cut at its quartiles
    fprs = [g.value for g in worst.groups]
    assert worst.value == pytest.approx(max(fprs))
    y = frame["y"].to_numpy()
    overall = ((y_pred == 1) & (y == 0)).sum() / (y == 0).sum()
    assert _by_metric(out)["gap_to_overall"].value == pytest.approx(max(fprs) - overall)


def test_worst_slice_needs_something_to_slice_by_and_known_columns():
    frame, y_pred = _sliced_frame()
    with pytest.raises(NotApplicable):
        _measure("performance.worst_slice", _context(frame, y_pred))
    with pytest.raises(DataError, match="slice column 'gg'"):
        _measure("performance.worst_slice", _context(frame, y_pred), slice_columns=["gg"])


def test_worst_slice_with_no_large_enough_slice_is_undefined():
    frame, y_pred = _sliced_frame()
    out = _by_metric(_measure("performance.worst_slice", _context(frame, y_pred, sensitive=["g"]), min_group_size=500, n_boot=20))
    assert out["worst_value"].value is None and out["worst_value"].ci is None
    assert "undefined" in out["worst_value"].note and len(out["worst_value"].excluded_groups) == 3
