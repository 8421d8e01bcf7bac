"""The one evaluator: point and confidence rules, undefined values, small groups, the outcome."""

from __future__ import annotations

import pytest

from conformance.profiles.judge import judge, observe, overall_outcome
from conformance.profiles.schema import Requirement
from conformance.result import CheckOutcome, Interval, Measurement


def _req(rule="point", **threshold) -> Requirement:
    return Requirement.model_validate(
        dict(id="r", clause="1", title="t", principle="fairness", check="fairness.demographic_parity",
             metric="ratio", decision_rule=rule, threshold={"origin": "tool-default", **threshold})
    )


def _m(value, low=None, high=None, excluded=()):
    ci = Interval(low=low, high=high, level=0.95) if low is not None else None
    return Measurement(check="fairness.demographic_parity", metric="ratio", attribute="sex", value=value, ci=ci,
                       excluded_groups=list(excluded))


@pytest.mark.parametrize(
    ("value", "verdict"), [(0.85, "pass"), (0.8, "pass"), (0.79, "fail"), (None, "inconclusive")]
)
def test_point_rule(value, verdict):
    assert observe(_m(value), _req(min=0.8)).verdict == verdict


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [(0.82, 0.9, "pass"), (0.6, 0.75, "fail"), (0.75, 0.9, "inconclusive")],
)
def test_confidence_rule(low, high, verdict):
    assert observe(_m(0.8, low, high), _req("confidence", min=0.8)).verdict == verdict


def test_confidence_rule_without_interval_is_inconclusive():
    assert observe(_m(0.95), _req("confidence", min=0.8)).verdict == "inconclusive"


def test_band_threshold():
    assert observe(_m(1.3), _req(min=0.8, max=1.25)).verdict == "fail"
    assert observe(_m(1.1), _req(min=0.8, max=1.25)).verdict == "pass"


def test_left_out_groups_turn_a_pass_into_inconclusive_but_not_a_fail():
    assert observe(_m(0.9, excluded=["x: n=3 < min_group_size 30"]), _req(min=0.8)).verdict == "inconclusive"
    assert observe(_m(0.5, excluded=["x: n=3 < min_group_size 30"]), _req(min=0.8)).verdict == "fail"


def _outcome(*measurements, status="ok", reason=None):
    return CheckOutcome(key="k", check="fairness.demographic_parity", title="t", params={}, status=status,
                        reason=reason, measurements=list(measurements))


def test_requirement_takes_its_worst_observation():
    result = judge("p", _req(min=0.8), _outcome(_m(0.9), _m(0.7)), "fix it")
    assert result.verdict == "fail" and result.remediation == "fix it"
    assert [o.verdict for o in result.observations] == ["pass", "fail"]


def test_check_status_carries_through():
    assert judge("p", _req(min=0.8), _outcome(status="not_applicable", reason="why"), "").verdict == "not_applicable"
    errored = judge("p", _req(min=0.8), _outcome(status="error", reason="ValueError: x"), "")
    assert errored.verdict == "error" and "ValueError: x" in errored.reason


def _r(verdict, severity="major", origin="regulation"):
    base = judge("p", _req(min=0.8), _outcome(_m(0.9)), "")
    return base.model_copy(update={"verdict": verdict, "severity": severity,
                                   "threshold": base.threshold.model_copy(update={"origin": origin})})


@pytest.mark.parametrize(
    ("verdicts", "outcome"),
    [
        ([("pass", "major")], "conformant"),
        ([("pass", "major"), ("not_applicable", "major")], "conformant"),
        ([("pass", "major"), ("fail", "minor")], "conformant_with_observations"),
        ([("inconclusive", "critical")], "conformant_with_observations"),
        ([("error", "minor"), ("pass", "major")], "incomplete"),
        ([("pending", "major")], "incomplete"),
        ([("fail", "major"), ("pending", "major")], "non_conformant"),
        ([("fail", "critical")], "non_conformant"),
    ],
)
def test_overall_outcome(verdicts, outcome):
    assert overall_outcome([_r(v, s) for v, s in verdicts]) == outcome


@pytest.mark.parametrize("origin", ["regulation", "standard", "provider-declared"])
def test_a_binding_threshold_failed_is_non_conformant(origin):
    assert overall_outcome([_r("fail", "major", origin)]) == "non_conformant"


def test_a_tool_default_failed_is_an_observation_unless_the_defaults_are_adopted():
    results = [_r("pass"), _r("fail", "critical", "tool-default")]
    assert overall_outcome(results) == "conformant_with_observations"
    assert overall_outcome(results, adopt_defaults=True) == "non_conformant"
    # missing evidence still makes the outcome incomplete
    assert overall_outcome([*results, _r("pending")]) == "incomplete"


def test_a_process_answer_no_is_binding():
    base = _r("fail")
    checklist = base.model_copy(update={"kind": "checklist", "threshold": None, "check": None, "metric": None})
    assert overall_outcome([checklist]) == "non_conformant"


def _declared_req(tolerance=0.0):
    return Requirement.model_validate(
        dict(id="r", clause="13(3)(b)(ii)", title="t", principle="accuracy", check="performance.classification",
             metric="balanced_accuracy", threshold={"min_declared": "balanced_accuracy", "tolerance": tolerance,
                                                    "origin": "provider-declared"})
    )


def _accuracy(value):
    m = Measurement(check="performance.classification", metric="balanced_accuracy", value=value)
    return CheckOutcome(key="k", check="performance.classification", title="t", params={}, status="ok", measurements=[m])


def test_a_declared_level_is_the_bound():
    assert judge("p", _declared_req(), _accuracy(0.74), "", {"balanced_accuracy": 0.72}).verdict == "pass"
    failed = judge("p", _declared_req(), _accuracy(0.70), "", {"balanced_accuracy": 0.72})
    assert failed.verdict == "fail" and failed.threshold.min == 0.72
    assert "declared balanced_accuracy 0.72" in failed.threshold.note
    tolerant = judge("p", _declared_req(0.03), _accuracy(0.70), "", {"balanced_accuracy": 0.72})
    assert tolerant.verdict == "pass" and tolerant.threshold.min == pytest.approx(0.69)


def test_an_undeclared_level_is_inconclusive_and_says_how_to_declare_it():
    result = judge("p", _declared_req(), _accuracy(0.9), "", {})
    assert result.verdict == "inconclusive"
    assert "--declare balanced_accuracy=VALUE" in result.reason


def test_declared_bounds_must_say_provider_declared():
    with pytest.raises(ValueError, match="provider-declared"):
        Requirement.model_validate(
            dict(id="r", clause="1", title="t", principle="accuracy", check="performance.classification",
                 metric="balanced_accuracy", threshold={"min_declared": "balanced_accuracy", "origin": "tool-default"})
        )


def test_a_count_reads_as_a_whole_number_and_a_rate_keeps_its_decimals():
    assert "ratio for sex = 16: " in observe(_m(16.0), _req(min=30)).reason
    assert "ratio for sex = 0: " in observe(_m(0.0), _req(min=30)).reason
    rate = observe(_m(1.0, 0.9, 1.0), _req(min=0.8)).reason
    assert "ratio for sex = 1.000 (95% CI 0.900–1.000)" in rate
