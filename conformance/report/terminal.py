"""The terminal summary, outcome first: what was decided, what decided it, what to do next.

Order: the outcome with verdict counts per profile; the requirements that decide it (failures
before inconclusive, critical before major before minor); each distinct remediation once; the
next steps (pending questions, declared levels, where the reports are); the full table only with
``verbose``. On a terminal it is styled; piped (a CI log) it is plain lines, one requirement per
line, never wrapped, so no id or number is ever broken.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from conformance.report.generative import head as generative_head
from conformance.report.generative import model_name
from conformance.report.generative import notes as generative_notes
from conformance.locale import DEFAULT, Words
from conformance.report.words import FINDINGS, VERDICT_ORDER, by_seriousness, ci_text, fmt, observed
from conformance.result import AuditResult, Gate, RequirementResult

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
    text = observed(o.value, o.ci is not None and o.ci.low is not None)
    if o.ci is not None and o.ci.low is not None:
        text += " " + ci_text(o.ci.low, o.ci.high)
    text = f"{text} ({o.attribute})" if o.attribute else text
    return f"{r.metric}: {text}" if r.metric else text


def _threshold(r: RequirementResult, t: Words) -> str:
    if r.threshold is None:
        return "—"
    text = t.threshold(r.threshold.min, r.threshold.max)
    return text + "*" if r.threshold.origin == "tool-default" else text


def deciding(result: AuditResult) -> list[RequirementResult]:
    """The requirements that decide the outcome, most serious first."""
    return by_seriousness(r for r in result.evidence.requirements if r.verdict in FINDINGS)


class _Out:
    """Lines to a console: styled on a terminal, plain (never wrapped) when piped."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.styled = console.is_terminal

    def line(self, *parts: str | tuple[str, str]) -> None:
        text = Text.assemble(*parts) if self.styled else Text("".join(p if isinstance(p, str) else p[0] for p in parts))
        self.console.print(text, soft_wrap=not self.styled, highlight=False, overflow="fold" if self.styled else "ignore",
                           crop=self.styled)


def render_terminal(result: AuditResult, console: Console, written: list[str] | None = None, lang: str = DEFAULT,
                    verbose: bool = False) -> None:
    t = Words(lang)
    out = _Out(console)
    ev = result.evidence
    s = ev.subject
    if ev.generative is not None:
        out.line((t("text.audited"), "bold"), " " + generative_head(ev.generative, t))
        for note in generative_notes(ev.generative, t):
            out.line((note, "dim"))
    else:
        head = [(t("text.audited"), "bold"), f" {s.system or model_name(t, s)} {t('text.on_rows', rows=s.rows)} · {t('text.target')} ",
                (s.target, "bold")]
        if s.positive_label is not None:
            head.append(f" ({t('text.positive', label=s.positive_label)})")
        if s.sensitive:
            head.append(" · " + t("text.sensitive_list", names=", ".join(s.sensitive)))
        out.line(*head)

    out.line("")
    out.line((t("field.outcome") + t("sep.colon"), "bold"), (t.outcome(ev.outcome), OUTCOME_STYLES[ev.outcome]))
    for profile in ev.profiles:
        counts = [(f"{t.verdict(v)} {int(profile.verdicts[v])}", STYLES[v]) for v in VERDICT_ORDER if profile.verdicts.get(v)]
        parts: list[str | tuple[str, str]] = [f"  {profile.id} {profile.version}{t('sep.colon')}"]
        for index, count in enumerate(counts):
            parts += ([" · "] if index else []) + [count]
        out.line(*parts)

    decisive = deciding(result)
    if decisive:
        out.line("")
        out.line((t("title.deciding"), "bold"))
        notes = {(m.check, m.metric): t.note(m) for c in result.evidence.checks for m in c.measurements if m.note}
        for r in decisive:
            note = notes.get((r.check, r.metric)) if (r.check or "").startswith("documentation.") else None
            out.line(("  " + t.verdict(r.verdict), STYLES[r.verdict]),
                     f" [{t.severity(r.severity)}] {r.profile}/{r.id} ({r.clause}) {t.requirement_title(r)}{t('sep.colon')}"
                     f"{_observed(r, t)}; {t('column.threshold')} {_threshold(r, t)}" + (f" ({note})" if note else ""))
        fixes: dict[str, list[str]] = {}
        for r in decisive:
            if r.remediation:
                fixes.setdefault(t.remediation(r), []).append(r.id)
        if fixes:
            out.line("")
            out.line((t("title.to_fix"), "bold"))
            for text, ids in fixes.items():
                out.line(f"  {', '.join(dict.fromkeys(ids))}{t('sep.colon')}", (text, "dim"))
    if any(r.threshold and r.threshold.origin == "tool-default" for r in decisive):
        out.line((t("text.tool_default_note"), "dim"))

    out.line("")
    out.line((t("title.next_steps"), "bold"))
    pending = [r for r in ev.requirements if r.verdict == "pending"]
    if pending:
        profiles = " ".join(f"--profile {p.id}" for p in ev.profiles)
        out.line("  " + t("text.next_checklist", count=len({r.question or r.id for r in pending}),
                          command=f"conformance checklist init {profiles} --output answers.yaml"))
    if not s.declared and not s.predictions_only:
        out.line("  " + t("text.next_declare"))
    if written:
        out.line("  " + t("text.next_reports", paths=", ".join(written)))
    if not verbose:
        out.line(("  " + t("text.next_verbose"), "dim"))

    if verbose:
        out.line("")
        _full_table(result, console, out, t)


def print_gate(gate: Gate, console: Console, lang: str = DEFAULT) -> None:
    """The last line of ``run``: why the exit code is what it is."""
    out = _Out(console)
    out.line("")
    out.line(*gate_line(gate, Words(lang)))


def _full_table(result: AuditResult, console: Console, out: _Out, t: Words) -> None:
    ev = result.evidence
    for profile in ev.profiles:
        rows = [r for r in ev.requirements if r.profile == profile.id]
        if not out.styled:
            out.line(f"{t.profile_title(profile)} · {profile.id} {profile.version}")
            for r in rows:
                out.line(f"  {t.verdict(r.verdict)} [{t.severity(r.severity)}] {r.id} ({r.clause}): {_observed(r, t)}; "
                         f"{t('column.threshold')} {_threshold(r, t)}")
            continue
        table = Table(title=escape(f"{t.profile_title(profile)} · {profile.id} {profile.version}"), title_justify="left", expand=False)
        table.add_column(t("column.clause"), overflow="fold", max_width=22)
        table.add_column(t("column.requirement"), overflow="fold")
        table.add_column(t("column.verdict"))
        table.add_column(t("column.observed"), overflow="fold")
        table.add_column(t("column.threshold"), no_wrap=True)
        for r in rows:
            table.add_row(Text(r.clause), Text(f"{r.id} ({t.severity(r.severity)})"),
                          Text(t.verdict(r.verdict), style=STYLES[r.verdict]), Text(_observed(r, t)), Text(_threshold(r, t)))
        console.print(table)


def gate_line(gate: Gate, t: Words) -> list[str | tuple[str, str]]:
    """One line saying why the exit code is what it is."""
    style = "bold red" if gate.code else "bold green"
    names = ", ".join(f"{f.profile}/{f.requirement} ({t.verdict(f.verdict)}, {t.severity(f.severity)})" for f in gate.failed)
    if gate.fail_on == "regression":
        text = t("gate.regression_fail", names=names) if gate.code else t("gate.regression_pass")
    elif gate.code:
        text = t("gate.fail", count=len(gate.failed), fail_on=t.severity(gate.fail_on), names=names)
    else:
        text = t("gate.pass", fail_on=t.severity(gate.fail_on))
    return [(t("gate.exit", code=gate.code), style), text]
