"""The Markdown report: for pull-request comments and for reading in a repository."""

from __future__ import annotations

from conformance.report.words import OUTCOME_WORDS, ORIGIN_WORDS, VERDICT_WORDS, fmt, threshold_text
from conformance.result import AuditResult, CheckOutcome, Measurement, RequirementResult


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _observed(requirement: RequirementResult) -> str:
    parts = []
    for obs in requirement.observations:
        text = fmt(obs.value)
        if obs.ci is not None and obs.ci.low is not None:
            text += f" [{fmt(obs.ci.low)}, {fmt(obs.ci.high)}]"
        parts.append(f"{obs.attribute}: {text}" if obs.attribute else text)
    return "; ".join(parts) or "—"


def _requirement_rows(requirements: list[RequirementResult]) -> list[str]:
    rows = [
        "| requirement | clause | severity | verdict | metric | observed [CI] | threshold (origin) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in requirements:
        threshold = "—"
        if r.threshold is not None:
            threshold = f"{threshold_text(r.threshold.min, r.threshold.max)} ({r.threshold.origin})"
        rows.append(
            f"| {_cell(r.title)} | {_cell(r.clause)} | {r.severity} | **{VERDICT_WORDS[r.verdict]}** | "
            f"{r.metric} | {_cell(_observed(r))} | {threshold} |"
        )
    return rows


def _group_table(measurement: Measurement) -> list[str]:
    rows = ["| group | n | value | CI |", "|---|---:|---:|---|"]
    for g in measurement.groups:
        ci = f"[{fmt(g.ci.low)}, {fmt(g.ci.high)}]" if g.ci and g.ci.low is not None else "—"
        rows.append(f"| {_cell(g.group)} | {g.n} | {fmt(g.value)} | {ci} |")
    return rows


def _check_section(outcome: CheckOutcome) -> list[str]:
    lines = [f"### {outcome.title} (`{outcome.key}`)", ""]
    if outcome.status != "ok":
        return [*lines, f"{outcome.status.replace('_', ' ')}: {outcome.reason}", ""]
    lines += ["| metric | attribute | value | CI | note |", "|---|---|---:|---|---|"]
    for m in outcome.measurements:
        ci = f"[{fmt(m.ci.low)}, {fmt(m.ci.high)}] ({m.ci.level:.0%})" if m.ci and m.ci.low is not None else "—"
        note = "; ".join(x for x in (m.driver, m.note, *m.excluded_groups) if x)
        lines.append(f"| {m.metric} | {m.attribute or '—'} | {fmt(m.value)} | {ci} | {_cell(note)} |")
    lines.append("")
    shown: set[str] = set()
    for m in outcome.measurements:
        label = f"{m.attribute}:{m.groups and m.groups[0].group}:{[g.value for g in m.groups]}"
        if m.groups and label not in shown:
            shown.add(label)
            lines += [f"Per-group values for **{m.attribute}** ({m.metric}):", "", *_group_table(m), ""]
    return lines


def render_markdown(result: AuditResult) -> str:
    ev = result.evidence
    s = ev.subject
    lines = [
        "# Conformance report",
        "",
        f"**Outcome: {OUTCOME_WORDS[ev.outcome]}**",
        "",
        f"- Model: {s.model}" + (" (predictions supplied in the data)" if s.predictions_only else ""),
        f"- Data: {s.rows} rows; target `{s.target}`"
        + (f", positive label `{s.positive_label}`" if s.positive_label is not None else "")
        + f"; task: {s.task}",
        f"- Sensitive attributes: {', '.join(f'`{a}`' for a in s.sensitive) or 'none'}",
        f"- Profiles: {', '.join(f'{p.title} ({p.id} {p.version})' for p in ev.profiles)}",
        f"- Run: {result.run.started_at}, seed {ev.manifest.seed}, conformance {ev.manifest.tool_version}",
        "",
    ]
    for profile in ev.profiles:
        requirements = [r for r in ev.requirements if r.profile == profile.id]
        counts = ", ".join(f"{n} {VERDICT_WORDS[v]}" for v, n in profile.verdicts.items() if n)
        lines += [f"## {profile.title}", "", f"Source: {profile.source}. Verdicts: {counts}.", ""]
        lines += _requirement_rows(requirements)
        lines.append("")
    findings = [r for r in ev.requirements if r.verdict in ("fail", "error", "inconclusive")]
    if findings:
        lines += ["## What to look at", ""]
        for r in findings:
            lines.append(f"- **{VERDICT_WORDS[r.verdict]}** {r.profile} / {r.clause} — {r.title}: {r.reason}")
            if r.remediation:
                lines.append(f"  - To fix: {r.remediation}")
        lines.append("")
    origins = sorted({r.threshold.origin for r in ev.requirements if r.threshold})
    if origins:
        lines += ["Threshold origins: " + "; ".join(f"*{o}*: {ORIGIN_WORDS[o]}" for o in origins) + ".", ""]
    lines += ["## Measurements", ""]
    for outcome in ev.checks:
        lines += _check_section(outcome)
    lines += ["## Manifest", "", "| input | path | SHA-256 | bytes |", "|---|---|---|---:|"]
    for item in ev.manifest.inputs:
        lines.append(f"| {item.role} | `{item.path}` | `{item.sha256}` | {item.bytes} |")
    lines += ["", "Command: `" + " ".join(ev.manifest.command) + "`", ""]
    lines.append("Packages: " + ", ".join(f"{k} {v}" for k, v in sorted(ev.manifest.packages.items())))
    return "\n".join(lines) + "\n"
