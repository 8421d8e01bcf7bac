"""Generative checks against independent computations: scipy's and statsmodels' binomial intervals,
hand counts, numpy percentiles; errors stay in the denominator."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint

from conformance.checks import REGISTRY
from conformance.checks.runner import run_check
from conformance.genai.bank import Bank, BankItem, KeywordEntry
from conformance.genai.context import Answer, GenaiContext
from conformance.judges.base import Label
from conformance.judges.refusal import RefusalJudge
from conformance.stats.proportion import clopper_pearson, proportion_interval, wilson


@pytest.mark.parametrize("k, n", [(0, 1), (1, 1), (0, 10), (10, 10), (3, 10), (285, 300), (1, 1000), (499, 1000)])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_intervals_match_scipy_and_statsmodels(k, n, level):
    exact = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    assert clopper_pearson(k, n, level) == pytest.approx((exact.low, exact.high), abs=1e-12)
    assert clopper_pearson(k, n, level) == pytest.approx(proportion_confint(k, n, 1 - level, method="beta"), abs=1e-12)
    score = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert wilson(k, n, level) == pytest.approx((score.low, score.high), abs=1e-12)
    assert wilson(k, n, level) == pytest.approx(proportion_confint(k, n, 1 - level, method="wilson"), abs=1e-12)


def test_no_items_no_interval():
    assert proportion_interval(0, 0) is None
    with pytest.raises(ValueError):
        proportion_interval(3, 2)


def _item(i: int, expected: str, category: str = "A.1.1", language: str = "en", **kw) -> BankItem:
    return BankItem(id=f"i{i:03d}", prompt=f"p{i}", language=language, category=category, expected=expected, **kw)


class Scripted:
    """A judge reading the answer text: 'R' refused, 'D' deflected, 'C' complied, 'U' unsafe content."""

    id, version, gives = "refusal", "t", frozenset({"behaviour"})

    def judge(self, response, item):
        return Label(behaviour={"R": "refused", "D": "deflected"}.get(response[:1], "complied"))


def _context(items, texts, judges=None, epochs=1, **kw) -> GenaiContext:
    answers = {}
    for item, text in zip(items, texts):
        for epoch in range(epochs):
            value = text[epoch] if isinstance(text, tuple) else text
            answers[(item.id, epoch)] = Answer(item.id, epoch, None if value is None else value, None if value is not None else "transient: boom",
                                               latency_ms=float(len(answers) + 1))
    return GenaiContext(banks=[Bank(Path("bank.jsonl"), tuple(items))], sampled=list(items), answers=answers,
                        judges=judges or {"refusal": Scripted()}, repeats=epochs, **kw)


def _measure(check_id, ctx, **params):
    check = REGISTRY[check_id]
    outcome = run_check(check_id, check, check.params(**params), ctx)
    assert outcome.status == "ok", outcome.reason
    return {m.metric: m for m in outcome.measurements}


def test_refusal_rate_counts_deflections_and_keeps_errors_in_the_denominator():
    items = [_item(i, "refuse", category="A.1.1" if i < 6 else "A.2.1", language="zh" if i % 2 else "en") for i in range(10)]
    items += [_item(10 + i, "answer") for i in range(3)]
    texts = ["R", "D", "C", "R", None, "R", "C", "R", "R", None, "C", "C", "R"]
    m = _measure("genai.refusal_rate", _context(items, texts))
    rate = m["refusal_rate"]
    assert (rate.value, rate.n) == (6 / 10, 10)  # 2 failed calls: not refused, still counted
    assert (rate.ci.low, rate.ci.high) == pytest.approx(clopper_pearson(6, 10))
    assert "2 of 10 items had no usable answer" in rate.note
    groups = {g.group: g for g in rate.groups}
    assert (groups["category:A.1.1"].value, groups["category:A.1.1"].n) == (4 / 6, 6)  # R D C R None R
    assert (groups["category:A.2.1"].value, groups["category:A.2.1"].n) == (2 / 4, 4)  # C R R None
    assert (groups["language:en"].n, groups["language:zh"].n) == (5, 5)
    assert m["sampled"].value == 10 and m["bank_size"].value == 10
    over = _measure("genai.over_refusal_rate", _context(items, texts))["over_refusal_rate"]
    assert (over.value, over.n) == (1 / 3, 3)


def test_wilson_when_asked():
    items = [_item(i, "refuse") for i in range(20)]
    rate = _measure("genai.refusal_rate", _context(items, ["R"] * 17 + ["C"] * 3), interval="wilson", ci_level=0.9)["refusal_rate"]
    assert (rate.ci.low, rate.ci.high) == pytest.approx(wilson(17, 20, 0.9)) and rate.ci.level == 0.9


def test_no_should_refuse_items_gives_no_rate():
    items = [_item(i, "answer") for i in range(3)]
    rate = _measure("genai.refusal_rate", _context(items, ["C"] * 3))["refusal_rate"]
    assert rate.value is None and rate.n == 0 and rate.ci is None


def test_pass_rate_with_a_safety_judge_and_items_all():
    class Safety:
        id, version, gives = "keywords", "t", frozenset({"safety"})

        def judge(self, response, item):
            return Label(safety="unsafe" if "U" in response else "safe")

    items = [_item(i, "any") for i in range(5)] + [_item(5, "refuse")]
    ctx = _context(items, ["ok", "U!", "ok", None, "ok", "U"], judges={"keywords": Safety(), "refusal": Scripted()})
    rate = _measure("genai.pass_rate", ctx)["pass_rate"]
    assert (rate.value, rate.n) == (3 / 5, 5)
    everything = _measure("genai.pass_rate", ctx, items="all")["pass_rate"]
    assert (everything.value, everything.n) == (3 / 6, 6)


def test_a_judge_that_is_not_there_is_not_applicable():
    ctx = _context([_item(0, "any")], ["x"])
    check = REGISTRY["genai.pass_rate"]
    outcome = run_check("genai.pass_rate", check, check.params(judge="human"), ctx)
    assert outcome.status == "not_applicable" and "--annotations" in outcome.reason


def test_bank_coverage_against_a_taxonomy_and_pinned_date():
    items = [_item(0, "refuse", "A.1.1", updated=date(2026, 1, 10)), _item(1, "refuse", "A.1.1", updated=date(2026, 3, 1)),
             _item(2, "refuse", "A.1.2"), _item(3, "answer", "general", updated=date(2026, 5, 1)), _item(4, "refuse", "A.3.1")]
    ctx = _context(items, ["R"] * 5, taxonomy_codes=frozenset({"A.1.1", "A.1.2", "A.1.3", "A.3.1", "A.10.1"}), today=date(2026, 3, 31))
    m = _measure("genai.bank_coverage", ctx, expected="refuse", categories=["A.1"])
    assert m["bank_size"].value == 3
    assert m["min_category_count"].value == 0 and m["min_category_count"].driver == "category:A.1.3"
    assert {g.group: g.value for g in m["min_category_count"].groups} == {"category:A.1.1": 2, "category:A.1.2": 1, "category:A.1.3": 0}
    assert m["categories_covered"].value == 2 and m["categories_covered"].n == 3
    assert m["days_since_update"].value == (date(2026, 3, 31) - date(2026, 3, 1)).days
    everything = _measure("genai.bank_coverage", ctx)
    assert everything["bank_size"].value == 5 and everything["min_category_count"].value == 0


def test_keyword_library_counts_and_freshness():
    entries = [KeywordEntry("a", "A.1.1", date(2026, 2, 1)), KeywordEntry("b", "A.1.1"), KeywordEntry("c", "A.1.2", date(2026, 3, 1))]
    ctx = _context([_item(0, "any")], ["x"], keywords=entries, taxonomy_codes=frozenset({"A.1.1", "A.1.2", "A.2.1"}), today=date(2026, 3, 8))
    m = _measure("genai.keyword_library", ctx, categories=["A.1"])
    assert m["keyword_count"].value == 3 and m["min_category_count"].value == 1
    assert m["days_since_update"].value == 7
    assert _measure("genai.keyword_library", ctx)["min_category_count"].value == 0  # A.2.1 has none


def test_consistency_needs_every_repeat_to_agree():
    items = [_item(i, "refuse") for i in range(4)]
    texts = [("R", "R", "D"), ("R", "C", "R"), ("C", "C", "C"), ("R", None, "R")]
    rate = _measure("genai.consistency", _context(items, texts, epochs=3), repeats=3)["consistency_rate"]
    assert (rate.value, rate.n) == (2 / 4, 4)
    check = REGISTRY["genai.consistency"]
    outcome = run_check("genai.consistency", check, check.params(repeats=5), _context(items, texts, epochs=3))
    assert outcome.status == "not_applicable"


def test_content_labels_default_pattern_en_and_zh():
    items = [_item(i, "any") for i in range(5)]
    texts = ["Here you go. (AI-generated)", "本回答由人工智能生成。", "plain text", None, "generated by an AI assistant"]
    rate = _measure("genai.content_labels", _context(items, texts))["labelled_rate"]
    assert (rate.value, rate.n) == (3 / 5, 5)
    custom = _measure("genai.content_labels", _context(items, texts), pattern="plain")["labelled_rate"]
    assert custom.value == 1 / 5


def test_endpoint_latency_and_failures():
    items = [_item(i, "any") for i in range(8)]
    ctx = _context(items, ["x", "x", None, "x", "x", "x", "x", None])
    m = _measure("genai.endpoint", ctx)
    ok = [a.latency_ms for a in ctx.answers.values() if a.error is None]
    assert m["latency_p50_ms"].value == pytest.approx(np.percentile(ok, 50))
    assert m["latency_p95_ms"].value == pytest.approx(np.percentile(ok, 95))
    assert (m["failure_rate"].value, m["failure_rate"].n) == (2 / 8, 8)


def test_the_refusal_judge_plugs_into_the_context():
    items = [_item(0, "refuse"), _item(1, "refuse")]
    ctx = _context(items, ["I'm sorry, but I can't help with that.", "Sure, here is how: step 1 ..."], judges={"refusal": RefusalJudge()})
    assert _measure("genai.refusal_rate", ctx)["refusal_rate"].value == 0.5
