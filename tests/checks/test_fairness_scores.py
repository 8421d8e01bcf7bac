"""Per-group AUC, calibration error and regression errors against scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, roc_auc_score

from conformance.checks.base import AuditContext, NotApplicable
from conformance.checks.fairness import GroupParams
from conformance.checks.fairness_scores import (
    AucParams,
    CalibrationGroupParams,
    auc_parity,
    calibration_parity,
    regression_parity,
)
from conformance.io.dataset import prepare


def _binary(seed: int, n: int = 4000):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"y": rng.integers(0, 2, n), "g": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])})
    shift = frame.g.map({"a": 0.3, "b": 0.15, "c": 0.0}).to_numpy()
    scores = np.clip(shift * frame.y + rng.random(n) * (1 - shift), 0, 1).round(3)
    data = prepare(frame, target="y", sensitive=["g"])
    ctx = AuditContext(data=data, y_pred=(scores > 0.5).astype(np.int8), scores=scores, seed=0)
    return frame, scores, ctx


def _by(out, metric):
    return next(m for m in out if m.metric == metric)


@pytest.mark.parametrize("seed", [0, 1])
def test_auc_per_group_matches_sklearn(seed):
    frame, scores, ctx = _binary(seed)
    out = auc_parity(ctx, AucParams(n_boot=200))
    expected = {g: roc_auc_score(frame.y[frame.g == g], scores[frame.g == g]) for g in "abc"}
    groups = {g.group: g.value for g in _by(out, "auc_difference").groups}
    assert groups == pytest.approx(expected, abs=1e-12)
    assert _by(out, "auc_difference").value == pytest.approx(max(expected.values()) - min(expected.values()))
    assert _by(out, "auc_ratio").value == pytest.approx(min(expected.values()) / max(expected.values()))
    ci = _by(out, "auc_difference").ci
    assert ci.low < _by(out, "auc_difference").value < ci.high


def test_auc_of_a_single_class_group_is_undefined_and_listed():
    frame, scores, ctx = _binary(2)
    frame.loc[frame.g == "c", "y"] = 1
    data = prepare(frame, target="y", sensitive=["g"])
    ctx = AuditContext(data=data, y_pred=ctx.y_pred, scores=scores, seed=0)
    m = _by(auc_parity(ctx, AucParams(n_boot=0)), "auc_difference")
    assert {g.group: g.value for g in m.groups}["c"] is None
    assert any(e.startswith("c: auc undefined") for e in m.excluded_groups)


def _ece(y, p, k=10):
    bins = np.minimum((p * k).astype(int), k - 1)
    total = 0.0
    for b in range(k):
        mask = bins == b
        if mask.any():
            total += abs(y[mask].mean() - p[mask].mean()) * mask.sum()
    return total / len(y)


def test_calibration_per_group_matches_hand_computation():
    frame, scores, ctx = _binary(3)
    out = calibration_parity(ctx, CalibrationGroupParams(n_boot=100))
    expected = {g: _ece(frame.y[frame.g == g].to_numpy(), scores[frame.g == g]) for g in "abc"}
    groups = {g.group: g.value for g in _by(out, "ece_difference").groups}
    assert groups == pytest.approx(expected, abs=1e-12)
    assert _by(out, "max_ece").value == pytest.approx(max(expected.values()))
    assert _by(out, "max_ece").ci is not None


def test_calibration_needs_probabilities():
    frame, scores, ctx = _binary(4)
    ctx.scores = scores * 3
    with pytest.raises(NotApplicable, match="outside"):
        calibration_parity(ctx, CalibrationGroupParams())


def test_regression_parity_matches_sklearn():
    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame({"y": rng.normal(50, 10, n), "g": rng.choice(["x", "y"], n)})
    y_pred = frame.y.to_numpy() + rng.normal(0, np.where(frame.g == "x", 2.0, 5.0))
    data = prepare(frame, target="y", sensitive=["g"])
    assert data.task == "regression"
    ctx = AuditContext(data=data, y_pred=y_pred, scores=None, seed=0)
    out = regression_parity(ctx, GroupParams(n_boot=100))
    for name, fn in (("mae", mean_absolute_error), ("rmse", lambda a, b: np.sqrt(mean_squared_error(a, b))),
                     ("mean_prediction", lambda a, b: float(np.mean(b)))):
        expected = {g: fn(frame.y[frame.g == g], y_pred[frame.g == g]) for g in "xy"}
        got = {g.group: g.value for g in _by(out, f"{name}_difference").groups}
        assert got == pytest.approx(expected, rel=1e-12)
        assert _by(out, f"{name}_difference").value == pytest.approx(abs(expected["x"] - expected["y"]), rel=1e-9)
    ci = _by(out, "rmse_ratio").ci
    assert ci.low < _by(out, "rmse_ratio").value < ci.high


def test_regression_audit_end_to_end(tmp_path):
    from conformance import api

    profile = tmp_path / "reg.yaml"
    profile.write_text(
        "id: reg\ntitle: Regression policy\nversion: '1'\nsource: {title: s, citation: c}\nrequirements:\n"
        "  - {id: fit, clause: '1', title: t, principle: accuracy, check: performance.regression, metric: r2,"
        " threshold: {min: 0.5, origin: provider-declared}}\n"
        "  - {id: gap, clause: '2', title: t, principle: fairness, check: fairness.regression_parity,"
        " metric: mae_ratio, threshold: {min: 0.8, origin: tool-default}}\n"
    )
    rng = np.random.default_rng(6)
    n = 1000
    frame = pd.DataFrame({"salary": rng.normal(50, 10, n), "sex": rng.choice(["f", "m"], n)})
    frame["predicted"] = frame.salary + rng.normal(0, np.where(frame.sex == "f", 6.0, 2.0))
    result = api.audit(frame, target="salary", predictions="predicted", sensitive=["sex"], profiles=[str(profile)])
    verdicts = {r.id: r.verdict for r in result.evidence.requirements}
    assert result.evidence.subject.task == "regression"
    assert verdicts == {"fit": "pass", "gap": "fail"}
