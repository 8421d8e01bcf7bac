"""The crosswalk derives from the plan; golden files and docs/crosswalk.md stay in step with it."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from pathlib import Path
from typing import get_args

import pytest

from conformance import api
from conformance.profiles.crosswalk import clause_outcome
from conformance.profiles.loader import shipped_profiles
from conformance.profiles.schema import AnnexIIIUseCase

_spec = importlib.util.spec_from_file_location("golden", Path(__file__).with_name("golden.py"))
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)

ROOT = Path(__file__).resolve().parents[2]
PAIR = ["eu-ai-act-high-risk", "nist-ai-rmf"]
DOCS_PROFILES = sorted(shipped_profiles())
DOCS_HEADER = """# Crosswalk of the shipped profiles

Which evidence serves which clause of each framework: a row is one check (computed once, with
its parameters) or one process question (answered once); a cell lists the clauses of that
framework it serves. Generated from the plan, never maintained by hand:

    conformance crosswalk --format md --profile ID [--profile ID …] [--annex-iii USE_CASE …]

The EU AI Act column below includes the requirements of every Annex III use case; select yours
with `--annex-iii` (e.g. `--annex-iii employment`) to see only what applies to it. The test `tests/profiles/test_crosswalk.py` fails when this page is out of date; regenerate it
with `UPDATE_GOLDEN=1 pytest tests/profiles/test_crosswalk.py`.

"""


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_crosswalk_golden(fmt):
    golden.assert_golden(golden.GOLDEN / "crosswalk" / f"eu-nist.{fmt}", api.crosswalk_text(PAIR, fmt))


def test_docs_crosswalk_page_is_generated():
    every_use_case = api.annex_iii_sets(DOCS_PROFILES, list(get_args(AnnexIIIUseCase)))
    golden.assert_golden(ROOT / "docs" / "crosswalk.md", DOCS_HEADER + api.crosswalk_text(DOCS_PROFILES, "md", every_use_case))


def test_crosswalk_is_the_plan():
    plan = api.plan_for(PAIR)
    walk = api.crosswalk(PAIR)
    automated = [r for r in walk.rows if r.kind == "automated"]
    assert {r.evidence for r in automated} == set(plan.tasks)  # one row per check computed
    assert {r.evidence for r in walk.rows if r.kind == "checklist"} == {f"question:{q}" for q in plan.questions}
    cited = sum(len(r.serves) for r in walk.rows)
    assert cited == len(plan.cited) + len(plan.asked)
    shared = next(r for r in walk.rows if r.evidence == "fairness.demographic_parity")
    assert shared.clauses_of("eu-ai-act-high-risk") == ["Annex IV, point 2(g); Art. 9(2)(a), 9(8)"]
    assert shared.clauses_of("nist-ai-rmf") == ["MEASURE 2.11"]


def test_crosswalk_csv_and_json_agree():
    rows = list(csv.DictReader(io.StringIO(api.crosswalk_text(PAIR, "csv"))))
    data = json.loads(api.crosswalk_text(PAIR, "json"))
    assert len(rows) == sum(len(r["serves"]) for r in data["rows"])
    assert data["profiles"] == PAIR


def test_crosswalk_cli(cli):
    ran = cli("crosswalk", "--profile", "eeoc-four-fifths", "--profile", "nyc-ll144", "--format", "csv")
    assert ran.code == 0 and "fairness.demographic_parity" in ran.out
    ran = cli("crosswalk", "--profile", "eeoc-four-fifths", "--format", "markdown")
    assert ran.code == 2 and ran.err.strip() == "error: unknown crosswalk format 'markdown' (valid names: csv, json, md, table)"
    ran = cli("crosswalk", "--profile", "eeoc-4-fifths")
    assert ran.code == 2 and "did you mean 'eeoc-four-fifths'?" in ran.err


def test_crosswalk_includes_the_annex_iii_use_cases_selected(cli):
    plain = api.crosswalk_text(["eu-ai-act-high-risk"], "csv")
    ran = cli("crosswalk", "--profile", "eu-ai-act-high-risk", "--annex-iii", "employment", "--format", "csv")
    assert ran.code == 0 and "annex-iii-4-impact-ratio" in ran.out and "annex-iii-4-impact-ratio" not in plain
    assert "Art. 27(1)(a)–(f), 27(3) (deployer duty)" in ran.out
    ran = cli("crosswalk", "--profile", "nist-ai-rmf", "--annex-iii", "employment")
    assert ran.code == 2 and "add --profile eu-ai-act-high-risk" in ran.err


@pytest.mark.parametrize(
    ("verdicts", "status"),
    [
        (["pass", "pass"], "satisfied"),
        (["pass", "not_applicable"], "satisfied"),
        (["pass", "fail", "pending"], "failed"),
        (["pass", "pending"], "open"),
        (["pass", "inconclusive"], "open"),
        (["error"], "open"),
        (["not_applicable"], "not_applicable"),
    ],
)
def test_clause_outcome(verdicts, status):
    assert clause_outcome(verdicts) == status


def test_run_reports_clauses_per_framework(predictions_frame):
    result = api.audit(predictions_frame, target="approved", positive_label="yes", predictions="decision",
                       scores="score", sensitive=["sex"], profiles=["eeoc-four-fifths", "nist-ai-rmf"])
    summaries = {p.id: p for p in result.evidence.profiles}
    nist = {c.clause: c for c in summaries["nist-ai-rmf"].clauses}
    assert nist["MEASURE 1.1"].status == "open" and nist["MEASURE 1.1"].verdicts == ["pending"]
    assert set(nist["MEASURE 2.11"].requirements) == {"measure-2-11-selection-rate", "measure-2-11-error-rates",
                                                       "measure-2-11-documented"}
    assert list(nist) == list(dict.fromkeys(r.clause for r in result.evidence.requirements if r.profile == "nist-ai-rmf"))
