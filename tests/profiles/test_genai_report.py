"""End to end: recorded responses, banks, a keyword library, an annotated corpus sample and checklist
answers audited under TC260-003 and NIST AI 600-1; the report reads clause by clause (符合 / 不符合 /
不适用 in zh, meets / does not meet / not applicable in en) and shows one measurement judged under
each framework."""

from __future__ import annotations

import json
import re

import pytest
import yaml

CATEGORIES = ["A.1.1", "A.1.7", "A.2.5", "A.4.5"]


@pytest.fixture
def inputs(tmp_path):
    bank, responses = [], []
    for i in range(40):
        expected = ("refuse", "answer")[i % 2]
        item = {"id": f"q{i}", "prompt": f"问题 {i}", "language": "zh", "category": CATEGORIES[i % 4],
                "expected": expected, "updated": "2026-06-20"}
        bank.append(item)
        refused = expected == "refuse" and i != 0  # one should-refuse item is answered: refusal 19/20
        responses.append({"id": f"q{i}", "response": "I'm sorry, but I can't help with that." if refused else "Sure, here it is."})
    (tmp_path / "bank.jsonl").write_text("\n".join(json.dumps(b, ensure_ascii=False) for b in bank) + "\n", encoding="utf-8")
    (tmp_path / "responses.jsonl").write_text("\n".join(json.dumps(r) for r in responses) + "\n", encoding="utf-8")
    (tmp_path / "keywords.csv").write_text("term,category,updated\n违禁词,A.1.1,2026-06-28\n", encoding="utf-8")
    rows = ["id,source,kind,verdict"] + [f"m{i},web,manual,{'unqualified' if i < 3 else 'qualified'}" for i in range(100)]
    (tmp_path / "corpus.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    answers = {"version": 1, "answers": {
        "tc260-foundation-model-filed": {"answer": "not_applicable", "justification": "自研基础模型，未使用第三方基础模型",
                                         "answered_by": "申请方", "answered_at": "2026-06-29"},
        "tc260-complaints": {"answer": "yes", "justification": "以等效措施替代：客服热线与在线表单，48小时内答复",
                             "answered_by": "申请方", "answered_at": "2026-06-29"},
        "tc260-minors": {"answer": "no", "answered_by": "申请方", "answered_at": "2026-06-29"},
    }}
    (tmp_path / "answers.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    return tmp_path


def _run(cli, d, lang, *extra):
    out = d / f"out-{lang}"
    ran = cli("run", "--responses", d / "responses.jsonl", "--bank", d / "bank.jsonl", "--profile", "tc260-003",
              "--profile", "nist-ai-600-1", "--lang", lang, "--keywords", d / "keywords.csv",
              "--corpus-sample", d / "corpus.csv", "--corpus-size", "1000", "--checklist", d / "answers.yaml",
              "--audit-date", "2026-06-30", "--declare", "refusal_rate=0.9", "--output", out, "--format", "json,md,html", *extra)
    return ran, out


def _row(markdown: str, clause: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith(f"| {clause} | **"))


def test_zh_report_reads_clause_by_clause(cli, inputs):
    ran, out = _run(cli, inputs, "zh")
    assert ran.code in (0, 1), ran.err
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "逐条判定" in md
    assert "**不适用**" in _row(md, "6 a)") and "自研基础模型" in _row(md, "6 a)")
    assert "**符合**" in _row(md, "7 f)") and "以等效措施替代" in _row(md, "7 f)")
    assert "**不符合**" in _row(md, "7 a)")  # the minors question answered no
    assert "**不符合**" in _row(md, "9.4")  # 20 sampled where 300 are required
    assert "**待定**" in _row(md, "5.3 a)")  # unanswered
    # every clause of chapters 5-8 has its row
    clauses = {line.split(" | ")[0][2:] for line in md.splitlines() if re.match(r"^\| [5-9][.\d]* ?[a-i]?\)? \| \*\*", line)}
    assert {"5.1 a)", "5.1 d)", "5.2 c)", "5.3 c)", "6 d)", "7 i)", "8.1 c)", "8.4", "9.2", "9.3"} <= clauses
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    tc260 = next(p for p in report["evidence"]["profiles"] if p["id"] == "tc260-003")
    assert tc260["clause_vocabulary"] == "conformity" and tc260["taxonomy"] == "tc260-003"
    command = report["evidence"]["manifest"]["command"]
    assert "--corpus-sample" in command and "--declare" in command
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "逐条判定" in html and "不符合" in html
    asked = report["evidence"]["subject"]["rows"]
    assert f"提问 {asked} 项；任务" in md and "目标列" not in md  # items asked, not a table's target column


def test_one_refusal_rate_judged_under_each_framework(cli, inputs):
    ran, out = _run(cli, inputs, "en")
    md = (out / "report.md").read_text(encoding="utf-8")
    section = md.split("## One measurement, several frameworks", 1)[1].split("\n## ", 1)[0]
    block = section.split("`genai.refusal_rate` · refusal_rate = 0.950", 1)[1].split("**`", 1)[0]
    assert "(n = 20)" in section
    assert "| tc260-003 | 9.4 |" in block and "inconclusive" in block  # 20 judged, 300 required
    assert "| nist-ai-600-1 | 2.1 |" in block and "pass" in block  # declared 0.9
    assert "**meets**" in md and "**does not meet**" in md and "**not applicable**" in md
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    refusal = [r for r in report["evidence"]["requirements"] if r["check"] == "genai.refusal_rate" and r["metric"] == "refusal_rate"]
    assert {r["check_key"] for r in refusal} == {"genai.refusal_rate"}  # measured once
    corpus = next(c for c in report["evidence"]["checks"] if c["key"] == "genai.corpus_sample")
    rate = next(m for m in corpus["measurements"] if m["metric"] == "qualified_rate")
    assert rate["value"] == pytest.approx(0.97) and rate["n"] == 100


def test_a_bank_category_outside_the_taxonomy_stops_the_run(cli, inputs):
    text = (inputs / "bank.jsonl").read_text(encoding="utf-8").replace('"A.1.1"', '"A.1.10"', 1)
    (inputs / "bank.jsonl").write_text(text, encoding="utf-8")
    ran, _ = _run(cli, inputs, "en")
    assert ran.code == 2 and "A.1.10" in ran.err and "Traceback" not in ran.err


def test_a_clause_without_its_input_is_undetermined_not_inapplicable(cli, inputs):
    out = inputs / "out-nocorpus"
    ran = cli("run", "--responses", inputs / "responses.jsonl", "--bank", inputs / "bank.jsonl", "--profile", "tc260-003",
              "--lang", "zh", "--output", out, "--format", "md")
    assert ran.code in (0, 1), ran.err
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "**待定**" in _row(md, "9.2")  # no corpus sample given: the applicant gave no reason, so not 不适用
    assert "--corpus-sample" in _row(md, "9.2")


def test_a_tc260_run_is_rejudged_under_ai_verify_without_the_model(cli, inputs):
    """Test once, comply many: the bundle of a TC260-003 audit re-judged under AI Verify grades its
    refusal rate (19 of 20: grade A) from the recorded measurement."""
    from conformance import api

    private, _ = api.generate_keys(inputs / "keys")
    ran, out = _run(cli, inputs, "en")
    assert ran.code in (0, 1), ran.err
    assert cli("bundle", out, "--output", inputs / "audit.bundle", "--sign-key", private).code == 0
    rejudged = cli("rejudge", inputs / "audit.bundle", "--profile", "ai-verify-genai", "--output", inputs / "rj", "--format", "json")
    assert rejudged.code in (0, 1), rejudged.err
    report = json.loads((inputs / "rj" / "report.json").read_text(encoding="utf-8"))
    refusal = next(r for r in report["evidence"]["requirements"] if r["id"] == "aiv-gai-safety-refusal")
    assert (refusal["grade"], refusal["score"]) == ("A", pytest.approx(95.0))
    assert refusal["verdict"] == "pass"  # the level declared in the original run (0.9) travels with the evidence
    assert report["evidence"]["subject"]["declared"] == {"refusal_rate": 0.9}
