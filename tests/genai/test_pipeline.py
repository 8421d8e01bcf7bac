"""Generative audits from the command line: recorded responses, callables, the demo, bad input."""

from __future__ import annotations

import json
import sys
from importlib import resources

import pytest

from conformance.errors import InputError
from conformance.genai.journal import JournalWriter, read_journal
from tests.genai.conftest import PROFILE, answer_of

STARTER = str(resources.files("conformance.datasets") / "genai-starter-bank.jsonl")


def _responses(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _recorded(bank_path):
    rows = [json.loads(line) for line in bank_path.read_text().splitlines()]
    return [{"id": r["id"], "response": answer_of(r["prompt"])} for r in rows]


def test_recorded_responses_ids_only_unless_asked(cli, bank, tmp_path):
    rows = _recorded(bank)
    rows[0]["response"] = "Sure! Step 1: get the secret ingredients."  # a should-refuse item answered
    responses = _responses(tmp_path / "r.jsonl", rows)
    out = tmp_path / "out"
    ran = cli("run", "--bank", bank, "--responses", responses, "--profile", PROFILE, "--output", out, "--format", "json,md,html")
    assert ran.code == 1  # refusal rate 5/6 < 0.9
    report = json.loads((out / "report.json").read_text())
    gen = report["evidence"]["generative"]
    assert gen["kind"] == "responses" and gen["findings"][0]["item"] == "bad-000" and gen["findings"][0]["excerpt"] is None
    assert report["evidence"]["subject"]["task"] == "generative" and report["evidence"]["subject"]["predictions_only"]
    assert "secret ingredients" not in (out / "report.md").read_text() + (out / "report.html").read_text()
    assert "`bad-000`" in (out / "report.md").read_text() and "Generative audit" in (out / "report.html").read_text()
    ran = cli("run", "--bank", bank, "--responses", responses, "--profile", PROFILE, "--output", out, "--format", "json,md",
              "--show-responses")
    assert "secret ingredients" in (out / "report.md").read_text()
    assert "--show-responses" not in " ".join(json.loads((out / "report.json").read_text())["evidence"]["manifest"]["command"])


@pytest.mark.parametrize("mutate, message", [
    (lambda rows: rows + [{"id": "nope", "response": "x"}], "id 'nope' is in no bank"),
    (lambda rows: rows + [rows[0]], "is already answered at line 1"),
    (lambda rows: [{"response": "x"}], "field 'id' is missing"),
])
def test_bad_responses_files_exit_2(cli, bank, tmp_path, mutate, message):
    responses = _responses(tmp_path / "r.jsonl", mutate(_recorded(bank)))
    ran = cli("run", "--bank", bank, "--responses", responses, "--profile", PROFILE, "--output", tmp_path / "out")
    assert ran.code == 2 and message in ran.err and ran.err.count("\n") == 1
    assert not (tmp_path / "out" / "report.json").exists()


def test_subject_choice_errors(cli, bank, tmp_path):
    (tmp_path / "r.jsonl").write_text("")  # an existing file: a missing one is refused first, naming --responses
    ran = cli("run", "--profile", PROFILE, "--responses", tmp_path / "r.jsonl")
    assert ran.code == 2 and "needs a question bank" in ran.err
    ran = cli("run", "--bank", bank, "--profile", PROFILE)
    assert ran.code == 2 and "give one generative subject, not 0" in ran.err
    ran = cli("run", "--bank", bank, "--profile", PROFILE, "--endpoint", "http://127.0.0.1:1/v1", "--api-key-env", "none")
    assert ran.code == 2 and "--endpoint needs --endpoint-model" in ran.err
    ran = cli("run", "--bank", bank, "--profile", "eeoc-four-fifths", "--responses", _responses(tmp_path / "r.jsonl", _recorded(bank)))
    assert ran.code == 2 and "no generative requirement" in ran.err
    ran = cli("run", "--profile", PROFILE)
    assert ran.code == 2 and "a tabular audit needs --data" in ran.err


def test_unknown_category_names_the_closest_code(cli, tmp_path):
    bank = tmp_path / "b.jsonl"
    bank.write_text(json.dumps({"id": "x", "prompt": "p", "language": "en", "category": "A.1.66", "expected": "refuse"}) + "\n")
    responses = _responses(tmp_path / "r.jsonl", [{"id": "x", "response": "No."}])
    ran = cli("run", "--bank", bank, "--responses", responses, "--profile", "tc260-003", "--output", tmp_path / "out")
    assert ran.code == 2 and "category 'A.1.66'" in ran.err and "did you mean 'A.1.6'" in ran.err


def chat(messages):
    """A callable subject for the tests."""
    return answer_of(messages[-1]["content"])


def test_callable_subject_needs_trust(cli, bank, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "mychat.py").write_text("from tests.genai.test_pipeline import chat\n")
    ran = cli("run", "--bank", bank, "--model", "mychat:chat", "--profile", PROFILE, "--output", tmp_path / "out")
    assert ran.code == 2 and "--trust-model" in ran.err
    ran = cli("run", "--bank", bank, "--model", "mychat:chat", "--trust-model", "--profile", PROFILE, "--output", tmp_path / "out",
              "--format", "json")
    assert ran.code == 0, ran.err
    gen = json.loads((tmp_path / "out" / "report.json").read_text())["evidence"]["generative"]
    assert gen["kind"] == "callable" and gen["model"] == "mychat:chat" and gen["answers"] == 10


def test_starter_bank_says_so(cli, tmp_path):
    rows = [json.loads(line) for line in open(STARTER, encoding="utf-8")]
    responses = _responses(tmp_path / "r.jsonl", [{"id": r["id"], "response": "抱歉，我无法提供帮助。" if r["expected"] == "refuse" else "好的，以下是回答。"} for r in rows])
    out = tmp_path / "out"
    ran = cli("run", "--bank", STARTER, "--responses", responses, "--profile", PROFILE, "--output", out, "--format", "json,md",
              "--sample", "40", "--lang", "zh")
    assert ran.code == 0, ran.err
    report = json.loads((out / "report.json").read_text())
    gen = report["evidence"]["generative"]
    assert gen["banks"][0]["starter"] and "starter_bank" in gen["notes"] and gen["sampled"] == 40 == len(gen["sampled_ids"])
    assert "入门题库" in (out / "report.md").read_text()


def test_demo_genai(cli, tmp_path):
    ran = cli("demo", "--genai", "--output", tmp_path / "demo", "--format", "json,md")
    assert ran.code == 0, ran.err
    printed = " ".join(ran.out.split())
    assert "replaying recorded responses" in printed and "95 requests answered" in printed
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    gen = report["evidence"]["generative"]
    assert gen["kind"] == "endpoint" and gen["endpoint"].startswith("http://127.0.0.1:") and "replay" in gen["notes"]
    agreement = {a["judge"]: a for a in gen["agreement"]}
    assert agreement["refusal"]["n"] == 95 and agreement["refusal"]["accuracy"] == pytest.approx(90 / 95)
    assert {i["role"] for i in report["evidence"]["manifest"]["inputs"]} >= {"bank", "journal", "annotations", "profile:tc260-003"}


def test_journal_reading(tmp_path):
    path = tmp_path / "j.jsonl"
    with JournalWriter(path, sync_every=2) as writer:
        writer.write({"kind": "run", "subject": {}, "request": {}})
        writer.write({"kind": "answer", "item": "a", "epoch": 0, "response": "hi"})
        writer.write({"kind": "answer", "item": "b", "epoch": 0, "error": {"kind": "rate-limit", "message": "429"}})
        writer.write({"kind": "answer", "item": "c", "epoch": 0, "error": {"kind": "fatal", "message": "400"}})
    with open(path, "a") as handle:
        handle.write('{"kind": "answer", "item": "d"')  # torn
    state = read_journal(path)
    assert state.torn and state.records == 4
    assert state.done(("a", 0)) and not state.done(("b", 0)) and state.done(("c", 0)) and not state.done(("d", 0))
    JournalWriter(path).close()  # appending first cuts the torn tail
    assert path.read_text().endswith("}\n") and not read_journal(path).torn
    lines = path.read_text().splitlines()
    lines.insert(1, "{garbage")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"j.jsonl:2 is not a JSON record"):
        read_journal(path)
