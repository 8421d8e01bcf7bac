"""The terminal summary: outcome first, deciding requirements by seriousness, each fix once,
next steps; piped output is plain lines that never break an id or a number."""

from __future__ import annotations

import io
import re

from rich.console import Console

from conformance import api
from conformance.choices import Severity
from conformance.locale import Words
from conformance.report.terminal import deciding, gate_line, print_gate, render_terminal


def piped(result, width: int = 40, **options) -> str:
    buffer = io.StringIO()
    render_terminal(result, Console(file=buffer, width=width), ["out/report.json"], **options)
    return buffer.getvalue()


def test_outcome_first_with_integer_counts_per_profile(demo_result):
    lines = piped(demo_result).splitlines()
    assert lines[2].startswith("Outcome: ")
    for profile, line in zip(demo_result.evidence.profiles, lines[3:]):
        assert line.startswith(f"  {profile.id} {profile.version}: ")
        numbers = re.findall(r"\d+(?:\.\d+)?", line.split(": ", 1)[1])
        assert numbers == [str(int(n)) for n in profile.verdicts.values() if n]  # integers, in the order shown
        assert "{" not in line  # no raw JSON


def test_piped_output_never_breaks_a_line_at_any_width(demo_result):
    text = piped(demo_result, width=20)
    for r in deciding(demo_result):
        assert any(f"{r.profile}/{r.id} ({r.clause})" in line for line in text.splitlines())  # one line each
    assert "\x1b[" not in text


def test_failures_before_inconclusive_and_severity_order(demo_result):
    order = deciding(demo_result)
    ranks = [(0 if r.verdict in ("fail", "error") else 1, {"critical": 0, "major": 1, "minor": 2}[r.severity]) for r in order]
    assert ranks == sorted(ranks)
    text = piped(demo_result)
    positions = [text.index(f"{r.profile}/{r.id} (") for r in order]
    assert positions == sorted(positions)


def test_each_remediation_text_once(demo_result):
    text = piped(demo_result)
    for r in deciding(demo_result):
        if r.remediation:
            assert text.count(r.remediation) == 1


def test_next_steps_name_the_checklist_command_and_the_reports(demo_result):
    text = piped(demo_result)
    assert "conformance checklist init --profile eu-ai-act-high-risk --profile eeoc-four-fifths" in text
    assert "--checklist answers.yaml" in text and "out/report.json" in text
    assert "--verbose" in text
    full = piped(demo_result, verbose=True)
    assert all(f"] {r.id} (" in full for r in demo_result.evidence.requirements)


def test_model_card_failure_names_the_missing_fields(demo_result):
    text = piped(demo_result)
    line = next(line for line in text.splitlines() if "annex-iv-model-card" in line and "[" in line)
    assert "post_market_monitoring" in line


def test_gate_line_says_why_the_exit_code(demo_result):
    t = Words("en")
    failing = api.gate(demo_result, Severity.minor)
    text = "".join(p if isinstance(p, str) else p[0] for p in gate_line(failing, t))
    assert text.startswith("exit 1: ") and all(f"{f.profile}/{f.requirement}" in text for f in failing.failed)
    passing = api.gate(demo_result, Severity.critical)
    assert passing.code == 0
    assert "".join(p if isinstance(p, str) else p[0] for p in gate_line(passing, t)).startswith("exit 0: no requirement")
    buffer = io.StringIO()
    print_gate(passing, Console(file=buffer), "zh")
    assert "退出码 0" in buffer.getvalue()
