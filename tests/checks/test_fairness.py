"""The skeleton's fairness checks against fairlearn, on random, intersectional and edge-case data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from conformance.checks.base import AuditContext
from conformance.checks.fairness import FairnessParams, demographic_parity, equalized_odds
from conformance.io.dataset import prepare


def _context(frame: pd.DataFrame, sensitive: list[str], y_pred: np.ndarray, seed: int = 0) -> AuditContext:
    data = prepare(frame, target="y", sensitive=sensitive)
    return AuditContext(data=data, y_pred=y_pred.astype(np.int8), scores=None, seed=seed)


def _random(seed: int, n: int = 3000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "sex": rng.choice(["F", "M"], n, p=[0.4, 0.6]),
            "race": rng.choice(["asian", "black", "white", "other"], n),
        }
    )
    y_pred = (rng.random(n) < np.where(frame.sex == "M", 0.55, 0.4)).astype(int)
    return frame, y_pred


def _by(measurements, metric, attribute):
    return next(m for m in measurements if m.metric == metric and m.attribute == attribute)


ALL = FairnessParams(min_group_size=1, n_boot=200)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_demographic_parity_matches_fairlearn(seed):
    frame, y_pred = _random(seed)
    out = demographic_parity(_context(frame, ["sex", "race"], y_pred), ALL)
    for attribute, features in (("sex", frame.sex), ("race", frame.race), ("sex × race", frame[["sex", "race"]])):
        diff = demographic_parity_difference(frame.y, y_pred, sensitive_features=features)
        ratio = demographic_parity_ratio(frame.y, y_pred, sensitive_features=features)
        assert _by(out, "difference", attribute).value == pytest.approx(diff, abs=1e-12)
        assert _by(out, "ratio", attribute).value == pytest.approx(ratio, abs=1e-12)
    per_group = MetricFrame(metrics=selection_rate, y_true=frame.y, y_pred=y_pred, sensitive_features=frame.race).by_group
    groups = {g.group: g for g in _by(out, "ratio", "race").groups}
    for label, value in per_group.items():
        assert groups[label].value == pytest.approx(value, abs=1e-12)
        assert groups[label].n == int((frame.race == label).sum())


@pytest.mark.parametrize("seed", [3, 4])
def test_equalized_odds_matches_fairlearn(seed):
    frame, y_pred = _random(seed)
    out = equalized_odds(_context(frame, ["sex", "race"], y_pred), ALL)
    for attribute, features in (("sex", frame.sex), ("race", frame.race), ("sex × race", frame[["sex", "race"]])):
        assert _by(out, "difference", attribute).value == pytest.approx(
            equalized_odds_difference(frame.y, y_pred, sensitive_features=features), abs=1e-12
        )
        assert _by(out, "ratio", attribute).value == pytest.approx(
            equalized_odds_ratio(frame.y, y_pred, sensitive_features=features), abs=1e-12
        )
        for rate, metric in ((true_positive_rate, "tpr"), (false_positive_rate, "fpr")):
            mf = MetricFrame(metrics=rate, y_true=frame.y, y_pred=y_pred, sensitive_features=features)
            assert _by(out, f"{metric}_difference", attribute).value == pytest.approx(mf.difference(), abs=1e-12)
            assert _by(out, f"{metric}_ratio", attribute).value == pytest.approx(mf.ratio(), abs=1e-12)


def test_hand_counted_example():
    # group a: 4 rows, 3 selected; group b: 4 rows, 1 selected
    frame = pd.DataFrame({"y": [1, 1, 0, 0, 1, 1, 0, 0], "g": list("aaaabbbb")})
    y_pred = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    out = demographic_parity(_context(frame, ["g"], y_pred), FairnessParams(min_group_size=1, n_boot=0))
    assert _by(out, "difference", "g").value == pytest.approx(0.5)
    assert _by(out, "ratio", "g").value == pytest.approx(1 / 3)
    assert _by(out, "ratio", "g").ci is None
    assert "lowest selection_rate: b (0.250); highest: a (0.750)" == _by(out, "ratio", "g").driver


def test_group_without_positives_is_undefined_not_zero():
    frame = pd.DataFrame({"y": [1, 0, 1, 0, 0, 0], "g": ["a", "a", "a", "b", "b", "b"]})
    y_pred = np.array([1, 0, 0, 1, 0, 0])
    out = equalized_odds(_context(frame, ["g"], y_pred), FairnessParams(min_group_size=1, n_boot=50))
    tpr = _by(out, "tpr_difference", "g")
    assert {g.group: g.value for g in tpr.groups} == {"a": 0.5, "b": None}
    assert tpr.value is None  # only one group defines TPR
    assert any("b: rate undefined" in e for e in tpr.excluded_groups)
    assert _by(out, "fpr_difference", "g").value == pytest.approx(1 / 3)


def test_small_groups_are_left_out_and_listed():
    frame, y_pred = _random(5, n=400)
    frame.loc[:9, "race"] = "tiny"
    out = demographic_parity(_context(frame, ["race"], y_pred), FairnessParams(min_group_size=30, n_boot=0))
    ratio = _by(out, "ratio", "race")
    assert ratio.excluded_groups == ["tiny: n=10 < min_group_size 30"]
    kept = frame.race != "tiny"
    expected = demographic_parity_ratio(frame.y[kept], y_pred[kept], sensitive_features=frame.race[kept])
    assert ratio.value == pytest.approx(expected, abs=1e-12)


def test_string_labels_and_missing_group_values():
    frame, y_pred = _random(6, n=600)
    frame["sex"] = frame.sex.astype(object)
    frame.loc[:49, "sex"] = None
    out = demographic_parity(_context(frame, ["sex"], y_pred), ALL)
    groups = {g.group: g.n for g in _by(out, "ratio", "sex").groups}
    assert groups["unknown"] == 50 and sum(groups.values()) == 600


def test_bootstrap_interval_brackets_the_estimate_and_is_seeded():
    frame, y_pred = _random(8)
    a = demographic_parity(_context(frame, ["sex"], y_pred, seed=1), FairnessParams(n_boot=500))
    b = demographic_parity(_context(frame, ["sex"], y_pred, seed=1), FairnessParams(n_boot=500))
    m = _by(a, "difference", "sex")
    assert m.ci.low < m.value < m.ci.high and m.ci.level == 0.95
    assert m == _by(b, "difference", "sex")


def test_not_applicable_without_sensitive_attributes():
    from conformance.checks.base import NotApplicable

    frame, y_pred = _random(9, n=100)
    with pytest.raises(NotApplicable, match="no sensitive attribute"):
        demographic_parity(_context(frame, [], y_pred), ALL)
