"""Every shipped profile runs on the demo data to a complete report, and says where numbers come from."""

from __future__ import annotations

import pytest

from conformance import api
from conformance.checks import REGISTRY
from conformance.profiles.loader import load_profile, question_bank, shipped_profiles
from conformance.result import Format

PROFILES = sorted(shipped_profiles())
EXPECTED = {"base", "eu-ai-act-high-risk", "nist-ai-rmf", "iso-iec-42001", "iso-iec-24027", "iso-iec-25059",
            "ieee-7003", "nyc-ll144", "eeoc-four-fifths", "ai-verify", "cn-pipl-art24"}


def test_the_promised_profiles_ship():
    assert EXPECTED <= set(PROFILES)


@pytest.mark.parametrize("profile_id", PROFILES)
def test_profile_is_honest_about_its_numbers(profile_id):
    loaded = load_profile(profile_id)
    assert loaded.requirements, f"{profile_id} has no requirements"
    for requirement in loaded.candidates:
        assert requirement.clause.strip() and requirement.title.strip()
        if requirement.kind == "automated":
            assert requirement.check in REGISTRY
            if requirement.threshold.origin in ("standard", "regulation"):
                # only the numbers a source states: the four-fifths rule
                assert requirement.threshold.note and "1607.4(D)" in requirement.threshold.note
                assert requirement.threshold.min == 0.8


def test_question_bank_is_used_and_clean():
    bank = question_bank()
    asked = {r.question for p in PROFILES for r in load_profile(p).candidates if r.kind == "checklist"}
    own = {q.id for p in PROFILES for q in load_profile(p).profile.questions}  # a profile's own questions
    assert asked <= set(bank) | own
    assert not own & set(bank), f"questions both in the bank and a profile: {sorted(own & set(bank))}"
    assert not set(bank) - asked, f"questions no profile asks: {sorted(set(bank) - asked)}"


@pytest.fixture(scope="module")
def demo_result(demo_model):
    model, train, test = demo_model
    return api.audit(test, target="risk", sensitive=["sex", "age_group"], model=model, profiles=PROFILES,
                     reference=train)


@pytest.mark.parametrize("profile_id", PROFILES)
def test_profile_runs_on_the_demo_to_a_complete_report(demo_result, profile_id, tmp_path):
    ev = demo_result.evidence
    mine = [r for r in ev.requirements if r.profile == profile_id]
    assert len(mine) == len(load_profile(profile_id).requirements)
    errors = [(r.id, r.reason) for r in mine if r.verdict == "error"]
    assert not errors, errors
    for r in mine:
        assert r.reason
        assert r.verdict == ("pending" if r.kind == "checklist" else r.verdict)
    summary = next(p for p in ev.profiles if p.id == profile_id)
    assert sum(summary.verdicts.values()) == len(mine)
    assert {c.clause for c in summary.clauses} == {r.clause for r in mine}
    written = api.save_reports(demo_result, tmp_path, [Format.json, Format.md])
    assert all(p.stat().st_size for p in written)


def test_each_check_runs_once_for_all_profiles(demo_result):
    ev = demo_result.evidence
    keys = [c.key for c in ev.checks]
    assert len(keys) == len(set(keys))
    assert all(c.status in ("ok", "not_applicable") for c in ev.checks), [(c.key, c.reason) for c in ev.checks]
    dp = [r.profile for r in ev.requirements if r.check_key == "fairness.demographic_parity"]
    assert len(set(dp)) >= 6  # one measurement serves many frameworks


def _tabular(profile_id: str) -> bool:
    """A profile with a check for tabular models (generative profiles run on banks, elsewhere)."""
    return any("generative" not in REGISTRY[r.check].tasks for r in load_profile(profile_id).automated)


@pytest.mark.parametrize("profile_id", [p for p in PROFILES if _tabular(p)])
def test_profile_runs_alone(demo_model, profile_id):
    model, _, test = demo_model
    result = api.audit(test, target="risk", sensitive=["sex"], model=model, profiles=[profile_id])
    assert result.evidence.outcome in ("conformant", "conformant_with_observations", "non_conformant", "incomplete")
    assert not [r for r in result.evidence.requirements if r.verdict == "error"]
