"""Customising: overrides and waivers in a profile that extends another, --set, Annex III use cases."""

from __future__ import annotations

import pytest

from conformance import api
from conformance.errors import ConfigError
from conformance.profiles.loader import load_profile
from conformance.profiles.sets import parse_set

POLICY = """\
id: my-policy
title: Hiring policy
version: "1"
source: {title: internal, citation: HR-1}
extends: [eeoc-four-fifths]
overrides:
  four-fifths:
    threshold: {min: 0.9}
    severity: critical
    params: {min_group_size: 50}
    justification: Our policy is stricter than the rule of thumb.
waivers:
  - requirement: four-fifths-significance
    justification: Group sizes are too small for a meaningful interval.
    approved_by: Head of HR
"""


def _audit(frame, profiles, **kw):
    return api.audit(frame, target="approved", positive_label="yes", predictions="decision", scores="score",
                     sensitive=["sex"], profiles=profiles, **kw)


def test_overrides_and_waivers_apply_and_are_recorded(tmp_path, predictions_frame):
    (tmp_path / "policy.yaml").write_text(POLICY)
    loaded = load_profile(str(tmp_path / "policy.yaml"))
    assert [r.id for r in loaded.requirements] == ["four-fifths", "scope", "bottom-line", "less-discriminatory-alternatives"]
    req = loaded.requirements[0]
    assert (req.threshold.min, req.threshold.origin, req.severity) == (0.9, "provider-declared", "critical")
    assert req.params == {"min_group_size": 50}
    assert "Changed by profile:my-policy from min 0.8 (regulation)" in req.threshold.note
    assert req.threshold.note_zh.startswith("由 profile:my-policy 修改，原为 min 0.8（regulation）")

    result = _audit(predictions_frame, [str(tmp_path / "policy.yaml")])
    ev = result.evidence
    changed = {(o.requirement, o.field): (o.old, o.new) for o in ev.overrides}
    assert changed[("four-fifths", "threshold.min")] == (0.8, 0.9)
    assert changed[("four-fifths", "threshold.origin")] == ("regulation", "provider-declared")
    assert changed[("four-fifths", "severity")] == ("major", "critical")
    assert changed[("four-fifths", "params.min_group_size")] == (None, 50)
    assert all(o.source == "profile:my-policy" and o.profile == "my-policy" for o in ev.overrides)
    assert [(w.requirement, w.approved_by) for w in ev.waivers] == [("four-fifths-significance", "Head of HR")]
    assert ev.waivers[0].clause == "29 CFR 1607.4(D)"
    assert [r.id for r in ev.requirements] == ["four-fifths", "scope", "bottom-line", "less-discriminatory-alternatives"]
    assert ev.checks[0].params["min_group_size"] == 50


def test_set_on_the_command_line_is_recorded(predictions_frame):
    result = _audit(predictions_frame, ["eeoc-four-fifths"],
                    sets=["eeoc-four-fifths/four-fifths.threshold.min=0.85", "four-fifths.decision_rule=confidence"])
    req = next(r for r in result.evidence.requirements if r.id == "four-fifths")
    assert req.threshold.min == 0.85 and req.threshold.origin == "provider-declared"
    assert req.decision_rule == "confidence"
    fields = [(o.field, o.source) for o in result.evidence.overrides]
    assert fields == [("threshold.min", "--set"), ("threshold.origin", "--set"), ("decision_rule", "--set")]


def test_set_with_explicit_origin_keeps_it(predictions_frame):
    plan = api.plan_for(["eeoc-four-fifths"], ["four-fifths.threshold.max=1.25", "four-fifths.threshold.origin=standard"])
    req = plan.cited[0][1]
    assert (req.threshold.min, req.threshold.max, req.threshold.origin) == (0.8, 1.25, "standard")


def test_set_params_and_drop_a_bound():
    plan = api.plan_for(["eu-ai-act-high-risk"], ["art10-bias-error-rates.params.min_group_size=10"])
    keys = {k for _, r, k in plan.cited if r.id == "art10-bias-error-rates"}
    assert keys == {'fairness.equalized_odds{"min_group_size":10}'}
    with pytest.raises(ConfigError, match="a threshold needs min, max, min_declared or max_declared"):
        api.plan_for(["eeoc-four-fifths"], ["four-fifths.threshold.min=null"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("four-fifths.threshold.min", "--set 'four-fifths.threshold.min': no '=' (write --set [PROFILE/]REQUIREMENT.FIELD=VALUE"),
        ("four-fifths=0.8", "expected REQUIREMENT.FIELD before '='"),
        ("/four-fifths.severity=major", "empty profile before '/'"),
        ("four-fifths.threshold.min=[0.8", "the value is not valid YAML"),
        ("four-fifths.threshold.min={a: 1}", "the value must be a single number, word or null"),
    ],
)
def test_set_syntax_errors(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_set(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("eeoc-4-fifths/four-fifths.threshold.min=0.9", "profile 'eeoc-4-fifths' is not in this run (did you mean 'eeoc-four-fifths'?)"),
        ("four-fifth.threshold.min=0.9", "no requirement 'four-fifth' in the profiles of this run (did you mean 'four-fifths'?)"),
        ("four-fifths.threshold.minimum=0.9", "'threshold.minimum' cannot be set on 'four-fifths' (did you mean 'threshold.min'?)"),
        ("four-fifths.params.min_group_sise=3", "(did you mean 'params.min_group_size'?)"),
        ("four-fifths.threshold.min=high", "threshold.min: Input should be a valid number"),
        ("four-fifths.severity=huge", "severity: Input should be 'critical', 'major' or 'minor'"),
        ("four-fifths.params.n_boot=-1", "parameter 'n_boot' of 'fairness.demographic_parity'"),
        ("eeoc-four-fifths/annex_iii=employment", None),
        ("eu-ai-act-high-risk/annex_iii=creditworthyness", "unknown Annex III use case 'creditworthyness' (did you mean 'creditworthiness'?)"),
        ("annex_iii=employment", "say which profile"),
    ],
)
def test_set_resolution_errors(text, message):
    profiles = ["eeoc-four-fifths", "eu-ai-act-high-risk"]
    if message is None:
        api.plan_for(profiles, [text])  # a profile without use cases accepts the selection (it adds nothing)
        return
    with pytest.raises(ConfigError) as caught:
        api.plan_for(profiles, [text])
    assert message in str(caught.value)


def test_ambiguous_requirement_id(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(POLICY.replace("id: my-policy", "id: other").split("overrides:")[0])
    with pytest.raises(ConfigError, match=r"'four-fifths' is in several profiles \(eeoc-four-fifths, other\)"):
        api.plan_for(["eeoc-four-fifths", str(other)], ["four-fifths.severity=minor"])


def test_cli_set_error_is_one_line(cli, predictions_frame, tmp_path):
    data = tmp_path / "d.csv"
    predictions_frame.to_csv(data, index=False)
    ran = cli("run", "--data", data, "--target", "approved", "--positive-label", "yes", "--predictions", "decision",
              "--sensitive", "sex", "--profile", "eeoc-four-fifths", "--set", "four-fifths.treshold.min=0.9",
              "--output", tmp_path / "o")
    assert ran.code == 2
    assert ran.err.strip() == ("error: --set 'four-fifths.treshold.min=0.9': 'treshold.min' cannot be set on "
                               "'four-fifths' (did you mean 'threshold.min'?)")
    assert not (tmp_path / "o").exists()


def test_annex_iii_use_case_adds_requirements(tmp_path):
    plain = {r.id for r in load_profile("eu-ai-act-high-risk").requirements}
    assert "annex-iii-5b-equal-opportunity" not in plain and "art86-explanation" not in plain
    (tmp_path / "credit.yaml").write_text(
        "id: credit\ntitle: t\nversion: '1'\nsource: {title: s, citation: c}\n"
        "extends: eu-ai-act-high-risk\nannex_iii: creditworthiness\n"
    )
    credit = load_profile(str(tmp_path / "credit.yaml"))
    added = {r.id for r in credit.requirements} - plain
    assert added == {"annex-iii-5b-equal-opportunity", "annex-iii-5b-group-balanced-accuracy",
                     "art27-fundamental-rights-impact", "art86-explanation"}
    assert credit.annex_iii == ("creditworthiness",)
    plan = api.plan_for(["eu-ai-act-high-risk"], ["eu-ai-act-high-risk/annex_iii=employment"])
    ids = {r.id for _, r, _ in plan.cited} | {i.id for _, i in plan.asked}
    assert {"annex-iii-4-impact-ratio", "art86-explanation"} <= ids
    assert plan.profiles[0].overrides[-1].field == "annex_iii"


def test_annex_iii_recorded_in_the_summary(predictions_frame):
    result = _audit(predictions_frame, ["eu-ai-act-high-risk"], sets=["eu-ai-act-high-risk/annex_iii=employment"])
    summary = result.evidence.profiles[0]
    assert summary.annex_iii == ["employment"]
    assert any(r.id == "annex-iii-4-impact-ratio" for r in result.evidence.requirements)
