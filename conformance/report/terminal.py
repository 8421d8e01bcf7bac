"""The terminal summary: a verdict per requirement, what to look at, the overall outcome."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from conformance.report.words import OUTCOME_WORDS, VERDICT_WORDS, fmt, threshold_text
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


def _observed(r: RequirementResult) -> str:
    worst = [o for o in r.observations if o.verdict == r.verdict] or r.observations
    if not worst:
        return "—"
    o = worst[0]
    text = fmt(o.value)
    if o.ci is not None and o.ci.low is not None:
        text += f" [{fmt(o.ci.low)}, {fmt(o.ci.high)}]"
    return f"{text} ({o.attribute})" if o.attribute else text


def render_terminal(result: AuditResult, console: Console, written: list[str] | None = None) -> None:
    ev = result.evidence
    s = ev.subject
    console.print(
        f"[bold]Audited[/] {s.model} on {s.rows} rows · target [bold]{s.target}[/]"
        + (f" (positive: {s.positive_label})" if s.positive_label is not None else "")
        + (f" · sensitive: {', '.join(s.sensitive)}" if s.sensitive else "")
    )
    for profile in ev.profiles:
        table = Table(title=f"{profile.title} · {profile.id} {profile.version}", title_justify="left", expand=False)
        table.add_column("Clause", overflow="fold", max_width=22)
        table.add_column("Requirement", overflow="fold")
        table.add_column("Verdict")
        table.add_column("Observed [CI]", overflow="fold")
        table.add_column("Threshold", no_wrap=True)
        for r in (r for r in ev.requirements if r.profile == profile.id):
            threshold = threshold_text(r.threshold.min, r.threshold.max) if r.threshold else "—"
            if r.threshold is not None and r.threshold.origin == "tool-default":
                threshold += "*"
            table.add_row(
                r.clause, f"{r.id} ({r.severity})",
                Text(VERDICT_WORDS[r.verdict], style=STYLES[r.verdict]),
                f"{r.metric}: {_observed(r)}", threshold,
            )
        console.print(table)
    if any(r.threshold and r.threshold.origin == "tool-default" for r in ev.requirements):
        console.print("[dim]* tool default: the source sets no number; override it in your profile.[/]")
    findings = [r for r in ev.requirements if r.verdict in ("fail", "error", "inconclusive")]
    if findings:
        console.print("\n[bold]What to look at[/]")
        for r in findings:
            console.print(
                Text.assemble((f"{VERDICT_WORDS[r.verdict]} ", STYLES[r.verdict]), f"{r.clause} {r.title}: ", r.reason)
            )
            if r.remediation:
                console.print(f"  [dim]fix:[/] {r.remediation}")
    console.print(Text.assemble("\nOutcome: ", (OUTCOME_WORDS[ev.outcome], OUTCOME_STYLES[ev.outcome])))
    for path in written or []:
        console.print(f"[dim]wrote {path}[/]")
