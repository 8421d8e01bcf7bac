"""Diffs between reports and the regression gate (--baseline, --fail-on regression)."""

from __future__ import annotations

import json

import pytest

from conformance import api
from conformance.evidence.diff import diff_reports

ARGS = ["--target", "approved", "--positive-label", "yes", "--predictions", "decision", "--scores", "score",
        "--sensitive", "sex", "--profile", "eeoc-four-fifths", "--profile", "base", "--format", "json"]


@pytest.fixture
def tables(predictions_frame, tmp_path):
    """fair.csv: the fixture's table; unfair.csv: no woman is ever selected (the four-fifths ratio drops to 0)."""
    fair, unfair = tmp_path / "fair.csv", tmp_path / "unfair.csv"
    predictions_frame.to_csv(fair, index=False)
    frame = predictions_frame.copy()
    frame.loc[frame.sex == "female", "decision"] = "no"
    frame.to_csv(unfair, index=False)
    return fair, unfair


def _run(cli, data, out, *extra):
    ran = cli("run", "--data", data, *ARGS, "--output", out, *extra)
    assert ran.code in (0, 1, 2), ran.err
    return ran


def test_diff_lists_regressions_and_metric_moves(cli, tables, tmp_path):
    fair, unfair = tables
    _run(cli, fair, tmp_path / "a")
    _run(cli, unfair, tmp_path / "b")
    old, new = tmp_path / "a" / "report.json", tmp_path / "b" / "report.json"
    diff = diff_reports(api.load_report(old), api.load_report(new))
    assert any(c.profile == "eeoc-four-fifths" and c.old == "pass" and c.new == "fail" for c in diff.regressions)
    assert any(m.metric == "ratio" and m.new < m.old_ci[0] for m in diff.moves)
    ran = cli("diff", old, new)
    assert ran.code == 0
    assert "REGRESSION eeoc-four-fifths/four-fifths" in ran.out and "moved beyond the baseline's confidence interval" in ran.out
    assert cli("diff", old, new, "--fail-on-regression").code == 1
    assert cli("diff", new, old, "--fail-on-regression").code == 0  # the other way round it is an improvement
    data = json.loads(cli("diff", old, new, "--format", "json").out)
    assert data["regressions"] >= 1 and {"kind": "regression"}.items() <= data["verdicts"][0].items()
    assert "| REGRESSION |" in cli("diff", old, new, "--format", "md").out


def test_same_report_has_no_changes(cli, tables, tmp_path):
    _run(cli, tables[0], tmp_path / "a")
    report = tmp_path / "a" / "report.json"
    ran = cli("diff", report, report)
    assert "no verdict changed" in ran.out and "no metric moved" in ran.out and ran.code == 0


def test_the_regression_gate_fails_only_on_regressions(cli, tables, tmp_path):
    fair, unfair = tables
    baseline_run = _run(cli, unfair, tmp_path / "base", "--fail-on", "minor")
    assert baseline_run.code == 1  # the unfair model fails four-fifths
    baseline = tmp_path / "base" / "report.json"
    # the same failing model against its own baseline: nothing got worse, so the gate passes
    same = _run(cli, unfair, tmp_path / "same", "--baseline", baseline, "--fail-on", "regression")
    assert same.code == 0, same.out
    assert "0 regression(s)" in same.out or "no verdict changed" in same.out
    # a fixed model against the failing baseline: improvements only
    assert _run(cli, fair, tmp_path / "better", "--baseline", baseline, "--fail-on", "regression").code == 0
    # and the failing model against the fair baseline: a regression, exit 1
    _run(cli, fair, tmp_path / "fair")
    worse = _run(cli, unfair, tmp_path / "worse", "--baseline", tmp_path / "fair" / "report.json", "--fail-on", "regression")
    assert worse.code == 1 and "REGRESSION eeoc-four-fifths/four-fifths" in worse.out


def test_regression_gate_needs_a_baseline_and_a_real_report(cli, tables, tmp_path):
    ran = _run(cli, tables[0], tmp_path / "x", "--fail-on", "regression")
    assert ran.code == 2 and ran.err.strip() == "error: --fail-on regression needs a baseline (give --baseline OLD_REPORT.json)"
    (tmp_path / "not.json").write_text("{}")
    ran = _run(cli, tables[0], tmp_path / "y", "--baseline", tmp_path / "not.json", "--fail-on", "regression")
    assert ran.code == 2 and "is not a conformance report" in ran.err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    assert cli("diff", tmp_path / "not.json", tmp_path / "not.json").code == 2


def test_changed_verdicts_show_values_threshold_and_comparability(cli, tables, tmp_path):
    fair, unfair = tables
    _run(cli, fair, tmp_path / "a")
    _run(cli, unfair, tmp_path / "b", "--seed", "7", "--set", "eeoc-four-fifths/four-fifths.threshold.min=0.85")
    old, new = api.load_report(tmp_path / "a" / "report.json"), api.load_report(tmp_path / "b" / "report.json")
    diff = diff_reports(old, new)
    change = next(c for c in diff.verdicts if c.requirement == "four-fifths")
    before = next(r for r in old.evidence.requirements if r.id == "four-fifths" and r.profile == "eeoc-four-fifths")
    assert change.old_value == before.observations[0].value or change.old_value in [o.value for o in before.observations]
    assert change.new_value is not None and change.threshold == ">= 0.85"
    from conformance.locale import Words

    reasons = [Words("en").message(m) for m in diff.not_comparable]
    assert "data SHA-256 differs" in reasons and "seed 0 -> 7" in reasons
    assert any(reason.startswith("override eeoc-four-fifths/four-fifths.threshold.min") for reason in reasons)
    zh = cli("diff", tmp_path / "a" / "report.json", tmp_path / "b" / "report.json", "--lang", "zh").out
    assert "按现状不可比较" in zh and "退步" in zh and "REGRESSION" not in zh
    from tests.english import english_runs

    assert english_runs(zh.replace(str(tmp_path), "")) == []
    text = cli("diff", tmp_path / "a" / "report.json", tmp_path / "b" / "report.json").out
    assert "not comparable as given: " in text and "threshold >= 0.85" in text
    line = next(line for line in text.splitlines() if "eeoc-four-fifths/four-fifths (" in line)
    assert f"{change.old_value:.3f}" in line and f"{change.new_value:.3f}" in line
    assert diff_reports(old, old).not_comparable == []


def test_regression_gate_line(cli, tables, tmp_path):
    fair, unfair = tables
    _run(cli, fair, tmp_path / "fair")
    worse = _run(cli, unfair, tmp_path / "worse", "--baseline", tmp_path / "fair" / "report.json", "--fail-on", "regression")
    last = worse.out.strip().splitlines()[-1]
    assert last.startswith("exit 1: verdicts worse than the baseline") and "eeoc-four-fifths/four-fifths" in last
    same = _run(cli, fair, tmp_path / "same", "--baseline", tmp_path / "fair" / "report.json", "--fail-on", "regression")
    assert same.out.strip().splitlines()[-1] == "exit 0: no verdict got worse than the baseline (--fail-on regression)"
