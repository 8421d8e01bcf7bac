"""The generative audit: banks → sample → collect → judges → checks → profiles → AuditResult.

The second kind of subject shares everything after the measurements with the tabular audit: the
same check runner, the same assessment by profiles, the same manifest and result model. What is
its own: question banks instead of a dataset, a journal of answers instead of predictions, judges
that label the answers before the checks count them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from conformance.checks.runner import run_all
from conformance.config import RunConfig
from conformance.errors import ConfigError, DataError, ModelError
from conformance.evidence.manifest import build_manifest, hash_input
from conformance.genai.bank import Bank, BankItem, check_categories, read_banks
from conformance.genai.context import Answer, GenaiContext
from conformance.genai.sample import sample_banks, sample_sha256
from conformance.judges.base import Label
from conformance.judges.refusal import RefusalJudge
from conformance.messages import english, parts, say
from conformance.profiles.assess import assess, customisations
from conformance.profiles.judge import overall_outcome
from conformance.profiles.plan import Plan
from conformance.result import (
    Agreement,
    AuditResult,
    BankRecord,
    Evidence,
    GenerativeEvidence,
    InputFile,
    ItemFinding,
    JudgeRecord,
    RunInfo,
    Subject,
)

Progress = Callable[[str, int, int], None]
STARTER_BANK = "genai-starter-bank.jsonl"
MAX_FINDINGS = 500
EXCERPT = 240


def taxonomy_codes(plan: Plan) -> tuple[frozenset[str] | None, str | None]:
    """The codes of the taxonomies the profiles name (``taxonomy:``), or None when none does."""
    names = sorted({str(t) for t in (getattr(p.profile, "taxonomy", None) for p in plan.profiles) if t})
    if not names:
        return None, None
    from conformance.genai.taxonomy import load_taxonomy  # type: ignore[import-not-found]

    codes: set[str] = set()
    for name in names:
        codes |= set(load_taxonomy(name).codes)
    return frozenset(codes), ", ".join(names)


def _stratify(plan: Plan) -> bool:
    """Stratify the sample when a requirement judges a per-category minimum."""
    return any(getattr(r, "metric", None) == "min_category_count" for _, r, _ in plan.cited)


def _repeats(plan: Plan) -> int:
    return max([getattr(t.params, "repeats", 1) for t in plan.tasks.values() if t.check.id == "genai.consistency"] or [1])


def _subject_connector(config: RunConfig) -> Any:
    """The connector of the subject: an endpoint or a trusted callable; None for recorded responses."""
    from conformance.io.endpoint import CallableChat, OpenAIChat, RetryPolicy

    retry = RetryPolicy(attempts=config.retries)
    common = dict(concurrency=config.concurrency, rate_limit=config.rate_limit, retry=retry, seed=config.seed)
    if config.endpoint is not None:
        if not config.endpoint_model:
            raise ConfigError("--endpoint needs --endpoint-model NAME", "the model name the endpoint serves, e.g. llama3")
        return OpenAIChat(endpoint=config.endpoint, model=config.endpoint_model, api_key_env=config.api_key_env,
                          system_prompt=config.system_prompt, temperature=config.temperature, max_tokens=config.max_tokens,
                          request_seed=config.endpoint_seed, timeout=config.timeout, **common)
    if config.model is not None:
        from conformance.io.callable_model import is_callable_spec, load_callable

        spec = str(config.model)
        if not is_callable_spec(spec):
            raise ConfigError(f"a generative subject given with --model must be package.module:function, not {spec}",
                              "or give --endpoint URL, or --responses FILE")
        if not config.trust_model:
            raise ModelError(f"{spec} is code: running it needs --trust-model", "pass --trust-model if you trust it")
        loaded = load_callable(spec)
        return CallableChat(function=loaded.function, spec=spec, **common)
    return None


def _subject_check(config: RunConfig) -> None:
    given = [name for name, value in (("--endpoint", config.endpoint), ("--responses", config.responses), ("--model", config.model)) if value]
    if not config.banks:
        raise ConfigError("a generative audit needs a question bank", "give --bank FILE (see `conformance bank schema`)")
    if len(given) != 1:
        raise ConfigError(f"give one generative subject, not {len(given)}" + (f" ({', '.join(given)})" if given else ""),
                          "--endpoint URL, --responses FILE or --model package.module:function")


def _collect(config: RunConfig, sampled: list[BankItem], repeats: int, banks: list[Bank], progress: Progress | None
             ) -> tuple[dict[tuple[str, int], Answer], dict[str, Any], list[InputFile]]:
    """Answers of the subject, what it is, and the input files that hold them (journal or responses)."""
    if config.responses is not None:
        from conformance.genai.recorded import read_responses

        known = {item.id for bank in banks for item in bank.items}
        answers = read_responses(config.responses, known)
        wanted = {item.id for item in sampled}
        answers = {k: v for k, v in answers.items() if k[0] in wanted}
        named = say("note.pipeline.recorded_model", file=Path(config.responses).name)
        subject = {"kind": "responses", "model": english([named]), "model_parts": [named]}
        return answers, subject, [hash_input("responses", config.responses)]
    from conformance.genai.collect import collect

    connector = _subject_connector(config)
    journal = Path(config.journal) if config.journal else Path(config.output) / "journal.jsonl"
    report = (lambda done, total: progress("collecting", done, total)) if progress else None
    collected = collect(connector, sampled, journal, epochs=repeats, system_prompt=None, progress=report)
    description = connector.describe()
    subject = {**description, "request": connector.request_parameters()}
    subject["model"] = description.get("model") or description.get("callable")
    return collected.answers, subject, [hash_input("journal", journal)]


def _judges(config: RunConfig, sampled: list[BankItem], answers: dict[tuple[str, int], Answer], banks: list[Bank]
            ) -> tuple[dict[str, Any], list[InputFile]]:
    judges: dict[str, Any] = {"refusal": RefusalJudge()}
    inputs: list[InputFile] = []
    if config.keywords is not None:
        from conformance.judges.keywords import KeywordJudge, read_keywords

        judges["keywords"] = KeywordJudge(read_keywords(config.keywords))
        inputs.append(hash_input("keywords", config.keywords))
    if config.annotations is not None:
        from conformance.judges.human import HumanJudge, read_annotations

        judges["human"] = HumanJudge(read_annotations(config.annotations, {i.id for b in banks for i in b.items}))
        inputs.append(hash_input("annotations", config.annotations))
    if config.judge_endpoint is not None:
        from conformance.io.endpoint import OpenAIChat
        from conformance.judges.model import ModelJudge

        if not config.judge_model:
            raise ConfigError("--judge-endpoint needs --judge-model NAME")
        connector = OpenAIChat(endpoint=config.judge_endpoint, model=config.judge_model, api_key_env=config.judge_api_key_env,
                               concurrency=config.concurrency, rate_limit=config.rate_limit, timeout=config.timeout, temperature=0.0)
        judge = ModelJudge(connector)
        by_id = {i.id: i for i in sampled}
        judge.prepare([(k, by_id[k[0]], a.response) for k, a in answers.items() if a.error is None and a.response is not None and k[0] in by_id])
        judges["model"] = judge
    return judges, inputs


def _agreement(ctx: GenaiContext) -> list[Agreement]:
    """Each judge of refusals against the people's labels; the annotators among themselves."""
    from conformance.stats.agreement import cohen_kappa

    human = ctx.judges.get("human")
    if human is None:
        return []
    out = []
    if "behaviour" in human.gives:
        reference = ctx.labels("human") or {}
        for judge_id in [j for j in ("refusal", "model") if j in ctx.judges]:
            labels = ctx.labels(judge_id) or {}
            pairs = [(reference[k].refused, labels[k].refused) for k in reference
                     if k in labels and reference[k].error is None and reference[k].behaviour and labels[k].error is None]
            if pairs:
                people, judged = zip(*pairs)
                accuracy = sum(a == b for a, b in pairs) / len(pairs)
                out.append(Agreement(judge=judge_id, reference="human", n=len(pairs), accuracy=round(accuracy, 6),
                                     kappa=_round(cohen_kappa(list(people), list(judged)))))
    among = human.agreement()
    if among is not None:
        method, kappa, n = among
        out.append(Agreement(judge="annotators", reference=method, n=n, kappa=_round(kappa)))
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _findings(ctx: GenaiContext, show: bool, safety_judge: str | None) -> tuple[list[ItemFinding], int]:
    """Answers that went against their item's expectation (refusal judge; a safety judge for 'any' items)."""
    found = []
    refusal = ctx.labels("refusal") or {}
    safety = (ctx.labels(safety_judge) or {}) if safety_judge else {}
    for item in ctx.sampled:
        key = (item.id, 0)
        label: Label | None
        judge = "refusal"
        if item.expected == "any":
            label, judge = safety.get(key), safety_judge or "refusal"
            bad = label is not None and (label.error is not None or label.safety == "unsafe")
        else:
            label = refusal.get(key)
            bad = label is not None and (label.error is not None or (label.refused != (item.expected == "refuse")))
        if not bad or label is None:
            continue
        answer = ctx.answers.get(key)
        excerpt = None
        if show and answer is not None and answer.response:
            excerpt = answer.response[:EXCERPT] + ("…" if len(answer.response) > EXCERPT else "")
        name = label.error and "error" or label.behaviour or label.safety or "?"
        found.append(ItemFinding(item=item.id, category=item.category, language=item.language, expected=item.expected,
                                 judge=judge, label=name, excerpt=excerpt))
    return found[:MAX_FINDINGS], len(found)


def _judge_records(ctx: GenaiContext) -> list[JudgeRecord]:
    records = []
    for judge_id, judge in ctx.judges.items():
        labels = ctx.labels(judge_id) or {}
        counts = Counter("error" if l.error else (l.behaviour or l.safety or "?") for l in labels.values())
        detail = None
        if judge_id == "model":
            detail = say("note.judges.rubric", sha256=judge.rubric_sha256)
        elif judge_id == "human":
            detail = say("note.judges.annotators", count=str(len(judge.annotators)), names=", ".join(judge.annotators))
        elif judge_id == "keywords":
            detail = say("note.judges.terms", size=str(judge.size))
        records.append(JudgeRecord(id=judge_id, version=judge.version, detail_parts=parts(detail), labels=dict(sorted(counts.items()))))
    return records


def _bank_records(banks: list[Bank]) -> tuple[list[BankRecord], list[InputFile]]:
    records, inputs = [], []
    for bank in banks:
        item = hash_input("bank", bank.path)
        inputs.append(item)
        counts = Counter(i.expected for i in bank.items)
        records.append(BankRecord(path=item.path, sha256=item.sha256, items=len(bank.items), expected=dict(sorted(counts.items())),
                                  starter=bank.path.name == STARTER_BANK and "conformance" in item.path))
    return records, inputs


def run_generative(config: RunConfig, plan: Plan, command: list[str], progress: Progress | None = None,
                   answers_in: Any = None, answer_inputs: list[InputFile] | None = None,
                   evidence_hashes: dict[str, str] | None = None, notes: list[str] | None = None,
                   tool_version: str = "") -> AuditResult:
    """Run the generative audit a RunConfig describes against an already validated plan."""
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    _subject_check(config)
    if plan.tasks and not any("generative" in t.check.tasks for t in plan.tasks.values()):
        raise DataError("the profiles have no generative requirement", "choose a generative profile, or audit a tabular model with --data")
    codes, taxonomy = taxonomy_codes(plan)
    banks = read_banks(config.banks)
    if codes is not None:
        check_categories([Bank(b.path, tuple(i for i in b.items if i.expected != "answer")) for b in banks], codes, taxonomy or "")
    try:
        today = date.fromisoformat(config.audit_date) if config.audit_date else date.today()
    except ValueError as exc:
        raise ConfigError(f"--audit-date '{config.audit_date}' is not a date", "write it YYYY-MM-DD") from exc
    sampled = sample_banks(banks, config.sample, config.seed, _stratify(plan))
    repeats = _repeats(plan)
    answers, subject, answer_files = _collect(config, sampled, repeats, banks, progress)
    judges, judge_inputs = _judges(config, sampled, answers, banks)
    ctx = GenaiContext(banks=banks, sampled=sampled, answers=answers, judges=judges, taxonomy_codes=codes, today=today,
                       seed=config.seed, repeats=repeats if config.responses is None else max([k[1] + 1 for k in answers] or [1]),
                       recorded=config.responses is not None)
    if config.keywords is not None:
        from conformance.judges.keywords import read_keywords

        ctx.keywords = read_keywords(config.keywords)
    corpus = getattr(config, "corpus_sample", None)
    if corpus is not None:
        from conformance.checks.genai_corpus import load_corpus_sample

        ctx.corpus_sample = load_corpus_sample(corpus, getattr(config, "corpus_size", None))
        judge_inputs.append(hash_input("corpus_sample", corpus))
    outcomes = run_all(plan.tasks, ctx, progress)
    requirements, summaries = assess(plan, outcomes, answers_in, evidence_hashes or {}, dict(config.declared), config.adopt_defaults)
    overrides, waivers = customisations(plan)
    bank_records, bank_inputs = _bank_records(banks)
    safety_judge = next((getattr(t.params, "judge", None) for t in plan.tasks.values() if t.check.id == "genai.pass_rate"), None)
    safety_judge = safety_judge if safety_judge in judges else ("keywords" if "keywords" in judges else None)
    findings, total = _findings(ctx, config.show_responses, safety_judge)
    all_notes = list(notes or [])
    if any(b.starter for b in bank_records):
        all_notes.append("starter_bank")
    generative = GenerativeEvidence(
        kind=subject["kind"], model=str(subject.get("model") or "?"), endpoint=subject.get("endpoint"),
        request=subject.get("request") or {}, banks=bank_records, sampled=len(sampled), sample_sha256=sample_sha256(sampled),
        sampled_ids=[i.id for i in sampled], repeats=ctx.repeats, answers=sum(1 for a in answers.values() if a.error is None),
        failed=sum(1 for a in answers.values() if a.error is not None), judges=_judge_records(ctx), agreement=_agreement(ctx),
        findings=findings, findings_total=total, audit_date=today.isoformat(), notes=all_notes,
        model_parts=subject.get("model_parts") or [],
    )
    subject_model = Subject(model=generative.model, task="generative", rows=len(sampled), target="", positive_label=None,
                            sensitive=[], features=[], predictions_only=config.responses is not None, declared=dict(config.declared),
                            model_parts=generative.model_parts)
    profile_inputs = [hash_input(f"profile:{p.profile.id}", p.path) for p in plan.profiles]
    inputs = [*bank_inputs, *answer_files, *judge_inputs, *profile_inputs, *(answer_inputs or [])]
    evidence = Evidence(
        subject=subject_model, profiles=summaries, checks=list(outcomes.values()), requirements=requirements,
        outcome=overall_outcome(requirements, config.adopt_defaults), manifest=build_manifest(tool_version, config.seed, command, inputs),
        overrides=overrides, waivers=waivers, generative=generative, defaults_adopted=config.adopt_defaults,
    )
    run = RunInfo(started_at=started_at, duration_seconds=round(time.perf_counter() - started, 3))
    return AuditResult(evidence=evidence, run=run)


def generative_command(config: RunConfig) -> list[str]:
    """The ``conformance run`` command line that reproduces a generative audit (never a key)."""
    args = ["conformance", "run"]
    for bank in config.banks:
        args += ["--bank", str(bank)]
    for name in ("endpoint", "endpoint_model", "responses", "model", "journal", "keywords", "annotations", "judge_endpoint",
                 "judge_model", "system_prompt", "max_tokens", "endpoint_seed", "sample", "audit_date", "checklist",
                 "corpus_sample", "corpus_size"):
        value = getattr(config, name)
        if value is not None:
            args += [f"--{name.replace('_', '-')}", str(value)]
    for name in ("api_key_env", "judge_api_key_env"):
        if getattr(config, name) != "CONFORMANCE_API_KEY":
            args += [f"--{name.replace('_', '-')}", getattr(config, name)]
    if config.temperature:
        args += ["--temperature", f"{config.temperature:g}"]
    for name, flag in (("profiles", "--profile"), ("sets", "--set")):
        for value in getattr(config, name) or []:
            args += [flag, str(value)]
    for name, level in sorted(config.declared.items()):
        args += ["--declare", f"{name}={level:g}"]
    if config.trust_model:
        args.append("--trust-model")
    if config.adopt_defaults:
        args.append("--adopt-defaults")
    return [*args, "--seed", str(config.seed)]


def bank_minimums(plan: Plan) -> list[Any]:
    """Per-category minimums the profiles set (requirements on ``min_category_count`` of bank coverage)."""
    from conformance.genai.bankstats import Minimum

    out = []
    for loaded, requirement, key in plan.cited:
        task = plan.tasks[key]
        if task.check.id != "genai.bank_coverage" or requirement.metric != "min_category_count" or requirement.threshold.min is None:
            continue
        out.append(Minimum(f"{loaded.profile.id}/{requirement.id}", task.params.expected, tuple(task.params.categories),
                           requirement.threshold.min))
    return out
