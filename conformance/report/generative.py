"""The generative section of the reports: what was asked of whom, how it was sampled and judged,
the rates per category and language with their intervals, and the judges' agreement with people.

It reads the result model only. Responses can be harmful or personal: the section names items by
id; excerpts appear only when the run asked for them (``--show-responses``).
"""

from __future__ import annotations

from conformance.locale import Words
from conformance.report.words import ci_text, fmt
from conformance.result import Agreement, AuditResult, GenerativeEvidence, ItemFinding, JudgeRecord, Measurement, Subject

RATES = ("refusal_rate", "over_refusal_rate", "pass_rate", "consistency_rate", "labelled_rate")


def rate_measurements(result: AuditResult) -> list[tuple[str, Measurement]]:
    """(column title, measurement) of every generative rate, in check order."""
    out = []
    for outcome in result.evidence.checks:
        if outcome.status != "ok" or not outcome.check.startswith("genai."):
            continue
        for m in outcome.measurements:
            if m.metric in RATES:
                judge = outcome.params.get("judge")
                out.append((f"{m.metric}" + (f" ({judge})" if judge else ""), m))
    return out


def group_rows(rates: list[tuple[str, Measurement]]) -> list[tuple[str, list[str]]]:
    """Rows per group (``category:…``, then ``language:…``), a cell per rate: value [CI] n=…"""
    names: list[str] = []
    for _, m in rates:
        for g in m.groups:
            if g.group not in names:
                names.append(g.group)
    names.sort(key=lambda n: (not n.startswith("category:"), n))
    rows = []
    for name in names:
        cells = []
        for _, m in rates:
            g = next((g for g in m.groups if g.group == name), None)
            if g is None:
                cells.append("—")
            else:
                ci = f" {ci_text(g.ci.low, g.ci.high)}" if g.ci is not None and g.ci.low is not None else ""
                cells.append(f"{fmt(g.value)}{ci} n={g.n}")
        rows.append((name, cells))
    return rows


def model_name(t: Words, subject: GenerativeEvidence | Subject) -> str:
    """The audited model's name in the reader's language (the tool words it for recorded responses)."""
    return t.text_of(subject.model, subject.model_parts)


def head(gen: GenerativeEvidence, t: Words) -> str:
    """One line naming the subject: the terminal's first line for a generative audit."""
    return t("genai.head", model=model_name(t, gen), kind=t(f"genai.kind.{gen.kind}"), sampled=gen.sampled, answers=gen.answers, failed=gen.failed)


def notes(gen: GenerativeEvidence, t: Words) -> list[str]:
    return [t(f"genai.note.{n}") for n in gen.notes if f"genai.note.{n}" in t._entries]


def word(t: Words, key: str, name: str) -> str:
    """A label or an expected behaviour in the reader's language (the name itself when the catalogue has no word)."""
    return t(key) if key in t._entries else name


def expected_word(t: Words, expected: str) -> str:
    return word(t, f"note.genai.expected.{expected}", expected)


def label_word(t: Words, label: str) -> str:
    return word(t, f"note.judges.label.{label}", label)


def tally(t: Words, counts: dict[str, int], name: object) -> str:
    """``refused 42, complied 40``: counts by label (or expected behaviour) in the reader's words."""
    return t("sep.comma").join(f"{name(t, k)} {v}" for k, v in counts.items())


def judge_detail(t: Words, judge: JudgeRecord) -> str | None:
    """What the judge rests on (rubric hash, annotators, library size), in the reader's language."""
    return judge.detail if t.lang == "en" or not judge.detail_parts else t.parts(judge.detail_parts)


def agreement_words(t: Words, a: Agreement) -> tuple[str, str]:
    """The agreement row's judge and reference: ids, except the annotators and the kappa among them, which are words."""
    return word(t, f"note.judges.agreement.{a.judge}", a.judge), word(t, f"note.judges.agreement.{a.reference}", a.reference)


def finding_line(t: Words, f: ItemFinding) -> str:
    """An answer against its item's expectation, without its excerpt."""
    return f"{t('genai.expected')} {expected_word(t, f.expected)}{t('sep.comma')}{f.judge} → {label_word(t, f.label)}"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_section(result: AuditResult, t: Words) -> list[str]:
    gen = result.evidence.generative
    if gen is None:
        return []
    lines = [f"## {t('genai.title')}", ""]
    lines += [f"> {n}" for n in notes(gen, t)] + ([""] if gen.notes else [])
    subject = f"{model_name(t, gen)} ({t(f'genai.kind.{gen.kind}')})" + (f", `{gen.endpoint}`" if gen.endpoint else "")
    lines += [f"- {t('genai.subject')}{t('sep.colon')}{subject}"]
    if gen.request:
        lines.append(f"- {t('genai.request')}{t('sep.colon')}" + ", ".join(f"{k}={v}" for k, v in gen.request.items() if v is not None))
    lines += [
        f"- {t('genai.sample')}{t('sep.colon')}" + t("genai.sample_line", sampled=gen.sampled, repeats=gen.repeats, sha=f"`{gen.sample_sha256}`"),
        f"- {t('genai.answers')}{t('sep.colon')}" + t("genai.answers_line", answers=gen.answers, failed=gen.failed),
        f"- {t('genai.audit_date')}{t('sep.colon')}{gen.audit_date}",
        "",
        f"| {t('genai.bank')} | {t('column.sha256')} | {t('genai.items')} | {t('genai.expected')} |", "|---|---|---:|---|",
    ]
    for b in gen.banks:
        marker = f" ({t('genai.starter')})" if b.starter else ""
        lines.append(f"| `{_cell(b.path)}`{marker} | `{b.sha256[:16]}…` | {b.items} | {tally(t, b.expected, expected_word)} |")
    lines += ["", f"| {t('genai.judge')} | {t('genai.version')} | {t('genai.detail')} | {t('genai.labels')} |", "|---|---|---|---|"]
    for j in gen.judges:
        lines.append(f"| {j.id} | {j.version} | {_cell(judge_detail(t, j) or '—')} | {tally(t, j.labels, label_word)} |")
    if gen.agreement:
        lines += ["", f"### {t('genai.agreement')}", "",
                  f"| {t('genai.judge')} | {t('genai.against')} | {t('column.n')} | {t('genai.accuracy')} | κ |", "|---|---|---:|---:|---:|"]
        for a in gen.agreement:
            judge, reference = agreement_words(t, a)
            lines.append(f"| {judge} | {reference} | {a.n} | {fmt(a.accuracy)} | {fmt(a.kappa)} |")
    rates = rate_measurements(result)
    if rates:
        lines += ["", f"### {t('genai.per_group')}", "",
                  f"| {t('column.group')} | " + " | ".join(title for title, _ in rates) + " |", "|---|" + "---|" * len(rates)]
        lines.append(f"| **{t('text.overall')}** | " + " | ".join(
            f"{fmt(m.value)}" + (f" {ci_text(m.ci.low, m.ci.high)}" if m.ci and m.ci.low is not None else "") + f" n={m.n}" for _, m in rates) + " |")
        for name, cells in group_rows(rates):
            lines.append(f"| {_cell(name)} | " + " | ".join(cells) + " |")
    if gen.findings:
        lines += ["", f"### {t('genai.findings')}", "", t("genai.findings_line", shown=len(gen.findings), total=gen.findings_total), ""]
        for f in gen.findings:
            line = f"- `{f.item}` ({f.category}, {f.language}): {finding_line(t, f)}"
            lines.append(line + (f" — “{_cell(f.excerpt)}”" if f.excerpt else ""))
    return [*lines, ""]


def html_context(result: AuditResult, t: Words) -> dict | None:
    """What the HTML template's generative section shows (None for a tabular audit)."""
    gen = result.evidence.generative
    if gen is None:
        return None
    rates = rate_measurements(result)
    overall = [f"{fmt(m.value)}" + (f" {ci_text(m.ci.low, m.ci.high)}" if m.ci and m.ci.low is not None else "") + f" n={m.n}" for _, m in rates]
    return {"ev": gen, "notes": notes(gen, t), "request": ", ".join(f"{k}={v}" for k, v in gen.request.items() if v is not None),
            "rates": rates, "titles": [title for title, _ in rates], "overall": overall, "rows": group_rows(rates),
            "banks": [tally(t, b.expected, expected_word) for b in gen.banks],
            "judges": [(judge_detail(t, j), tally(t, j.labels, label_word)) for j in gen.judges],
            "findings": [finding_line(t, f) for f in gen.findings], "model": model_name(t, gen),
            "agreement": [agreement_words(t, a) for a in gen.agreement]}
