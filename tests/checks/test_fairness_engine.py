"""The fairness engine against fairlearn and hand-computed counts.

Every per-group rate and every aggregate is compared with fairlearn on random data (several
seeds), intersectional groups and string labels; undefined rates must be undefined (fairlearn
reports a TPR of 0 for a group without positives; this engine reports None), and the new
parameters (reference_group, the LL144 options) are checked against hand computations.
"""

from __future__ import annotations

import functools
import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    false_positive_rate_difference,
    false_positive_rate_ratio,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, precision_score

from conformance.checks import REGISTRY
from conformance.checks.base import AuditContext, NotApplicable
from conformance.checks.fairness import CHECKS, MIN_GROUP_SIZE, FairnessParams
from conformance.io.dataset import encode_predictions, prepare
from conformance.stats.groups import JOIN

FAIRNESS_IDS = [c.id for c in CHECKS]


def _base_rate(y_true, y_pred):
    return float(np.mean(y_true))


def _ppv(y_true, y_pred):
    return precision_score(y_true, y_pred, zero_division=np.nan)


def _npv(y_true, y_pred):
    return precision_score(1 - np.asarray(y_true), 1 - np.asarray(y_pred), zero_division=np.nan)


ORACLES = {
    "selection_rate": selection_rate,
    "base_rate": _base_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "tnr": true_negative_rate,
    "fnr": false_negative_rate,
    "ppv": _ppv,
    "npv": _npv,
    "accuracy": accuracy_score,
}
# rates undefined when a group lacks positives (p) or negatives (n) in the truth, or positive
# (P) or negative (N) decisions; fairlearn returns 0 there, so those groups are compared apart
UNDEFINED_WHEN = {"tpr": "p", "fnr": "p", "fpr": "n", "tnr": "n", "ppv": "P", "npv": "N"}


def random_frame(seed: int, n: int = 800) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.choice(["x", "y", "z"], n, p=[0.5, 0.35, 0.15])
    b = rng.choice(["p", "q"], n, p=[0.6, 0.4])
    y = (rng.random(n) < np.where(a == "x", 0.5, 0.3)).astype(int)
    scores = np.clip(0.4 * y + rng.random(n) * 0.6 + (b == "p") * 0.05, 0, 1)
    pred = (scores > 0.5).astype(int)
    return pd.DataFrame({"a": a, "b": b, "y": y}), pred, scores


def context(frame, pred, scores=None, sensitive=("a", "b"), target="y", positive_label=None, seed=0) -> AuditContext:
    data = prepare(frame, target=target, sensitive=list(sensitive), positive_label=positive_label)
    return AuditContext(data=data, y_pred=np.asarray(pred), scores=scores, seed=seed)


def measure(ctx: AuditContext, check_id: str, **params):
    check = REGISTRY[check_id]
    return check.measure(ctx, check.params(**params))


def pick(measurements, metric: str, attribute: str):
    (found,) = [m for m in measurements if m.metric == metric and m.attribute == attribute]
    return found


def group_map(measurement) -> dict[str, float | None]:
    return {g.group: g.value for g in measurement.groups}


def oracle_by_group(frame, pred, columns, metrics) -> dict[str, dict[str, float]]:
    """fairlearn's per-group values of each metric (one MetricFrame), for the groups that occur."""
    named = dict(metrics) if isinstance(metrics, dict) else {"v": metrics}
    mf = MetricFrame(
        metrics={**named, "_n": count}, y_true=frame["y"], y_pred=pred, sensitive_features=frame[list(columns)]
    )
    table = mf.by_group
    table = table[table["_n"] > 0]
    out = {
        name: {
            (JOIN.join(map(str, key)) if isinstance(key, tuple) else str(key)): float(value)
            for key, value in table[name].items()
        }
        for name in named
    }
    return out if isinstance(metrics, dict) else out["v"]


def defined(frame, pred, columns, rate) -> dict[str, bool]:
    """Whether each group's rate has a nonzero denominator, from the raw columns."""
    keys = frame[columns[0]].astype(str)
    for column in columns[1:]:
        keys = keys + JOIN + frame[column].astype(str)
    y = frame["y"].to_numpy()
    has = pd.DataFrame({"p": y == 1, "n": y == 0, "P": pred == 1, "N": pred == 0}).groupby(keys.to_numpy()).any()
    need = UNDEFINED_WHEN.get(rate)
    return {key: bool(row[need]) if need else True for key, row in has.iterrows()}


# --- every per-group rate against fairlearn ---------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_group_rate_matches_metricframe_per_attribute_and_intersection(seed):
    frame, pred, _ = random_frame(seed)
    if seed == 3:  # a group without positives, and one without negative decisions
        frame.loc[frame.a == "z", "y"] = 0
        pred[(frame.a == "y").to_numpy()] = 1
    ctx = context(frame, pred)
    measured = measure(ctx, "fairness.group_rates", n_boot=0, min_group_size=1)
    for columns, attribute in ((["a"], "a"), (["b"], "b"), (["a", "b"], f"a{JOIN}b")):
        oracle = oracle_by_group(frame, pred, columns, ORACLES)
        for rate in ORACLES:
            ours = group_map(pick(measured, f"{rate}_difference", attribute))
            theirs = oracle[rate]
            ok = defined(frame, pred, columns, rate)
            assert set(ours) == set(theirs)
            for group, value in ours.items():
                if ok[group]:
                    assert value == pytest.approx(theirs[group], abs=1e-12), (rate, group)
                else:
                    assert value is None, f"{rate} of {group} is undefined, never {value}"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_group_sizes_and_shares(seed):
    frame, pred, _ = random_frame(seed)
    ctx = context(frame, pred)
    measured = measure(ctx, "fairness.group_rates", n_boot=0)
    for columns, attribute in ((["a"], "a"), (["a", "b"], f"a{JOIN}b")):
        sizes = oracle_by_group(frame, pred, columns, count)
        share = pick(measured, "min_share", attribute)
        assert {g.group: g.n for g in share.groups} == {k: int(v) for k, v in sizes.items()}
        assert group_map(share) == pytest.approx({k: v / len(frame) for k, v in sizes.items()})
        assert share.value == pytest.approx(min(sizes.values()) / len(frame))


# --- every aggregate against fairlearn --------------------------------------------------------


def _between(frame, pred, columns, metric):
    mf = MetricFrame(metrics=metric, y_true=frame["y"], y_pred=pred, sensitive_features=frame[list(columns)])
    return mf.difference(method="between_groups"), mf.ratio(method="between_groups")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("columns", [["a"], ["b"], ["a", "b"]])
def test_criteria_match_fairlearn_aggregates(seed, columns):
    frame, pred, _ = random_frame(seed)
    ctx = context(frame, pred)
    attribute = JOIN.join(columns)
    sf = frame[columns]
    y = frame["y"]

    measured = {check_id: measure(ctx, check_id, n_boot=0, min_group_size=1) for check_id in FAIRNESS_IDS}

    def value(check_id, metric):
        return pick(measured[check_id], metric, attribute).value

    expected = {
        ("fairness.demographic_parity", "difference"): demographic_parity_difference(y, pred, sensitive_features=sf),
        ("fairness.demographic_parity", "ratio"): demographic_parity_ratio(y, pred, sensitive_features=sf),
        ("fairness.disparate_impact", "ratio"): demographic_parity_ratio(y, pred, sensitive_features=sf),
        ("fairness.disparate_impact", "difference"): demographic_parity_difference(y, pred, sensitive_features=sf),
        ("fairness.equalized_odds", "difference"): equalized_odds_difference(y, pred, sensitive_features=sf),
        ("fairness.equalized_odds", "ratio"): equalized_odds_ratio(y, pred, sensitive_features=sf),
        ("fairness.equal_opportunity", "difference"): equal_opportunity_difference(y, pred, sensitive_features=sf),
        ("fairness.equal_opportunity", "ratio"): equal_opportunity_ratio(y, pred, sensitive_features=sf),
        ("fairness.equalized_odds", "tpr_difference"): equal_opportunity_difference(y, pred, sensitive_features=sf),
        ("fairness.equalized_odds", "fpr_ratio"): false_positive_rate_ratio(y, pred, sensitive_features=sf),
        ("fairness.fpr_parity", "difference"): false_positive_rate_difference(y, pred, sensitive_features=sf),
        ("fairness.fpr_parity", "ratio"): false_positive_rate_ratio(y, pred, sensitive_features=sf),
    }
    expected[("fairness.accuracy_parity", "difference")], expected[("fairness.accuracy_parity", "ratio")] = _between(
        frame, pred, columns, accuracy_score
    )
    expected[("fairness.predictive_parity", "difference")], expected[("fairness.predictive_parity", "ratio")] = _between(
        frame, pred, columns, _ppv
    )
    diffs, ratios = _between(frame, pred, columns, ORACLES)
    for rate in ORACLES:
        expected[("fairness.group_rates", f"{rate}_difference")] = diffs[rate]
        expected[("fairness.group_rates", f"{rate}_ratio")] = ratios[rate]
    for (check_id, metric), theirs in expected.items():
        assert value(check_id, metric) == pytest.approx(theirs, abs=1e-12), (check_id, metric)


def test_string_labels_and_string_predictions():
    frame, pred, _ = random_frame(5)
    frame = frame.assign(
        outcome=np.where(frame.y == 1, "hired", "rejected"),
        a=frame.a.map({"x": "Group One", "y": "Gruppe Zwei", "z": "第三组"}),
    )
    decisions = np.where(pred == 1, "hired", "rejected")
    data = prepare(frame.drop(columns="y"), target="outcome", sensitive=["a", "b"], positive_label="hired")
    ctx = AuditContext(data=data, y_pred=encode_predictions(data, decisions, "predictions"), scores=None, seed=0)
    measured = measure(ctx, "fairness.equalized_odds", n_boot=0, min_group_size=1)
    tpr = functools.partial(true_positive_rate, pos_label="hired")
    fpr = functools.partial(false_positive_rate, pos_label="hired")
    for columns in (["a"], ["a", "b"]):
        mf = MetricFrame(metrics={"tpr": tpr, "fpr": fpr}, y_true=frame.outcome, y_pred=decisions,
                         sensitive_features=frame[columns])
        attribute = JOIN.join(columns)
        assert pick(measured, "difference", attribute).value == pytest.approx(mf.difference().max())
        assert pick(measured, "ratio", attribute).value == pytest.approx(mf.ratio().min())
        assert pick(measured, "tpr_ratio", attribute).value == pytest.approx(mf.ratio()["tpr"])
    labels = {g.group for g in pick(measured, "tpr_difference", "a").groups}
    assert labels == {"Group One", "Gruppe Zwei", "第三组"}


# --- hand-computed counts, undefined rates, single-class and small groups -----------------------


def hand_frame() -> tuple[pd.DataFrame, np.ndarray]:
    """Group A: tn 2, fp 1, fn 1, tp 3 · group B: tn 4, fp 2 (no positives) · group C: tp 2, fn 1 (no negatives)."""
    cells = {"A": [(0, 0)] * 2 + [(0, 1)] + [(1, 0)] + [(1, 1)] * 3, "B": [(0, 0)] * 4 + [(0, 1)] * 2, "C": [(1, 1)] * 2 + [(1, 0)]}
    rows = [(g, y, p) for g, pairs in cells.items() for y, p in pairs]
    frame = pd.DataFrame(rows, columns=["g", "y", "p"])
    return frame[["g", "y"]], frame["p"].to_numpy()


def test_hand_computed_rates_with_undefined_groups():
    frame, pred = hand_frame()
    ctx = context(frame, pred, sensitive=["g"])
    measured = measure(ctx, "fairness.group_rates", n_boot=0, min_group_size=1)
    table = {rate: group_map(pick(measured, f"{rate}_difference", "g")) for rate in ORACLES}
    assert table["selection_rate"] == pytest.approx({"A": 4 / 7, "B": 2 / 6, "C": 2 / 3})
    assert table["base_rate"] == pytest.approx({"A": 4 / 7, "B": 0.0, "C": 1.0})
    assert table["tpr"] == {"A": pytest.approx(3 / 4), "B": None, "C": pytest.approx(2 / 3)}
    assert table["fnr"] == {"A": pytest.approx(1 / 4), "B": None, "C": pytest.approx(1 / 3)}
    assert table["fpr"] == {"A": pytest.approx(1 / 3), "B": pytest.approx(2 / 6), "C": None}
    assert table["tnr"] == {"A": pytest.approx(2 / 3), "B": pytest.approx(4 / 6), "C": None}
    assert table["ppv"] == {"A": pytest.approx(3 / 4), "B": pytest.approx(0.0), "C": pytest.approx(1.0)}
    assert table["npv"] == {"A": pytest.approx(2 / 3), "B": pytest.approx(1.0), "C": pytest.approx(0.0)}
    assert table["accuracy"] == pytest.approx({"A": 5 / 7, "B": 4 / 6, "C": 2 / 3})

    tpr = pick(measure(ctx, "fairness.equal_opportunity", n_boot=0, min_group_size=1), "difference", "g")
    assert tpr.value == pytest.approx(3 / 4 - 2 / 3)  # B left out, not counted as 0
    assert tpr.excluded_groups == ["B: rate undefined (zero denominator)"]
    assert group_map(tpr)["B"] is None

    odds = measure(ctx, "fairness.equalized_odds", n_boot=0, min_group_size=1)
    worst = pick(odds, "difference", "g")
    assert worst.value == pytest.approx(max(3 / 4 - 2 / 3, 1 / 3 - 2 / 6))
    assert set(worst.excluded_groups) == {
        "B: rate undefined (zero denominator) [tpr]",
        "C: rate undefined (zero denominator) [fpr]",
    }


def test_a_rate_defined_for_one_group_only_is_undefined_not_zero():
    frame = pd.DataFrame({"g": ["A"] * 40 + ["B"] * 40, "y": [1, 0] * 20 + [0] * 40})
    pred = np.tile([1, 0, 0, 1], 20)
    ctx = context(frame, pred, sensitive=["g"])
    measured = measure(ctx, "fairness.equal_opportunity", n_boot=50)
    for m in measured:
        assert m.value is None
        assert m.note == "undefined: fewer than two groups can be compared"
        assert m.excluded_groups == ["B: rate undefined (zero denominator)"]


def test_single_class_predictions_define_selection_but_not_precision():
    frame, _ = hand_frame()
    pred = np.zeros(len(frame), dtype=int)  # all-identical predictions
    ctx = context(frame, pred, sensitive=["g"])
    dp = pick(measure(ctx, "fairness.demographic_parity", n_boot=0, min_group_size=1), "difference", "g")
    assert dp.value == 0.0
    pp = pick(measure(ctx, "fairness.predictive_parity", n_boot=0, min_group_size=1), "ratio", "g")
    assert pp.value is None and len(pp.excluded_groups) == 3


def test_small_groups_are_left_out_with_their_size():
    frame, pred, _ = random_frame(0, n=400)
    ctx = context(frame, pred, sensitive=["a", "b"])
    measured = measure(ctx, "fairness.accuracy_parity", n_boot=0, min_group_size=80)
    inter = pick(measured, "difference", f"a{JOIN}b")
    sizes = {g.group: g.n for g in inter.groups}
    small = sorted(k for k, n in sizes.items() if n < 80)
    assert small and [e.split(":")[0] for e in inter.excluded_groups] == small
    assert all(f"n={sizes[k]} < min_group_size 80" in e for k, e in zip(small, inter.excluded_groups))
    kept = {k: v for k, v in group_map(inter).items() if sizes[k] >= 80}
    assert inter.value == pytest.approx(max(kept.values()) - min(kept.values()))
    assert FairnessParams().min_group_size == MIN_GROUP_SIZE == 30


# --- reference group ------------------------------------------------------------------------


def test_reference_group_difference_and_ratio():
    frame, pred, _ = random_frame(1)
    ctx = context(frame, pred)
    measured = measure(ctx, "fairness.demographic_parity", n_boot=200, reference_group="y")
    m = pick(measured, "difference", "a")
    rates = group_map(m)
    ref = rates["y"]
    assert m.value == pytest.approx(max(abs(r - ref) for r in rates.values()))
    ratio = pick(measured, "ratio", "a")
    assert ratio.value == pytest.approx(min(min(r, ref) / max(r, ref) for r in rates.values()))
    assert m.driver.startswith("reference y selection_rate")
    assert m.ci is not None and m.ci.low <= m.value <= m.ci.high
    # attributes without a group 'y' are compared highest to lowest, and say so
    other = pick(measured, "difference", "b")
    b_rates = group_map(other)
    assert other.value == pytest.approx(max(b_rates.values()) - min(b_rates.values()))
    assert "reference group 'y' is not a group of b" in other.note


def test_reference_group_that_is_too_small_makes_the_value_undefined():
    frame, pred, _ = random_frame(1, n=300)
    ctx = context(frame, pred, sensitive=["a"])
    m = pick(measure(ctx, "fairness.fpr_parity", n_boot=0, reference_group="z", min_group_size=100), "ratio", "a")
    assert m.value is None
    assert m.note.startswith("undefined: the reference group 'z' is left out (n=")


@pytest.mark.parametrize(("given", "hint"), [("femal", "did you mean 'female'?"), ("MALE", "did you mean 'male'?")])
def test_unknown_reference_group_is_not_applicable_with_a_hint(given, hint):
    frame = pd.DataFrame({"sex": ["female", "male"] * 30, "y": [0, 1, 1] * 20})
    ctx = context(frame, np.tile([0, 1], 30), sensitive=["sex"])
    with pytest.raises(NotApplicable) as raised:
        measure(ctx, "fairness.equal_opportunity", reference_group=given)
    assert f"reference_group '{given}' is not a group of 'sex'" in str(raised.value)
    assert hint in str(raised.value)


def test_disparate_impact_per_group_ratios_and_one_sided_reference():
    frame, pred, _ = random_frame(2)
    ctx = context(frame, pred, sensitive=["a"])
    rates = group_map(pick(measure(ctx, "fairness.demographic_parity", n_boot=0), "ratio", "a"))
    di = pick(measure(ctx, "fairness.disparate_impact", n_boot=100), "ratio", "a")
    top = max(rates.values())
    assert group_map(di) == pytest.approx({k: v / top for k, v in rates.items()})
    assert di.value == pytest.approx(min(rates.values()) / top)
    lowest = min(rates, key=rates.get)
    with_ref = measure(ctx, "fairness.disparate_impact", n_boot=0, reference_group=lowest)
    assert pick(with_ref, "ratio", "a").value == 1.0  # no group is selected less than the reference
    assert pick(with_ref, "difference", "a").value == 0.0
    highest = max(rates, key=rates.get)
    assert pick(measure(ctx, "fairness.disparate_impact", n_boot=0, reference_group=highest), "ratio", "a").value == (
        pytest.approx(di.value)
    )


# --- NYC Local Law 144 ------------------------------------------------------------------------


def ll144_frame(seed: int = 0, n: int = 3000):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male", None], n, p=[0.47, 0.48, 0.05])
    race = rng.choice(["asian", "black", "white", "pacific"], n, p=[0.2, 0.3, 0.49, 0.01])
    scores = rng.random(n) + (race == "white") * 0.1
    frame = pd.DataFrame({"sex": sex, "race": race, "y": rng.integers(0, 2, n)})
    return frame, (scores > 0.6).astype(int), scores


def test_ll144_selection_rates_unknown_category_and_small_share():
    frame, pred, scores = ll144_frame()
    ctx = context(frame, pred, scores, sensitive=["sex", "race"])
    measured = measure(ctx, "fairness.ll144_impact_ratio", n_boot=0, exclude_below_share=0.02, min_group_size=1)
    known = frame.sex.notna()
    rates = pd.Series(pred[known]).groupby(frame.sex[known].to_numpy()).mean()
    sex = pick(measured, "min_impact_ratio", "sex")
    assert sex.value == pytest.approx(rates.min() / rates.max())
    n_unknown = int((~known).sum())
    assert f"unknown category: {n_unknown} rows ({n_unknown / len(frame):.2%}) left out" in sex.note
    assert sex.excluded_groups == []
    assert pick(measured, "highest_rate", "sex").value == pytest.approx(rates.max())

    race = pick(measured, "min_impact_ratio", "race")
    assert race.excluded_groups == []  # set aside as the rules permit, not left out
    assert [e.split(":")[0] for e in race.permitted_exclusions] == ["pacific"]
    assert "< exclude_below_share 2.00%" in race.permitted_exclusions[0]
    assert group_map(pick(measured, "highest_rate", "race"))["pacific"] == pytest.approx(
        pred[frame.race == "pacific"].mean())  # its count and rate are still reported
    race_rates = pd.Series(pred).groupby(frame.race.to_numpy()).mean().drop("pacific")
    assert race.value == pytest.approx(race_rates.min() / race_rates.max())
    assert group_map(race)["black"] == pytest.approx(race_rates["black"] / race_rates.max())

    inter = pick(measured, "min_impact_ratio", f"sex{JOIN}race")
    assert f"unknown{JOIN}white" in group_map(inter)
    assert not any(e.startswith("unknown") for e in inter.excluded_groups)


def test_ll144_every_category_at_or_above_two_percent_gets_a_ratio_however_few_rows():
    frame = pd.DataFrame({"race": ["a"] * 90 + ["b"] * 5 + ["c"] * 5, "y": [0, 1] * 50})
    pred = np.array([1, 0] * 45 + [1, 1, 0, 0, 0] + [1, 0, 0, 0, 0])
    ctx = context(frame, pred, None, sensitive=["race"])
    race = pick(measure(ctx, "fairness.ll144_impact_ratio", n_boot=0, exclude_below_share=0.02), "min_impact_ratio", "race")
    assert race.excluded_groups == [] and race.permitted_exclusions == []  # 5 rows = 5% ≥ 2%: compared
    assert race.value == pytest.approx(0.2 / 0.5)


def test_ll144_scoring_rate_uses_the_full_sample_median():
    frame, pred, scores = ll144_frame(1)
    ctx = context(frame, pred, scores, sensitive=["race"])
    measured = measure(ctx, "fairness.ll144_impact_ratio", n_boot=0, use_scores=True, min_group_size=1)
    above = scores > np.median(scores)
    rates = pd.Series(above).groupby(frame.race.to_numpy()).mean()
    m = pick(measured, "highest_rate", "race")
    assert group_map(m) == pytest.approx(rates.to_dict())
    assert pick(measured, "min_impact_ratio", "race").value == pytest.approx(rates.min() / rates.max())
    assert "above the median score" in m.note


def test_ll144_scores_needed_when_asked_for():
    frame, pred, _ = ll144_frame()
    ctx = context(frame, pred, None, sensitive=["race"])
    with pytest.raises(NotApplicable, match="no scores"):
        measure(ctx, "fairness.ll144_impact_ratio", use_scores=True)


# --- the registry contract --------------------------------------------------------------------


@pytest.mark.parametrize("check_id", FAIRNESS_IDS)
def test_each_check_measures_exactly_its_declared_metrics(check_id):
    frame, pred, scores = random_frame(0)
    ctx = context(frame, pred, scores)
    check = REGISTRY[check_id]
    measured = measure(ctx, check_id, n_boot=20)
    assert {m.metric for m in measured} == set(check.metrics)
    assert {m.attribute for m in measured} == {"a", "b", f"a{JOIN}b"}
    assert all(m.check == check_id for m in measured)
    assert check.needs_sensitive and check.summary
    assert measure(ctx, check_id, n_boot=20) == measured  # same seed, same numbers


@pytest.mark.parametrize("check_id", FAIRNESS_IDS)
def test_no_sensitive_attribute_is_not_applicable(check_id):
    frame, pred, scores = random_frame(0)
    data = prepare(frame, target="y", sensitive=[])
    ctx = AuditContext(data=data, y_pred=pred, scores=scores, seed=0)
    with pytest.raises(NotApplicable, match="sensitive"):
        measure(ctx, check_id)


def test_group_confidence_intervals_bracket_the_point_values():
    frame, pred, _ = random_frame(4, n=2000)
    ctx = context(frame, pred)
    for m in measure(ctx, "fairness.group_rates", n_boot=300, ci_level=0.9):
        assert m.ci is None or m.ci.low <= m.value <= m.ci.high or m.value is None
        for g in m.groups:
            assert g.ci is not None and g.ci.level == 0.9
            assert g.ci.low - 1e-12 <= g.value <= g.ci.high + 1e-12
