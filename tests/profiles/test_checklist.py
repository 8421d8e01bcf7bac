"""Process checklists: one answer file for many profiles, strict validation, answers → verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conformance import api
from conformance.errors import ConfigError, InputError
from conformance.profiles.loader import question_bank

DEMO_TRUST = ["--trust-type", "sklearn.tree._tree.Tree"]


def _audit(frame, checklist=None, profiles=("nyc-ll144",), **kw):
    return api.audit(frame, target="approved", positive_label="yes", predictions="decision", scores="score",
                     sensitive=["sex", "race"], profiles=list(profiles), checklist=checklist, **kw)


def test_each_question_once_however_many_profiles_ask_it(tmp_path):
    profiles = ["eu-ai-act-high-risk", "nist-ai-rmf", "iso-iec-42001", "ai-verify"]
    count = api.write_checklist(profiles, tmp_path / "a.yaml")
    data = yaml.safe_load((tmp_path / "a.yaml").read_text())
    plan = api.plan_for(profiles)
    asked = [item.question for _, item in plan.asked]
    assert len(asked) > count  # shared questions ...
    assert sorted(data["answers"]) == sorted(set(asked))  # ... appear once
    assert data["profiles"] == profiles
    text = (tmp_path / "a.yaml").read_text().replace("\n  # ", " ")  # unwrap the comments
    # the comment above a shared question names every clause it serves
    assert "eu-ai-act-high-risk Art. 14(4)(a)–(e) (art14-human-oversight); ai-verify Human Agency & Oversight" in text


def test_an_answer_file_in_chinese_asks_the_same_questions(cli, tmp_path):
    """--lang zh: the comments and every question in Chinese, the same keys and answers to fill."""
    from tests.english import english_runs

    profiles = ["tc260-003", "cn-pipl-art24"]
    assert cli("checklist", "init", *[a for p in profiles for a in ("--profile", p)], "--output", tmp_path / "zh.yaml",
               "--lang", "zh").code == 0
    assert cli("checklist", "init", *[a for p in profiles for a in ("--profile", p)], "--output", tmp_path / "en.yaml").code == 0
    zh, en = (yaml.safe_load((tmp_path / f"{lang}.yaml").read_text(encoding="utf-8")) for lang in ("zh", "en"))
    assert zh == en  # only the comments differ
    text = (tmp_path / "zh.yaml").read_text(encoding="utf-8")
    bank = {**question_bank(), **api.plan_for(profiles).questions}
    for question_id in zh["answers"]:
        assert " ".join(bank[question_id].text_zh.split())[:20] in text.replace("\n  # ", "")
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    assert english_runs(comments) == []
    assert api.checklist_template(profiles, lang="en").startswith("# Process checklist answers for: tc260-003")


def test_init_refuses_to_overwrite_answers(cli, tmp_path):
    out = tmp_path / "a.yaml"
    assert cli("checklist", "init", "--profile", "nyc-ll144", "--output", out).code == 0
    ran = cli("checklist", "init", "--profile", "nyc-ll144", "--output", out)
    assert ran.code == 2 and "exists" in ran.err and "--force" in ran.err
    assert cli("checklist", "init", "--profile", "nyc-ll144", "--output", out, "--force").code == 0


def test_round_trip_unanswered_is_pending_and_incomplete(tmp_path, predictions_frame):
    api.write_checklist(["nyc-ll144"], tmp_path / "a.yaml")
    result = _audit(predictions_frame, tmp_path / "a.yaml")
    items = [r for r in result.evidence.requirements if r.kind == "checklist"]
    assert items and all(r.verdict == "pending" and r.answer is None for r in items)
    assert result.evidence.outcome == "incomplete"
    roles = [i.role for i in result.evidence.manifest.inputs]
    assert "checklist" in roles


def _answer(path: Path, **answers) -> None:
    data = yaml.safe_load(path.read_text())
    data["answers"].update(answers)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _yes(**extra):
    return {"answer": "yes", "answered_by": "A. Auditor", "answered_at": "2026-01-15", **extra}


def test_answers_become_verdicts_and_evidence_is_hashed(tmp_path, predictions_frame):
    path = tmp_path / "a.yaml"
    api.write_checklist(["nyc-ll144"], path)
    (tmp_path / "audit.pdf").write_bytes(b"%PDF audit")
    _answer(
        path,
        **{
            "ll144-independent-auditor": _yes(evidence=["audit.pdf", "https://example.org/summary"]),
            "bias-audit-recency": {**_yes(), "answer": "no", "justification": "audit is 14 months old"},
            "bias-audit-publication": {**_yes(), "answer": "partial"},
            "candidate-notice": {**_yes(), "answer": "not_applicable", "justification": "no NYC candidates"},
        },
    )
    result = _audit(predictions_frame, path)
    by_id = {r.id: r for r in result.evidence.requirements if r.profile == "nyc-ll144"}
    assert by_id["independent-auditor"].verdict == "pass"
    assert by_id["audit-recency"].verdict == "fail"
    assert by_id["audit-publication"].verdict == "inconclusive"
    assert by_id["candidate-notice"].verdict == "not_applicable"
    answer = by_id["independent-auditor"].answer
    assert answer.answered_by == "A. Auditor" and answer.answered_at == "2026-01-15"
    assert [e.ref for e in answer.evidence] == ["audit.pdf", "https://example.org/summary"]
    assert answer.evidence[0].sha256 and answer.evidence[1].sha256 is None
    inputs = {i.role: i for i in result.evidence.manifest.inputs}
    assert inputs["evidence:ll144-independent-auditor"].sha256 == answer.evidence[0].sha256
    assert result.evidence.outcome == "non_conformant"  # audit-recency is critical and failed


def test_unanswered_yaml_booleans_and_dates(tmp_path, predictions_frame):
    path = tmp_path / "a.yaml"
    api.write_checklist(["nyc-ll144"], path)
    text = path.read_text().replace(
        "  ll144-independent-auditor:\n    answer: null\n    justification: null\n    evidence: []\n"
        "    answered_by: null\n    answered_at: null\n",
        "  ll144-independent-auditor:\n    answer: yes\n    answered_by: Jo\n    answered_at: 2026-02-01\n",
    )
    path.write_text(text)
    result = _audit(predictions_frame, path)
    item = next(r for r in result.evidence.requirements if r.id == "independent-auditor")
    assert item.verdict == "pass" and item.answer.answered_at == "2026-02-01"


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        ({"ll144-independent-audtor": _yes()}, "unknown question 'll144-independent-audtor' (did you mean 'll144-independent-auditor'?)"),
        ({"candidate-notice": {**_yes(), "answer": "not_applicable"}}, "not_applicable needs a justification"),
        ({"candidate-notice": {"answer": "yes"}}, "an answer needs answered_by and answered_at"),
        ({"candidate-notice": {**_yes(), "answer": "maybe"}}, "answers.candidate-notice.answer: Input should be"),
        ({"candidate-notice": {**_yes(), "answerd_at": "x"}}, "answerd_at: Extra inputs are not permitted (did you mean 'answered_at'?)"),
        ({"candidate-notice": _yes(evidence=["missing.pdf"])}, "evidence of 'candidate-notice' not found: missing.pdf"),
        ({"candidate-notice": _yes(answered_at="last week")}, "answered_at must be an ISO date"),
    ],
)
def test_answers_are_validated_strictly(tmp_path, predictions_frame, answers, error):
    path = tmp_path / "a.yaml"
    api.write_checklist(["nyc-ll144"], path)
    _answer(path, **answers)
    with pytest.raises(ConfigError) as caught:
        _audit(predictions_frame, path)
    assert error in str(caught.value)
    assert str(caught.value).startswith(f"checklist {path}:")


def test_missing_answers_file(tmp_path, predictions_frame):
    with pytest.raises(InputError, match="checklist answers file not found"):
        _audit(predictions_frame, tmp_path / "nope.yaml")


def test_answers_for_questions_of_other_profiles_are_accepted(tmp_path, predictions_frame):
    # one answer file serves many runs: a bank question not asked by this run's profiles is fine
    path = tmp_path / "a.yaml"
    api.write_checklist(["eu-ai-act-high-risk", "nyc-ll144"], path)
    _answer(path, **{"human-oversight": _yes()})
    result = _audit(predictions_frame, path)
    assert "human-oversight" in question_bank()
    assert all(r.profile == "nyc-ll144" for r in result.evidence.requirements)


def test_cli_run_with_checklist(cli, demo_files, tmp_path):
    model, data = demo_files
    answers = tmp_path / "a.yaml"
    assert cli("checklist", "init", "--profile", "nyc-ll144", "--output", answers).code == 0
    ran = cli("run", "--model", model, "--data", data, "--target", "risk", "--sensitive", "sex",
              "--profile", "nyc-ll144", "--checklist", answers, "--output", tmp_path / "o", *DEMO_TRUST)
    assert ran.code in (0, 1), ran.err
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["evidence"]["outcome"] in ("incomplete", "non_conformant")
    assert {"pending"} <= {r["verdict"] for r in report["evidence"]["requirements"]}
