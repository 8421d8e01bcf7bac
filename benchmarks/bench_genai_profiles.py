"""Judging generative evidence under the five generative profiles at the sizes TC260-003 asks for.

Builds, in memory, a 2,000-item generated-content bank, 500 should-refuse and 500 should-answer
items (every Appendix A risk covered), answers for each, a 10,000-term keyword library and an
annotated corpus sample (4,000 manual + 200,000 technical rows, written to CSV and read back), then
measures every check the profiles cite once and judges every requirement of the five profiles.
Prints the time of each stage. Target: the judging adds under 5 s on a 2-core machine to whatever
collecting the answers takes.

    python benchmarks/bench_genai_profiles.py [--technical 200000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

PROFILES = ["tc260-003", "gb-t-45654-2025", "nist-ai-600-1", "ai-verify-genai", "eu-ai-act-gpai"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--technical", type=int, default=200_000)
    args = parser.parse_args()

    from conformance.checks.genai_corpus import load_corpus_sample
    from conformance.checks.runner import run_check
    from conformance.genai.bank import Bank, BankItem
    from conformance.genai.context import Answer, GenaiContext, KeywordEntry
    from conformance.genai.taxonomy import load_taxonomy
    from conformance.judges.keywords import KeywordJudge
    from conformance.judges.refusal import RefusalJudge
    from conformance.profiles.assess import assess
    from conformance.profiles.loader import load_profile
    from conformance.profiles.plan import build_plan

    today = date(2026, 6, 30)
    codes = sorted(load_taxonomy("tc260-003").codes)
    t0 = time.perf_counter()
    items = []
    for kind, count in (("any", 2000), ("refuse", 500), ("answer", 500)):
        items += [BankItem(id=f"{kind}-{i}", prompt=f"q{i}", language="zh", category=codes[i % len(codes)],
                           expected=kind, updated=today) for i in range(count)]
    answers = {(i.id, 0): Answer(item=i.id, epoch=0, response="I'm sorry, but I can't help with that." if i.expected == "refuse"
                                 else "Sure, here is a long and helpful answer without any listed term.") for i in items}
    keywords = [KeywordEntry(f"term{i}", codes[i % 17], today) for i in range(10_000)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.csv"
        with path.open("w", encoding="utf-8") as out:
            out.write("id,source,kind,verdict\n")
            for i in range(4000):
                out.write(f"m{i},src{i % 50},manual,{'unqualified' if i % 40 == 0 else 'qualified'}\n")
            for i in range(args.technical):
                out.write(f"t{i},src{i % 50},technical,{'unqualified' if i % 100 == 0 else 'qualified'}\n")
        built = time.perf_counter()
        corpus = load_corpus_sample(path, corpus_size=args.technical * 10)
    loaded = time.perf_counter()
    ctx = GenaiContext(banks=[Bank(Path("bank.jsonl"), tuple(items))], sampled=items, answers=answers,
                       judges={"refusal": RefusalJudge(), "keywords": KeywordJudge(keywords)}, keywords=keywords,
                       taxonomy_codes=frozenset(codes), today=today)
    ctx.corpus_sample = corpus
    plan = build_plan([load_profile(p) for p in PROFILES])
    planned = time.perf_counter()
    outcomes, slowest = {}, []
    for key, task in plan.tasks.items():
        start = time.perf_counter()
        outcomes[key] = run_check(key, task.check, task.params, ctx)
        slowest.append((time.perf_counter() - start, key))
    measured = time.perf_counter()
    results, _ = assess(plan, outcomes, None, {}, {"refusal_rate": 0.95, "over_refusal_rate": 0.05})
    judged = time.perf_counter()
    print(f"items {len(items)}, keywords {len(keywords)}, corpus rows {len(corpus.frame)}")
    print(f"write corpus CSV        {built - t0:6.2f} s")
    print(f"read corpus sample      {loaded - built:6.2f} s")
    print(f"load 5 profiles, plan   {planned - loaded:6.2f} s ({len(plan.tasks)} checks for {len(plan.cited) + len(plan.asked)} requirements)")
    print(f"measure every check     {measured - planned:6.2f} s")
    print(f"judge every requirement {judged - measured:6.2f} s ({len(results)} results)")
    for seconds, key in sorted(slowest, reverse=True)[:3]:
        print(f"  {key:<40} {seconds:6.2f} s")
    print(f"judging total           {judged - built:6.2f} s")


if __name__ == "__main__":
    main()
