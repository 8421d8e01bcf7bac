"""An outcome that claims no more than the evidence shows: tool-default failures are observations
unless adopted, the per-profile outcome, and the gate that explains the exit code."""

from __future__ import annotations

import json

import pytest

from conformance import api
from conformance.config import Severity

# A profile where the only failure is against a tool-default threshold (selection-rate ratio).
PROFILE = """
id: defaults-only
title: t
version: "1"
source: {title: t, citation: t}
requirements:
  - id: ratio
    clause: "1"
    title: selection-rate ratio
    principle: fairness
    severity: major
    check: fairness.demographic_parity
    metric: ratio
    threshold: {min: 0.8, origin: tool-default}
"""


@pytest.fixture
def skewed(predictions_frame):
    frame = predictions_frame.copy()
    frame.loc[frame.sex == "female", "decision"] = "no"  # no woman is ever selected: ratio 0
    return frame


@pytest.fixture
def profile(tmp_path):
    path = tmp_path / "defaults-only.yaml"
    path.write_text(PROFILE)
    return str(path)


def _audit(frame, profile, **kw):
    return api.audit(frame, target="approved", positive_label="yes", predictions="decision",
                     sensitive=["sex"], profiles=[profile], **kw)


def test_a_tool_default_failure_is_an_observation_and_the_gate_says_so(skewed, profile):
    result = _audit(skewed, profile)
    ev = result.evidence
    assert [r.verdict for r in ev.requirements] == ["fail"]
    assert ev.outcome == "conformant_with_observations" and ev.defaults_adopted is False
    summary = ev.profiles[0]
    assert (summary.outcome, summary.binding_failures, summary.default_failures) == ("conformant_with_observations", 0, 1)
    gate = api.gate(result, Severity.major)
    assert gate.code == 1 == api.exit_code(result, Severity.major)  # the exit code still follows --fail-on
    [failed] = gate.failed
    assert (failed.requirement, failed.severity, failed.origin, failed.binding) == ("ratio", "major", "tool-default", False)
    assert api.gate(result, Severity.critical).code == 0 and not api.gate(result, Severity.critical).failed


def test_adopting_the_defaults_makes_them_binding_and_is_recorded(skewed, profile):
    result = _audit(skewed, profile, adopt_defaults=True)
    ev = result.evidence
    assert ev.outcome == "non_conformant" and ev.defaults_adopted is True
    assert (ev.profiles[0].binding_failures, ev.profiles[0].default_failures) == (1, 0)
    assert api.gate(result, Severity.major).failed[0].binding is True


def test_a_regression_gate_names_the_requirement(skewed, predictions_frame, profile):
    old = _audit(predictions_frame, profile)
    new = _audit(skewed, profile)
    diff = api.diff_reports(old, new)
    gate = api.gate(new, Severity.regression, diff)
    assert gate.code == 1 and [f.requirement for f in gate.failed] == ["ratio"]
    assert api.gate(old, Severity.regression, api.diff_reports(old, old)).code == 0


def test_adopt_defaults_from_the_command_line_and_the_run_file(cli, skewed, profile, tmp_path):
    data = tmp_path / "d.csv"
    skewed.to_csv(data, index=False)
    args = ["run", "--data", data, "--target", "approved", "--positive-label", "yes", "--predictions", "decision",
            "--sensitive", "sex", "--profile", profile, "--format", "json"]
    cli(*args, "--output", tmp_path / "a", "--adopt-defaults")
    ev = json.loads((tmp_path / "a" / "report.json").read_text())["evidence"]
    assert ev["defaults_adopted"] is True and ev["outcome"] == "non_conformant"
    assert "--adopt-defaults" in ev["manifest"]["command"]
    (tmp_path / "run.yaml").write_text("adopt_defaults: true\n")
    cli(*args, "--output", tmp_path / "b", "--config", tmp_path / "run.yaml")
    assert json.loads((tmp_path / "b" / "report.json").read_text())["evidence"]["defaults_adopted"] is True
    cli(*args, "--output", tmp_path / "c")
    assert json.loads((tmp_path / "c" / "report.json").read_text())["evidence"]["outcome"] == "conformant_with_observations"
