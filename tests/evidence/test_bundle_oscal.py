"""OSCAL exports validated by the official OSCAL models (compliance-trestle), and a bundle's
evidence mapped onto the clauses of other frameworks."""

from __future__ import annotations

import json
import sys

import pytest

from conformance.profiles.loader import shipped_profiles


def _read(path, model):
    """Parse with trestle's own OSCAL reader (the NIST models), as a third party would."""
    return model.oscal_read(path)


def test_assessment_results_validate_and_map_every_verdict(cli, signed_run, tmp_path):
    from trestle.oscal.assessment_results import AssessmentResults

    ran = cli("export", signed_run / "out" / "report.json", "--format", "oscal", "--output", tmp_path / "ar.json")
    assert ran.code == 0, ran.err
    document = _read(tmp_path / "ar.json", AssessmentResults)
    report = json.loads((signed_run / "out" / "report.json").read_text())["evidence"]
    findings = document.results[0].findings
    assert len(findings) == len(report["requirements"])
    for finding, requirement in zip(findings, report["requirements"]):
        state = getattr(finding.target.status.state, "value", finding.target.status.state)
        assert (state == "satisfied") == (requirement["verdict"] == "pass")
        verdict = next(p.value for p in finding.props if p.name == "verdict")
        assert verdict == requirement["verdict"]
        assert finding.related_observations, requirement["id"]
    observed = {o.uuid for o in document.results[0].observations}
    assert all(f.related_observations[0].observation_uuid in observed for f in findings)
    again = cli("export", signed_run / "out" / "report.json", "--format", "oscal")
    assert again.out == (tmp_path / "ar.json").read_text()  # deterministic


@pytest.mark.parametrize("profile", sorted(shipped_profiles()))
def test_every_shipped_profile_exports_as_a_valid_catalog(cli, tmp_path, profile):
    from trestle.oscal.catalog import Catalog

    from conformance import api

    ran = cli("export", "--format", "oscal-catalog", "--profile", profile, "--output", tmp_path / "c.json")
    assert ran.code == 0, ran.err
    catalog = _read(tmp_path / "c.json", Catalog)
    controls = [c for g in catalog.groups for c in g.controls]
    assert len(controls) == len(api.plan_for([profile]).profiles[0].requirements)
    assert len({c.id for c in controls}) == len(controls)
    assert {g.title for g in catalog.groups} == {r.clause for r in api.plan_for([profile]).profiles[0].requirements}


def test_export_without_the_oscal_extra_says_how_to_install_it(cli, signed_run, monkeypatch):
    monkeypatch.setitem(sys.modules, "trestle.oscal.assessment_results", None)
    ran = cli("export", signed_run / "out" / "report.json", "--format", "oscal")
    assert ran.code == 2 and "pip install 'conformance[oscal]'" in ran.err
    assert cli("export", "--format", "oscal").code == 2
    assert "give --profile" in cli("export", "--format", "oscal-catalog").err


def test_crosswalk_of_a_bundle_shows_the_clauses_its_evidence_covers(cli, signed_run, keys, tmp_path):
    import os

    here = os.getcwd()
    os.chdir(signed_run)
    try:
        assert cli("bundle", "out", "--output", tmp_path / "x.bundle", "--sign-key", keys[0]).code == 0
    finally:
        os.chdir(here)
    ran = cli("crosswalk", "--bundle", tmp_path / "x.bundle", "--profile", "eeoc-four-fifths", "--profile", "nyc-ll144",
              "--format", "json")
    assert ran.code == 0, ran.err
    rows = json.loads(ran.out)
    eeoc = [r for r in rows if r["profile"] == "eeoc-four-fifths"]
    measured = [r for r in eeoc if r["clause"] == "29 CFR 1607.4(D)"]
    assert measured and all(r["covered"] for r in measured)  # the bundle was audited under this very profile
    assert any(not r["covered"] for r in eeoc if r["clause"] == "29 CFR 1607.3(B)")  # a question nobody answered
    nyc = [r for r in rows if r["profile"] == "nyc-ll144"]
    assert any(not r["covered"] for r in nyc)  # LL144's process questions were never answered
    for r in nyc:
        assert r["covered"] == (not r["without_evidence"])
        if r["without_evidence"]:
            assert r["status"] != "satisfied"
    table = cli("crosswalk", "--bundle", tmp_path / "x.bundle", "--profile", "nyc-ll144")
    assert table.code == 0 and "clauses covered by the bundle's evidence" in table.out
