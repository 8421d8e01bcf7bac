"""The Markdown report: for pull-request comments and for reading in a repository."""

from __future__ import annotations

from conformance.report.clauses import conformity_markdown, shared_markdown
from conformance.report.generative import markdown_section, model_name
from conformance.locale import DEFAULT, Words
from conformance.report.words import FINDINGS, by_seriousness, ci_text, fmt
from conformance.result import AuditResult, CheckOutcome, Measurement, RequirementResult, evidence_sha256


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _observed(requirement: RequirementResult, t: Words) -> str:
    if requirement.kind == "checklist":
        return t(f"answer.{requirement.answer.answer}") if requirement.answer else t("text.unanswered")
    parts = []
    for obs in requirement.observations:
        text = fmt(obs.value)
        if obs.ci is not None and obs.ci.low is not None:
            text += " " + ci_text(obs.ci.low, obs.ci.high)
        parts.append(f"{obs.attribute}: {text}" if obs.attribute else text)
    return "; ".join(parts) or "—"


def _requirement_rows(requirements: list[RequirementResult], t: Words) -> list[str]:
    rows = [
        "| " + " | ".join(t(f"column.{c}") for c in ("requirement", "clause", "severity", "verdict", "metric", "observed", "threshold"))
        + " |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in requirements:
        threshold = "—"
        if r.threshold is not None:
            threshold = f"{t.threshold(r.threshold.min, r.threshold.max)} ({r.threshold.origin})"
        metric = r.metric or (r.question or "—")
        rows.append(
            f"| {_cell(t.requirement_title(r))} | {_cell(r.clause)} | {t.severity(r.severity)} | **{t.verdict(r.verdict)}** | "
            f"{_cell(metric)} | {_cell(_observed(r, t))} | {_cell(threshold)} |"
        )
    return rows


def _group_table(measurement: Measurement, t: Words) -> list[str]:
    rows = [f"| {t('column.group')} | {t('column.n')} | {t('column.value')} | {t('column.ci')} |", "|---|---:|---:|---|"]
    for g in measurement.groups:
        ci = ci_text(g.ci.low, g.ci.high) if g.ci else ""
        rows.append(f"| {_cell(g.group)} | {g.n} | {fmt(g.value)} | {ci or '—'} |")
    return rows


def group_key(m: Measurement) -> str:
    """Two measurements with the same groups and values show one table (a difference and a ratio share groups)."""
    return f"{m.attribute}:{[(g.group, g.value) for g in m.groups]}"


def _check_section(outcome: CheckOutcome, t: Words) -> list[str]:
    lines = [f"### {_cell(t.check_title(outcome.check, outcome.title))} (`{outcome.key}`)", ""]
    if outcome.status != "ok":
        return [*lines, f"{t('check_status.' + outcome.status)}: {t.check_reason(outcome)}", ""]
    cols = ("metric", "attribute", "value", "ci", "note")
    lines += ["| " + " | ".join(t(f"column.{c}") for c in cols) + " |", "|---|---|---:|---|---|"]
    for m in outcome.measurements:
        ci = f"{ci_text(m.ci.low, m.ci.high)} ({m.ci.level:.0%})" if m.ci and m.ci.low is not None else "—"
        note = t("sep.semicolon").join(t.measurement_notes(m))
        lines.append(f"| {m.metric} | {_cell(m.attribute or '—')} | {fmt(m.value)} | {ci} | {_cell(note)} |")
    lines.append("")
    shown: set[str] = set()
    for m in outcome.measurements:
        if m.groups and group_key(m) not in shown:
            shown.add(group_key(m))
            lines += [t("text.per_group", attribute=f"**{m.attribute or t('text.overall')}**", metric=m.metric) + ":", "",
                      *_group_table(m, t), ""]
    return lines


def render_markdown(result: AuditResult, lang: str = DEFAULT) -> str:
    t = Words(lang)
    ev = result.evidence
    s = ev.subject
    data = t.data_line(s, quote="`")
    signer = t("field.not_signed")
    if result.signature is not None:
        signer = t("field.key_fingerprint", fingerprint=f"`{result.signature.fingerprint}`")
    lines = [
        f"# {t('title.report')}",
        "",
        f"**{t('field.outcome')}{t('sep.colon')}{t.outcome(ev.outcome)}**",
        "",
        f"- {t('field.model')}{t('sep.colon')}{model_name(t, s)}" + (f" {t('text.predictions_only')}" if s.predictions_only else ""),
        f"- {t('field.data')}{t('sep.colon')}{data}",
        f"- {t('field.sensitive')}{t('sep.colon')}{', '.join(f'`{a}`' for a in s.sensitive) or t('field.none')}",
        f"- {t('field.profiles')}{t('sep.colon')}{', '.join(f'{t.profile_title(p)} ({p.id} {p.version})' for p in ev.profiles)}",
        f"- {t('field.run')}{t('sep.colon')}" + t("text.run_line", date=result.run.started_at, seed=ev.manifest.seed, version=ev.manifest.tool_version),
        f"- {t('field.evidence_hash')}{t('sep.colon')}`{evidence_sha256(ev)}`",
        f"- {t('field.signer')}{t('sep.colon')}{signer}",
        *([f"- {t('field.rejudged')}{t('sep.colon')}{t.rejudged(ev.rejudged_from)}"] if ev.rejudged_from else []),
        "",
    ]
    for profile in ev.profiles:
        requirements = [r for r in ev.requirements if r.profile == profile.id]
        counts = ", ".join(f"{n} {t.verdict(v)}" for v, n in profile.verdicts.items() if n)
        lines += [f"## {_cell(t.profile_title(profile))}", "", f"{t('field.source')}{t('sep.colon')}{t.profile_source(profile)}. {t('field.verdicts')}{t('sep.colon')}{counts}."]
        if profile.clauses:
            clause_counts: dict[str, int] = {}
            for c in profile.clauses:
                clause_counts[c.status] = clause_counts.get(c.status, 0) + 1
            lines.append(f"{t('field.clauses')}{t('sep.colon')}" + ", ".join(f"{n} {t('clause_status.' + k)}" for k, n in clause_counts.items()) + ".")
        lines += ["", *_requirement_rows(requirements, t), ""]
    lines += conformity_markdown(result, t)
    lines += shared_markdown(result, t)
    findings = by_seriousness(r for r in ev.requirements if r.verdict in FINDINGS)
    if findings:
        lines += [f"## {t('title.findings')}", ""]
        for r in findings:
            lines.append(f"- **{t.verdict(r.verdict)}** {r.profile} / {r.clause} — {t.requirement_title(r)}{t('sep.colon')}{t.reason(r)}")
            if r.remediation:
                lines.append(f"  - {t('text.to_fix')}{t('sep.colon')}{t.remediation(r)}")
        lines.append("")
    origins = sorted({r.threshold.origin for r in ev.requirements if r.threshold})
    if origins:
        lines += [t("text.threshold_origins") + ": " + "; ".join(f"*{o}*: {t.origin(o)}" for o in origins) + ".", ""]
    checklist = [r for r in ev.requirements if r.kind == "checklist"]
    if checklist:
        lines += [f"## {t('title.checklist')}", "",
                  f"| {t('column.question')} | {t('column.answer')} | {t('text.justification')} | {t('text.evidence_files')} |",
                  "|---|---|---|---|"]
        for r in checklist:
            a = r.answer
            files = ", ".join(f"`{e.ref}`" + (f" ({e.sha256[:12]}…)" if e.sha256 else "") for e in a.evidence) if a else ""
            lines.append(
                f"| {_cell(t.question_text(r))} | "
                f"{t('answer.' + a.answer) if a else t('text.unanswered')} | {_cell(a.justification or '') if a else ''} | {_cell(files)} |"
            )
        lines.append("")
    if ev.overrides or ev.waivers:
        lines += [f"## {t('title.customisations')}", ""]
        for o in ev.overrides:
            lines.append(f"- {t('title.overrides')}{t('sep.colon')}{o.profile}/{o.requirement} `{o.field}`: {o.old} → {o.new} ({o.source})"
                         + (f" — {o.justification}" if o.justification else ""))
        for w in ev.waivers:
            lines.append(f"- {t('title.waivers')}{t('sep.colon')}{w.profile}/{w.requirement} ({w.clause}): {w.justification}"
                         + (f" — {t('text.approved_by', who=w.approved_by)}" if w.approved_by else ""))
        lines.append("")
    lines += markdown_section(result, t)
    lines += [f"## {t('title.measurements')}", ""]
    for outcome in ev.checks:
        lines += _check_section(outcome, t)
    lines += [f"## {t('title.manifest')}", "",
              f"| {t('column.input')} | {t('column.path')} | {t('column.sha256')} | {t('column.bytes')} |", "|---|---|---|---:|"]
    for item in ev.manifest.inputs:
        lines.append(f"| {item.role} | `{item.path}` | `{item.sha256}` | {item.bytes} |")
    lines += ["", f"{t('field.command')}{t('sep.colon')}`" + " ".join(ev.manifest.command) + "`", ""]
    lines.append(f"{t('field.packages')}{t('sep.colon')}" + ", ".join(f"{k} {v}" for k, v in sorted(ev.manifest.packages.items())))
    return "\n".join(lines) + "\n"
