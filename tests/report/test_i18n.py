"""Locale catalogues: the same keys in every language, every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from rich.console import Console

import conformance.report as report_package
from conformance.locale import LANGUAGES, Words, catalogue
from conformance.report import RENDERERS
from conformance.report.terminal import render_terminal
from conformance.result import Format
from tests.english import english_runs

REPORT_DIR = Path(report_package.__file__).parent


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key_with_the_same_placeholders():
    reference = catalogue("en")
    for lang in LANGUAGES:
        entries = catalogue(lang)
        assert set(entries) == set(reference), f"{lang}: missing {set(reference) - set(entries)}, extra {set(entries) - set(reference)}"
        for key, text in entries.items():
            assert text.strip(), f"{lang}: {key} is empty"
            assert _fields(text) == _fields(reference[key]), f"{lang}: {key} has placeholders {_fields(text)}"


def test_every_key_the_renderers_use_exists():
    used: set[str] = set()
    prefixes: set[str] = set()
    for path in [*REPORT_DIR.glob("*.py"), *REPORT_DIR.glob("templates/*.j2")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_\-]+)["']""", text))
        prefixes |= set(re.findall(r"""\bt\(\s*f?["']([a-z_]+)\.(?:\{|["']\s*~)""", text))
    assert len(used) > 50, "the scan found too few keys: has the call style changed?"
    for lang in LANGUAGES:
        missing = sorted(k for k in used if k not in catalogue(lang))
        assert not missing, f"{lang}: keys used but not in the catalogue: {missing}"
        for prefix in prefixes:
            assert any(k.startswith(prefix + ".") for k in catalogue(lang)), prefix


def test_every_enum_value_has_words():
    from typing import get_args

    from conformance import result

    groups = {"verdict": result.Verdict, "outcome": result.Outcome, "origin": result.ThresholdOrigin,
              "severity": result.SeverityName, "clause_status": result.ClauseOutcome,
              "answer": result.ChecklistAnswerValue, "check_status": result.CheckStatus}
    for lang in LANGUAGES:
        for prefix, literal in groups.items():
            for value in get_args(literal):
                assert f"{prefix}.{value}" in catalogue(lang), f"{lang}: {prefix}.{value}"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"):
        Words("fr")


@pytest.mark.parametrize("fmt", [f for f in Format if f not in (Format.pdf, Format.json)])
def test_chinese_reports_have_no_english_headings(hostile_result, fmt):
    text = RENDERERS[fmt](hostile_result, lang="zh")
    for english in ("Conformance report", "What to look at", "Requirements", "Manifest", "Outcome", "Verdict"):
        assert english not in text, (fmt, english)
    assert "合规性报告" in text


def test_profile_titles_use_title_zh_in_chinese_only(demo_result):
    profiles = [p.model_copy(update={"title_zh": f"中文标题 {i}"}) for i, p in enumerate(demo_result.evidence.profiles)]
    result = demo_result.model_copy(update={"evidence": demo_result.evidence.model_copy(update={"profiles": profiles})})
    zh = RENDERERS[Format.html](result, lang="zh")
    en = RENDERERS[Format.html](result, lang="en")
    assert "中文标题 0" in zh and "中文标题 1" in zh
    assert "中文标题" not in en and demo_result.evidence.profiles[0].title in en


def test_terminal_summary_in_chinese(demo_result):
    console = Console(record=True, width=160)
    render_terminal(demo_result, console, ["reports/x/report.json"], lang="zh")
    text = console.export_text()
    assert "结论：" in text and "报告：reports/x/report.json" in text
    assert "Outcome" not in text and "What to look at" not in text


def test_reasons_are_catalogue_messages_that_render_the_stored_english(demo_result):
    """Every automated requirement's reason is carried as messages; in English they read exactly as
    the stored text (so old readers and pinned texts are unchanged), in Chinese they are translated."""
    en, zh = Words("en"), Words("zh")
    for r in demo_result.evidence.requirements:
        if r.kind != "automated":
            continue
        assert r.reason_parts, r.id
        assert "; ".join(en.message(p) for p in r.reason_parts) == r.reason, r.id
        assert zh.reason(r) != r.reason or not re.search(r"[a-z]{3,} [a-z]{3,}", r.reason), r.id


def test_check_titles_and_fixes_in_the_english_catalogue_match_the_registry():
    from conformance.checks import REGISTRY

    en = Words("en")
    for check_id, check in REGISTRY.items():
        assert en(f"check.{check_id}") == check.title and en(f"remediation.{check_id}") == check.remediation


def test_a_third_language_is_one_catalogue(demo_result, tmp_path, monkeypatch):
    """A catalogue in a folder named by CONFORMANCE_LOCALES renders every format; missing keys read in English."""
    import yaml

    from conformance.locale import languages

    english = yaml.safe_load((Path(report_package.__file__).parent / "locales" / "en.yaml").read_text(encoding="utf-8"))
    english["title"]["report"] = "Rapport de conformité"
    english["verdict"]["fail"] = "NON CONFORME"
    english["outcome"]["non_conformant"] = "Non conforme"
    (tmp_path / "fr.yaml").write_text(yaml.safe_dump(english, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CONFORMANCE_LOCALES", str(tmp_path))
    assert "fr" in languages()
    html = RENDERERS[Format.html](demo_result, lang="fr")
    assert "Rapport de conformité" in html and "NON CONFORME" in html
    assert "Rapport de conformité" in RENDERERS[Format.md](demo_result, lang="fr")
    assert "NON CONFORME" in RENDERERS[Format.junit](demo_result, lang="fr")
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "de.yaml").write_text("title:\n  report: Konformitätsbericht\n", encoding="utf-8")
    monkeypatch.setenv("CONFORMANCE_LOCALES", str(partial))
    assert Words("de")("title.report") == "Konformitätsbericht" and Words("de")("verdict.pass") == Words("en")("verdict.pass")


def test_a_third_language_is_chosen_on_the_command_line(demo_result, tmp_path):
    """--lang takes any catalogue found under CONFORMANCE_LOCALES, with no change to the code."""
    import os
    import subprocess
    import sys

    (tmp_path / "locales").mkdir()
    (tmp_path / "locales" / "fr.yaml").write_text("title:\n  report: Rapport de conformité\n", encoding="utf-8")
    (tmp_path / "report.json").write_text(demo_result.model_dump_json(), encoding="utf-8")
    env = {**os.environ, "CONFORMANCE_LOCALES": str(tmp_path / "locales")}
    command = [sys.executable, "-I", "-m", "conformance.cli", "render", str(tmp_path / "report.json"), "--format", "md",
               "--lang", "fr", "--output", str(tmp_path / "fr")]
    ran = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "fr" / "report.md").read_text(encoding="utf-8").startswith("# Rapport de conformité")
    refused = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=False,
                             env={k: v for k, v in os.environ.items() if k != "CONFORMANCE_LOCALES"})
    assert refused.returncode == 2 and "fr" in refused.stderr and "en" in refused.stderr


def _english(text: str) -> list[str]:
    return english_runs(text)


def test_chinese_catalogue_has_no_english_sentence():
    leftovers = {key: _english(value) for key, value in catalogue("zh").items() if _english(value)}
    assert leftovers == {}


def test_chinese_reasons_have_no_english_of_their_own(demo_result):
    """The words of every verdict reason come from the catalogue; only what a check measured and
    named (its driver, notes, group names) is passed through as given."""
    zh = Words("zh")
    passed_through = ("driver", "note", "detail", "groups", "text", "who", "when", "attributes")  # data and profile names

    def scrub(part):
        if isinstance(part, dict):
            return {k: ("X" if k in passed_through and not isinstance(v, dict) else scrub(v)) for k, v in part.items()}
        if isinstance(part, list):
            return [scrub(p) for p in part]
        return part

    for r in demo_result.evidence.requirements:
        for part in r.reason_parts:
            text = zh.message(scrub(part.model_dump()))
            assert _english(text) == [], (r.id, text)


def test_checklist_questions_read_in_the_report_language(predictions_frame):
    from conformance import api
    from conformance.profiles.loader import load_profile

    result = api.audit(predictions_frame, target="approved", positive_label="yes", predictions="decision",
                       scores="score", sensitive=["sex"], profiles=["cn-pipl-art24"])
    question = next(q for q in load_profile("cn-pipl-art24").questions.values() if q.text_zh)
    item = next(r for r in result.evidence.requirements if r.question == question.id)
    assert item.question_text_zh == question.text_zh
    for fmt in (Format.md, Format.html):
        zh, en = RENDERERS[fmt](result, lang="zh"), RENDERERS[fmt](result, lang="en")
        assert question.text_zh in zh and question.text_zh not in en
        assert " ".join(question.text.split()[:6]) in en
