"""data.* checks against pandas, scikit-learn and hand-computed counts; planted problems are found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext, NotApplicable
from conformance.errors import DataError
from conformance.io.dataset import prepare


def _context(frame, target="y", sensitive=(), exclude=(), seed=0):
    data = prepare(frame, target=target, sensitive=list(sensitive), exclude=list(exclude))
    return AuditContext(data=data, y_pred=None, scores=None, seed=seed)


def _measure(check_id, ctx, **params):
    check = REGISTRY[check_id]
    return {m.metric: m for m in check.measure(ctx, check.params(**params))}


def _frame(n=600, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.normal(50, 10, n),
            "city": rng.choice(["north", "south", "east"], n),
            "sex": rng.choice(["female", "male"], n, p=[0.3, 0.7]),
            "y": y,
        }
    )
    frame.loc[rng.random(n) < 0.1, "age"] = np.nan
    frame.loc[rng.random(n) < 0.25, "city"] = None
    return frame


# --- completeness -----------------------------------------------------------------------------


def test_completeness_matches_pandas():
    frame = _frame()
    frame["score"] = np.nan  # an output column: not audited
    frame["empty"] = np.nan  # an all-missing feature
    out = _measure("data.completeness", _context(frame, exclude=["score"]))
    expected = frame.drop(columns="score").isna().mean()
    assert {g.group: g.value for g in out["max_missing_rate"].groups} == pytest.approx(expected.to_dict())
    assert {g.group: g.n for g in out["max_missing_rate"].groups} == frame.drop(columns="score").isna().sum().to_dict()
    assert out["max_missing_rate"].value == 1.0 and "empty" in out["max_missing_rate"].driver
    assert out["missing_cell_rate"].value == pytest.approx(frame.drop(columns="score").isna().to_numpy().mean())
    ignored = _measure("data.completeness", _context(frame, exclude=["score"]), ignore_columns=["empty"])
    assert ignored["max_missing_rate"].value == pytest.approx(expected["city"])


def test_completeness_of_complete_data_and_unknown_ignored_column():
    frame = _frame().dropna()
    out = _measure("data.completeness", _context(frame))
    assert out["max_missing_rate"].value == 0.0 and out["max_missing_rate"].driver is None
    with pytest.raises(DataError, match="ignore_columns"):
        _measure("data.completeness", _context(frame), ignore_columns=["agee"])


# --- duplicates -------------------------------------------------------------------------------


def test_planted_duplicates_are_counted_as_pandas_does():
    frame = _frame()
    planted = pd.concat([frame, frame.iloc[[3, 3, 10, 42]]], ignore_index=True)  # NaNs included
    out = _measure("data.duplicates", _context(planted))
    expected = int(planted.duplicated().sum())
    assert expected == 4
    assert out["duplicate_rows"].value == expected
    assert out["duplicate_rate"].value == pytest.approx(planted.duplicated().mean())
    assert out["conflicting_label_rows"].value == 0


def test_conflicting_labels_hand_counted():
    frame = pd.DataFrame({"x": [1, 1, 1, 2, 2, 3, 4], "z": ["a", "a", "a", "b", "b", "c", "d"], "y": [0, 1, 1, 0, 0, 1, 0]})
    out = _measure("data.duplicates", _context(frame))
    assert out["duplicate_rows"].value == 2  # one extra (1, a, 1) and one extra (2, b, 0)
    assert out["conflicting_label_rows"].value == 3  # the three rows of (1, a)


# --- label balance ----------------------------------------------------------------------------


def test_label_balance_hand_counted():
    frame = pd.DataFrame({"y": ["good"] * 70 + ["bad"] * 30})
    data = prepare(frame, target="y", sensitive=[], positive_label="good")
    out = _measure("data.label_balance", AuditContext(data=data, y_pred=None, scores=None, seed=0))
    assert out["minority_share"].value == pytest.approx(0.3)
    assert out["positive_rate"].value == pytest.approx(0.7)
    assert [(g.group, g.n) for g in out["minority_share"].groups] == [("good (positive)", 70), ("other (negative)", 30)]


def test_label_balance_single_class():
    out = _measure("data.label_balance", _context(pd.DataFrame({"y": [1] * 20})))
    assert out["minority_share"].value == 0.0 and "single class" in out["minority_share"].note


# --- representation ---------------------------------------------------------------------------


def test_representation_matches_value_counts_with_intersection():
    frame = _frame()
    frame.loc[:4, "sex"] = None
    out = REGISTRY["data.representation"].measure(
        _context(frame, sensitive=["sex", "city"]), REGISTRY["data.representation"].params()
    )
    by_attribute = {(m.attribute, m.metric): m for m in out}
    sex = by_attribute[("sex", "min_group_count")]
    counts = frame["sex"].fillna("unknown").value_counts()
    assert {g.group: g.n for g in sex.groups} == counts.to_dict()
    assert {g.group: g.value for g in sex.groups} == pytest.approx((counts / len(frame)).to_dict())
    assert sex.value == counts.drop("unknown").min()
    assert sex.excluded_groups == ["unknown: missing values of the attribute"]
    assert by_attribute[("sex", "min_group_share")].value == pytest.approx(counts.drop("unknown").min() / len(frame))
    both = by_attribute[("sex × city", "min_group_count")]
    cross = frame.dropna(subset=["sex", "city"]).groupby(["sex", "city"]).size()
    assert both.value == cross.min()
    assert sum(g.n for g in both.groups) == len(frame)


def test_representation_needs_a_sensitive_attribute():
    with pytest.raises(NotApplicable, match="sensitive"):
        _measure("data.representation", _context(_frame()))


# --- leakage ----------------------------------------------------------------------------------


def test_planted_leaky_feature_is_found_and_aucs_match_sklearn():
    frame = _frame()
    rng = np.random.default_rng(1)
    frame["outcome_code"] = frame["y"] * 10 + rng.normal(0, 1, len(frame))  # the target in disguise
    frame["constant"] = 7.0
    frame["all_missing"] = np.nan
    out = _measure("data.leakage", _context(frame))["max_single_feature_auc"]
    assert out.value > 0.99 and "outcome_code" in out.driver
    values = {g.group: g.value for g in out.groups}
    income_auc = roc_auc_score(frame["y"], frame["income"])
    assert values["income"] == pytest.approx(max(income_auc, 1 - income_auc), abs=1e-12)
    assert values["constant"] == 0.5 and values["all_missing"] == 0.5
    assert out.groups[0].group == "outcome_code"  # sorted, strongest first


def test_leakage_of_a_categorical_feature_and_an_id_column():
    frame = _frame(n=1000)
    frame["status"] = np.where(frame["y"] == 1, "closed", "open")  # a label recorded after the outcome
    frame["row_id"] = [f"id{i}" for i in range(len(frame))]  # unique per row: no signal out of fold
    out = _measure("data.leakage", _context(frame))["max_single_feature_auc"]
    values = {g.group: g.value for g in out.groups}
    assert values["status"] == pytest.approx(1.0) and "status" in out.driver
    assert values["row_id"] < 0.56
    assert values["city"] < 0.6


def test_leakage_with_missing_values_in_a_numeric_feature():
    y = np.array([0, 1] * 50)
    x = np.where(y == 1, np.nan, np.arange(100.0))  # missingness alone gives the label away
    out = _measure("data.leakage", _context(pd.DataFrame({"x": x, "y": y})))
    assert out["max_single_feature_auc"].value == pytest.approx(1.0)


def test_leakage_single_class_is_not_applicable():
    with pytest.raises(NotApplicable, match="single class"):
        _measure("data.leakage", _context(pd.DataFrame({"x": range(10), "y": [1] * 10})))


# --- representation against a declared target population ---------------------------------------


def test_representation_compares_shares_with_the_declared_target_population():
    frame = _frame()
    check = REGISTRY["data.representation"]
    target = {"sex": {"female": 0.5, "male": 0.5}}
    out = [m for m in check.measure(_context(frame, sensitive=["sex"]), check.params(target_population=target))
           if m.metric == "max_share_gap"]
    share = frame.sex.value_counts(normalize=True)
    assert out[0].value == pytest.approx(abs(share["female"] - 0.5))
    assert {g.group: g.value for g in out[0].groups} == pytest.approx({k: share[k] - 0.5 for k in ("female", "male")})
    assert "check's target_population parameter" in out[0].note
    ctx = _context(frame, sensitive=["sex"])
    ctx.model_card = {"target_population": {"sex": {"female": 0.3, "male": 0.7}}}
    [from_card] = [m for m in check.measure(ctx, check.params()) if m.metric == "max_share_gap"]
    assert from_card.value == pytest.approx(max(abs(share["female"] - 0.3), abs(share["male"] - 0.7)))
    assert "declared in the model card" in from_card.note


def test_representation_without_a_declared_population_is_undefined_and_says_how_to_declare_it():
    check = REGISTRY["data.representation"]
    [gap] = [m for m in check.measure(_context(_frame(), sensitive=["sex"]), check.params()) if m.metric == "max_share_gap"]
    assert gap.value is None and "target_population:" in gap.note


# --- missingness by group ----------------------------------------------------------------------


def test_missingness_by_group_matches_pandas_groupby():
    frame = _frame(2000)
    rng = np.random.default_rng(3)
    frame.loc[(frame.sex == "female") & (rng.random(len(frame)) < 0.3), "income"] = np.nan  # planted
    out = _measure("data.missingness_by_group", _context(frame, sensitive=["sex"]), n_boot=200)["max_missing_gap"]
    rates = frame.drop(columns="sex").isna().groupby(frame.sex).mean()
    gaps = rates.max() - rates.min()
    assert out.value == pytest.approx(gaps.max()) and gaps.idxmax() == "income"
    assert {g.group: g.value for g in out.groups} == pytest.approx(gaps.to_dict())
    assert out.ci.low <= out.value <= out.ci.high and out.ci.low > 0.2
    assert out.driver.startswith("income: missing for")


def test_missingness_by_group_edge_cases():
    frame = _frame()
    frame["grp"] = ["a"] * 595 + ["b"] * 5  # b is too small to compare
    out = _measure("data.missingness_by_group", _context(frame, sensitive=["grp"]), n_boot=0)["max_missing_gap"]
    assert out.value is None and out.excluded_groups == ["b: n=5 < min_group_size 30"]
    clean = frame.assign(age=frame.age.fillna(0), city=frame.city.fillna("none"))
    none = _measure("data.missingness_by_group", _context(clean, sensitive=["sex"]), n_boot=50)["max_missing_gap"]
    assert none.value == 0.0 and none.driver is None
    with pytest.raises(NotApplicable):
        _measure("data.missingness_by_group", _context(frame))
