"""The shipped profiles speak Chinese wherever a zh report quotes them: every threshold note has its
``note_zh``, every checklist guidance its ``guidance_zh``, and the translations keep the options and
identifiers the English names; a zh report shows the Chinese guidance, an en report the English."""

from __future__ import annotations

import re

import pytest

from conformance.profiles.loader import load_profile, parse_profile, question_bank, shipped_profiles
from conformance.profiles.schema import ChecklistItem, Question, Requirement
from conformance.report import RENDERERS
from conformance.result import Format

HAN = re.compile(r"[\u4e00-\u9fff]")
# what a translation must carry over verbatim: options (--reference) and snake_case ids (min_group_size)
KEPT = re.compile(r"--[a-z][\w-]*|\b[a-z]+(?:_[a-z0-9]+)+\b")


def _texts() -> list[tuple[str, str, str | None]]:
    """(where, English, Chinese) for every note and guidance of every shipped profile and the bank."""
    found: list[tuple[str, str, str | None]] = []

    def question(where: str, q: Question) -> None:
        if q.guidance:
            found.append((f"{where} question {q.id} guidance", q.guidance, q.guidance_zh))

    for q in question_bank().values():
        question("_questions", q)
    for name, path in sorted(shipped_profiles().items()):
        profile = parse_profile(path)
        for q in profile.questions:
            question(name, q)
        for r in profile.requirements:
            if isinstance(r, Requirement) and r.threshold.note:
                found.append((f"{name} {r.id} threshold note", r.threshold.note, r.threshold.note_zh))
            if isinstance(r, ChecklistItem) and r.guidance:
                found.append((f"{name} {r.id} guidance", r.guidance, r.guidance_zh))
        for rid, override in profile.overrides.items():
            if override.threshold is not None and override.threshold.note:
                found.append((f"{name} override {rid} note", override.threshold.note, override.threshold.note_zh))
        if profile.source.citation_zh is not None:
            found.append((f"{name} source citation", profile.source.citation, profile.source.citation_zh))
    return found


def test_every_note_and_guidance_of_the_shipped_profiles_has_its_chinese():
    texts = _texts()
    assert len(texts) > 100  # about 100 notes and guidance texts, plus citations
    missing = [where for where, _, zh in texts if not zh]
    assert missing == [], "no Chinese for: " + "; ".join(missing)
    not_chinese = [where for where, _, zh in texts if not HAN.search(zh or "")]
    assert not_chinese == [], "Chinese text without Chinese characters: " + "; ".join(not_chinese)


def test_translations_keep_the_options_and_identifiers_of_the_english():
    lost = {where: sorted(set(KEPT.findall(en)) - set(KEPT.findall(zh or ""))) for where, en, zh in _texts()}
    assert {where: names for where, names in lost.items() if names} == {}


def test_a_threshold_note_and_its_chinese_come_through_to_the_result(predictions_frame):
    from conformance import api

    requirement = next(r for r in load_profile("nist-ai-rmf").requirements
                       if isinstance(r, Requirement) and r.threshold.note_zh)
    result = api.audit(predictions_frame, target="approved", positive_label="yes", predictions="decision",
                       scores="score", sensitive=["sex"], profiles=["nist-ai-rmf"])
    judged = next(r for r in result.evidence.requirements if r.id == requirement.id)
    assert judged.threshold.note_zh == requirement.threshold.note_zh
    zh, en = RENDERERS[Format.html](result, lang="zh"), RENDERERS[Format.html](result, lang="en")
    assert requirement.threshold.note_zh in zh and requirement.threshold.note_zh not in en
    assert result.evidence.profiles[0].source_zh in zh and result.evidence.profiles[0].source_zh not in en


def test_checklist_guidance_reads_in_the_report_language(predictions_frame, tmp_path):
    """An EU AI Act audit where the risk-management question is answered no, so its guidance is what to do."""
    import yaml

    from conformance import api

    path = tmp_path / "answers.yaml"
    api.write_checklist(["eu-ai-act-high-risk"], path)
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    answers["answers"]["risk-management-system"].update(answer="no", justification="no plan yet",
                                                     answered_by="QA lead", answered_at="2026-01-15")
    path.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    answered_no = api.audit(predictions_frame, target="approved", positive_label="yes", predictions="decision",
                            scores="score", sensitive=["sex"], profiles=["eu-ai-act-high-risk"], checklist=path)
    question = question_bank()["risk-management-system"]
    item = next(r for r in answered_no.evidence.requirements if r.question == question.id)
    assert item.verdict == "fail"
    assert (item.remediation, item.remediation_zh) == (question.guidance, question.guidance_zh)
    for fmt in (Format.md, Format.html, Format.junit):
        zh, en = RENDERERS[fmt](answered_no, lang="zh"), RENDERERS[fmt](answered_no, lang="en")
        assert question.guidance_zh in zh and question.guidance_zh not in en, fmt
        assert question.guidance in en and question.guidance not in zh, fmt


def test_an_items_own_guidance_comes_before_its_questions():
    """No shipped item overrides its question's guidance today; a profile may, and then its words win."""
    from conformance.profiles.checklist import judge_item

    profile = load_profile("eu-ai-act-high-risk")
    item = next(r for r in profile.candidates if isinstance(r, ChecklistItem) and r.question == "risk-management-system")
    question = profile.questions[item.question]
    judged = judge_item(profile.profile.id, item, question, None, {})
    assert (judged.remediation, judged.remediation_zh) == (question.guidance, question.guidance_zh)
    own = item.model_copy(update={"guidance": "Attach the plan for this clause.", "guidance_zh": "附上本条款的计划。"})
    judged = judge_item(profile.profile.id, own, question, None, {})
    assert (judged.remediation, judged.remediation_zh) == ("Attach the plan for this clause.", "附上本条款的计划。")
