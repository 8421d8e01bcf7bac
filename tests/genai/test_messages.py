"""What the generative checks, the corpus sample, the judges and the generative report section write
is catalogue messages: the English stored beside them is the en catalogue's rendering, and the zh
rendering holds no English sentence."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from conformance.checks import REGISTRY
from conformance.checks.genai_corpus import CorpusItem, CorpusParams, CorpusSample
from conformance.checks.runner import run_check
from conformance.genai.bank import Bank, BankItem, KeywordEntry
from conformance.genai.context import Answer, GenaiContext
from conformance.genai.pipeline import _judge_records
from conformance.judges.human import Annotation, HumanJudge
from conformance.judges.keywords import KeywordJudge
from conformance.judges.model import ModelJudge
from conformance.judges.refusal import RefusalJudge
from conformance.locale import Words
from tests.english import english_runs as _english_runs

EN, ZH = Words("en"), Words("zh")



def _item(i: int, expected: str, category: str = "A.1.1", **kw) -> BankItem:
    return BankItem(id=f"i{i:03d}", prompt=f"p{i}", language="en", category=category, expected=expected, **kw)


def _context(items, texts, judges=None, epochs=1, **kw) -> GenaiContext:
    answers = {(item.id, e): Answer(item.id, e, text, None if text is not None else "transient: boom",
                                    latency_ms=None if kw.get("recorded") else 10.0 + e)
               for item, text in zip(items, texts) for e in range(epochs)}
    return GenaiContext(banks=[Bank(Path("bank.jsonl"), tuple(items))], sampled=list(items), answers=answers,
                        judges=judges if judges is not None else {"refusal": RefusalJudge()}, repeats=epochs, **kw)


REFUSE = "I'm sorry, but I can't help with that."
ITEMS = [_item(0, "refuse", updated=date(2026, 3, 1)), _item(1, "refuse", "A.1.2"), _item(2, "answer", "general"),
         _item(3, "any", "A.3.1")]
MANY_CODES = frozenset(f"A.{i}.1" for i in range(1, 14))


def _outcomes():
    """Every generative check in the situations that give each of its notes, drivers and reasons."""
    keywords = KeywordJudge([KeywordEntry("bomb", "A.1.1")])
    full = _context(ITEMS, [REFUSE, None, "Sure.", "a bomb"], judges={"refusal": RefusalJudge(), "keywords": keywords},
                    keywords=[KeywordEntry("bomb", "A.1.1", date(2026, 2, 1))], taxonomy_codes=MANY_CODES, today=date(2026, 3, 31))
    bare = _context([_item(0, "answer")], [None])
    recorded = _context([_item(0, "answer")], ["fine"], recorded=True, keywords=[KeywordEntry("x")])
    runs = [
        (full, "genai.refusal_rate", {}), (full, "genai.over_refusal_rate", {}), (full, "genai.pass_rate", {}),
        (full, "genai.pass_rate", {"items": "all", "judge": "refusal"}), (full, "genai.bank_coverage", {}),
        (full, "genai.bank_coverage", {"categories": ["Z"]}), (full, "genai.keyword_library", {}),
        (full, "genai.content_labels", {"pattern": "("}), (full, "genai.endpoint", {}),
        (bare, "genai.refusal_rate", {}), (bare, "genai.endpoint", {}), (bare, "genai.keyword_library", {}),
        (bare, "genai.bank_coverage", {}),
        (recorded, "genai.consistency", {}), (bare, "genai.consistency", {}), (recorded, "genai.endpoint", {}),
        (recorded, "genai.keyword_library", {}),
        (_context(ITEMS, ["R"] * 4, epochs=2), "genai.consistency", {"repeats": 2}),
        (full, "genai.refusal_rate", {"judge": "keywords"}), (full, "genai.corpus_sample", {}),
    ]
    runs += [(full, "genai.pass_rate", {"judge": judge}) for judge in ("model", "human", "nobody")]
    return [run_check(check, REGISTRY[check], REGISTRY[check].params(**params), ctx) for ctx, check, params in runs]


def _corpus_measurements():
    items = [CorpusItem(f"m{i}", "web" if i % 2 else "forum", "manual", i > 2, "A.1.1" if i % 3 else None) for i in range(10)]
    check = REGISTRY["genai.corpus_sample"]

    class Ctx:
        def __init__(self, sample):
            self.corpus_sample = sample

    out = []
    for sample, kind in ((CorpusSample.of(items, corpus_size=100, path="corpus.csv"), "manual"),
                         (CorpusSample.of(items), "manual"), (CorpusSample.of(items, path="corpus.csv"), "technical"),
                         (CorpusSample.of(items), "technical")):
        out += check.measure(Ctx(sample), CorpusParams(sample=kind))
    return out


def test_every_generative_note_driver_and_reason_is_a_message():
    outcomes = _outcomes()
    measurements = [m for o in outcomes for m in o.measurements] + _corpus_measurements()
    said = set()
    for outcome in outcomes:
        if outcome.status != "ok":
            assert outcome.reason_parts, outcome.reason
            assert EN.parts(outcome.reason_parts) == outcome.reason
            zh = ZH.check_reason(outcome)
            assert not _english_runs(zh), (zh, outcome.reason)
            said |= {p.key for p in outcome.reason_parts}
    for m in measurements:
        for text, parts in ((m.note, m.note_parts), (m.driver, m.driver_parts)):
            if text is None:
                assert not parts
                continue
            assert parts, (m.metric, text)
            assert EN.parts(parts) == text
            said |= {p.key for p in parts}
        for zh in (ZH.note(m), ZH.driver(m)):
            assert zh is None or not _english_runs(zh), zh
    # every message of the checks' catalogue sub-blocks came up in these situations
    for module in ("genai", "genai_corpus"):
        keys = {k for k in EN._entries if k.startswith(f"note.{module}.")
                and not k.startswith(("note.genai.expected.", "note.genai.refusals", "note.genai.safe_content",
                                      "note.genai.epoch_column", "note.genai_corpus.kind."))}
        assert keys <= said, sorted(keys - said)


def test_the_english_stays_what_it_was():
    """The stored English reads as the f-strings did before the messages (reports and golden files unchanged)."""
    by_check: dict = {}
    for o in _outcomes():  # the first run of each check and judge: on the full context
        by_check.setdefault((o.check, o.params.get("judge"), o.params.get("pattern")), o)
    rate = next(m for m in by_check[("genai.refusal_rate", "refusal", None)].measurements if m.metric == "refusal_rate")
    assert rate.note == "judge refusal v1; 2 sampled of 2 in the banks; 1 of 2 items had no usable answer or label (failed call or judge) and count as not passing"
    consistency = [o for o in _outcomes() if o.check == "genai.consistency" and o.status != "ok"]
    assert {o.reason for o in consistency} == {
        "each item was asked 1 time(s); this check needs 3 (recorded responses need an 'epoch' column)",
        "each item was asked 1 time(s); this check needs 3"}
    assert by_check[("genai.pass_rate", "model", None)].reason == (
        "judge 'model' is not available in this run (give --judge-endpoint URL and --judge-model NAME)")
    coverage = {m.metric: m for m in by_check[("genai.bank_coverage", None, None)].measurements}
    assert coverage["min_category_count"].driver == "category:A.10.1"
    assert coverage["min_category_count"].note.startswith("no item in 11 categories: A.10.1, A.11.1, ") and coverage["min_category_count"].note.endswith(" …")
    corpus = {m.metric: m for m in _corpus_measurements()[:4]}
    assert corpus["qualified_rate"].note == "manual sample: 7 of 10 qualified"
    assert re.fullmatch(r"source:(web|forum) \(\d of \d unqualified\)", corpus["max_source_harmful_rate"].driver)
    assert corpus["sample_share"].note == "10 of 100 corpus items"


def test_judge_details_are_messages():
    items = [_item(0, "refuse"), _item(1, "any")]
    human = HumanJudge([Annotation("i000", 0, "refused", "ann-b"), Annotation("i000", 0, "refused", "ann-a")])
    ctx = _context(items, [REFUSE, "ok"], judges={"refusal": RefusalJudge(), "human": human, "model": ModelJudge(None),
                                                 "keywords": KeywordJudge([KeywordEntry("x"), KeywordEntry("y")])})
    records = {r.id: r for r in _judge_records(ctx)}
    assert records["human"].detail == "2 annotator(s): ann-a, ann-b"
    assert records["keywords"].detail == "2 terms"
    assert records["model"].detail == f"rubric sha256 {ctx.judges['model'].rubric_sha256}"
    assert records["refusal"].detail is None and not records["refusal"].detail_parts
    for record in records.values():
        if record.detail is not None:
            assert EN.parts(record.detail_parts) == record.detail
            assert not _english_runs(ZH.parts(record.detail_parts))


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """A small generative audit with a keyword library, annotations and a corpus sample."""
    import json

    from conformance import api
    from conformance.config import RunConfig

    d = tmp_path_factory.mktemp("genai-messages")
    bank = [{"id": f"q{i}", "prompt": f"q {i}", "language": "en", "category": ("A.1.1", "A.2.1")[i % 2],
             "expected": ("refuse", "answer", "any")[i % 3]} for i in range(12)]
    (d / "bank.jsonl").write_text("\n".join(json.dumps(b) for b in bank) + "\n", encoding="utf-8")
    (d / "responses.jsonl").write_text("\n".join(json.dumps({"id": b["id"], "response": REFUSE if i % 4 else "Sure, bomb."})
                                                 for i, b in enumerate(bank)) + "\n", encoding="utf-8")
    (d / "keywords.csv").write_text("term,category\nbomb,A.1.1\n", encoding="utf-8")
    (d / "annotations.csv").write_text("item,verdict,annotator\n" + "".join(f"q{i},refused,ann\n" for i in range(12)), encoding="utf-8")
    (d / "corpus.csv").write_text("id,source,kind,verdict\n" + "".join(f"c{i},web,manual,qualified\n" for i in range(5)), encoding="utf-8")
    config = RunConfig(banks=[d / "bank.jsonl"], responses=d / "responses.jsonl", keywords=d / "keywords.csv",
                       annotations=d / "annotations.csv", corpus_sample=d / "corpus.csv", profiles=["tc260-003"],
                       output=d / "out", seed=0, audit_date="2026-06-30")
    return api.run_audit(config)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_generative_section_takes_its_words_from_the_catalogue(audited, fmt):
    from conformance.report import RENDERERS
    from conformance.result import Format

    gen = audited.evidence.generative
    zh, en = RENDERERS[Format(fmt)](audited, lang="zh"), RENDERERS[Format(fmt)](audited, lang="en")
    labels = {label for j in gen.judges for label in j.labels}
    assert {"refused", "complied"} <= labels
    section = zh[zh.index("生成式人工智能测评"):]
    for label in labels | {e for b in gen.banks for e in b.expected}:
        assert not re.search(rf"\b{label} \d", section), label  # counts by label read in Chinese
        assert re.search(rf"\b{label} \d", en), label
    assert "拒答 " in section and "应作答 " in section
    detail = next(j for j in gen.judges if j.id == "human")
    assert detail.detail in en and ZH.parts(detail.detail_parts) in section


def test_the_recorded_subject_and_the_agreement_read_in_chinese(audited):
    from conformance.report import RENDERERS
    from conformance.result import Format

    ev = audited.evidence
    assert ev.subject.model == ev.generative.model == "recorded responses (responses.jsonl)"
    assert EN.parts(ev.subject.model_parts) == ev.subject.model
    zh, en = RENDERERS[Format("md")](audited, lang="zh"), RENDERERS[Format("md")](audited, lang="en")
    assert "recorded responses" not in zh and "已记录的回答（responses.jsonl）" in zh
    assert "- Model: recorded responses (responses.jsonl)" in en
    html = RENDERERS[Format("html")](audited, lang="zh")
    assert "recorded responses" not in html and "<title>" in html


def test_agreement_among_annotators_is_worded(tmp_path):
    from conformance.genai.pipeline import _agreement
    from conformance.report.generative import agreement_words

    items = [_item(i, "refuse") for i in range(4)]
    human = HumanJudge([Annotation(f"i{i:03d}", 0, v, who) for i in range(4) for who, v in
                        (("a", "refused"), ("b", "refused" if i % 2 else "complied"))])
    rows = _agreement(_context(items, [REFUSE] * 4, judges={"refusal": RefusalJudge(), "human": human}))
    among = next(a for a in rows if a.judge == "annotators")
    assert agreement_words(EN, among) == ("annotators", "cohen")
    assert agreement_words(ZH, among) == ("标注人员之间", "Cohen κ")
    refusal = next(a for a in rows if a.judge == "refusal")
    assert agreement_words(ZH, refusal) == ("refusal", "human")  # judge ids stay ids
