"""The terminal summary: a verdict per requirement, what to look at, the overall outcome."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from conformance.report.generative import head as generative_head
from conformance.report.generative import notes as generative_notes
from conformance.report.i18n import DEFAULT, Words
from conformance.report.words import FINDINGS, ci_text, fmt
from conformance.result import AuditResult, RequirementResult

STYLES = {
    "pass": "green",
    "fail": "bold red",
    "error": "bold magenta",
    "inconclusive": "yellow",
    "pending": "cyan",
    "not_applicable": "dim",
}
OUTCOME_STYLES = {
    "conformant": "bold green",
    "conformant_with_observations": "bold yellow",
    "non_conformant": "bold red",
    "incomplete": "bold cyan",
}


def _observed(r: RequirementResult, t: Words) -> str:
    if r.kind == "checklist":
        return t(f"answer.{r.answer.answer}") if r.answer else t("text.unanswered")
    worst = [o for o in r.observations if o.verdict == r.verdict] or r.observations
    if not worst:
        return f"{r.metric}: —" if r.metric else "—"
    o = worst[0]
    text = fmt(o.value)
    if o.ci is not None and o.ci.low is not None:
        text += " " + ci_text(o.ci.low, o.ci.high)
    text = f"{text} ({o.attribute})" if o.attribute else text
    return f"{r.metric}: {text}" if r.metric else text


def render_terminal(result: AuditResult, console: Console, written: list[str] | None = None, lang: str = DEFAULT) -> None:
    t = Words(lang)
    ev = result.evidence
    s = ev.subject
    if ev.generative is not None:
        head = Text.assemble((t("text.audited"), "bold"), " " + generative_head(ev.generative, t))
        for note in generative_notes(ev.generative, t):
            head.append("\n" + note, style="dim")
    else:
        head = Text.assemble((t("text.audited"), "bold"), f" {s.model} {t('text.on_rows', rows=s.rows)} · {t('text.target')} ",
                             (s.target, "bold"))
    if s.positive_label is not None:
        head.append(f" ({t('text.positive', label=s.positive_label)})")
    if s.sensitive:
        head.append(" · " + t("text.sensitive_list", names=", ".join(s.sensitive)))
    console.print(head)
    for profile in ev.profiles:
        table = Table(title=escape(f"{t.profile_title(profile)} · {profile.id} {profile.version}"), title_justify="left", expand=False)
        table.add_column(t("column.clause"), overflow="fold", max_width=22)
        table.add_column(t("column.requirement"), overflow="fold")
        table.add_column(t("column.verdict"))
        table.add_column(t("column.observed"), overflow="fold")
        table.add_column(t("column.threshold"), no_wrap=True)
        for r in (r for r in ev.requirements if r.profile == profile.id):
            threshold = t.threshold(r.threshold.min, r.threshold.max) if r.threshold else "—"
            if r.threshold is not None and r.threshold.origin == "tool-default":
                threshold += "*"
            table.add_row(
                Text(r.clause), Text(f"{r.id} ({t.severity(r.severity)})"),
                Text(t.verdict(r.verdict), style=STYLES[r.verdict]),
                Text(_observed(r, t)), Text(threshold),
            )
        console.print(table)
    if any(r.threshold and r.threshold.origin == "tool-default" for r in ev.requirements):
        console.print(Text(t("text.tool_default_note"), style="dim"))
    findings = [r for r in ev.requirements if r.verdict in FINDINGS]
    if findings:
        console.print(Text("\n" + t("title.findings"), style="bold"))
        for r in findings:
            console.print(
                Text.assemble((f"{t.verdict(r.verdict)} ", STYLES[r.verdict]), f"{r.clause} {t.requirement_title(r)}: ", r.reason)
            )
            if r.remediation:
                console.print(Text.assemble(("  " + t("text.fix"), "dim"), f" {r.remediation}"))
    console.print(Text.assemble("\n" + t("field.outcome") + ": ", (t.outcome(ev.outcome), OUTCOME_STYLES[ev.outcome])))
    for path in written or []:
        console.print(Text(t("text.wrote", path=path), style="dim"))
