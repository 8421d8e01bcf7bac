"""Two views built from the result model alone: the clause-by-clause conformity table a profile asks
for (TC260-003 §9.1: each clause 符合 / 不符合 / 不适用 with its evidence and the applicant's
justification), and one measurement judged under every framework that cites it ("test once,
comply many"). Renderers format the rows; the words come from the locale catalogues.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.locale import Words
from conformance.report.words import ci_text, fmt
from conformance.result import AuditResult, ProfileSummary, RequirementResult

# a clause's outcome in the conformity vocabulary; "open" (evidence missing or inconclusive) is not
# called 符合 or 不符合: it reads "not yet determined"
CONFORMITY_OF_OUTCOME = {"satisfied": "meets", "failed": "does_not_meet", "not_applicable": "not_applicable", "open": "undetermined"}


@dataclass
class ClauseRow:
    """One clause of a profile: its conformity, the evidence, and the applicant's justifications."""

    clause: str
    conformity: str  # meets | does_not_meet | not_applicable | undetermined
    evidence: list[str] = field(default_factory=list)
    justification: list[str] = field(default_factory=list)


def _evidence(r: RequirementResult, t: Words) -> str:
    title = t.requirement_title(r)
    if r.kind == "checklist":
        answer = t(f"answer.{r.answer.answer}") if r.answer else t("text.unanswered")
        files = ", ".join(e.ref for e in r.answer.evidence) if r.answer else ""
        return f"{title}: {answer}" + (f" ({files})" if files else "")
    return f"{title} [{t.verdict(r.verdict)}]: {t.reason(r)}"


def conformity_rows(result: AuditResult, profile: ProfileSummary, t: Words) -> list[ClauseRow]:
    """Every clause of the profile in its order, then each clause whose requirements were all
    waived (not applicable, with the waiver's justification as the applicant's)."""
    ev = result.evidence
    by_id = {r.id: r for r in ev.requirements if r.profile == profile.id}
    rows = []
    for status in profile.clauses:
        served = [by_id[i] for i in status.requirements if i in by_id]
        row = ClauseRow(clause=status.clause, conformity=CONFORMITY_OF_OUTCOME[status.status],
                        evidence=[_evidence(r, t) for r in served])
        row.justification = [r.answer.justification for r in served if r.answer and r.answer.justification]
        if row.conformity == "not_applicable" and not row.justification:
            # 不适用 needs the applicant's reason (§9.1); a check that could not apply for want of
            # its input (no corpus sample, no keyword library) leaves the clause undetermined
            row.conformity = "undetermined"
        rows.append(row)
    seen = {row.clause: row for row in rows}
    for waiver in (w for w in ev.waivers if w.profile == profile.id):
        text = t("clause_view.equivalent_measure", justification=waiver.justification)
        if waiver.clause in seen:
            seen[waiver.clause].justification.append(text)
        else:
            row = ClauseRow(clause=waiver.clause, conformity="not_applicable",
                            evidence=[t("clause_view.waived_requirement", title=waiver.title)], justification=[text])
            seen[waiver.clause] = row
            rows.append(row)
    return rows


@dataclass
class Judgement:
    """One framework's verdict on a shared measurement."""

    profile: str
    clause: str
    requirement: str
    threshold: str
    origin: str | None
    verdict: str
    grade: str | None


@dataclass
class SharedMeasurement:
    """A measured value cited by requirements of two or more profiles."""

    check_key: str
    metric: str
    value: str
    judgements: list[Judgement]


def shared_measurements(result: AuditResult, t: Words) -> list[SharedMeasurement]:
    """Each (check, parameters, metric) that requirements of several profiles judge, with every verdict."""
    ev = result.evidence
    values: dict[tuple[str, str], list[str]] = {}
    for outcome in ev.checks:
        for m in outcome.measurements:
            text = fmt(m.value)
            if m.ci is not None and m.ci.low is not None:
                text += " " + ci_text(m.ci.low, m.ci.high)
            if m.n is not None:
                text += f" (n = {m.n})"
            values.setdefault((outcome.key, m.metric), []).append(f"{m.attribute}: {text}" if m.attribute else text)
    cited: dict[tuple[str, str], list[RequirementResult]] = {}
    for r in ev.requirements:
        if r.kind == "automated" and r.check_key and r.metric:
            cited.setdefault((r.check_key, r.metric), []).append(r)
    shared = []
    for (key, metric), rs in cited.items():
        if len({r.profile for r in rs}) < 2:
            continue
        judgements = []
        for r in rs:
            threshold = t.threshold(r.threshold.min, r.threshold.max) if r.threshold else "—"
            if r.threshold is not None and r.threshold.min is None and r.threshold.max is None:
                threshold = t("clause_view.declared_level_missing")
            judgements.append(Judgement(profile=r.profile, clause=r.clause, requirement=r.id, threshold=threshold,
                                        origin=r.threshold.origin if r.threshold else None, verdict=r.verdict, grade=r.grade))
        shared.append(SharedMeasurement(check_key=key, metric=metric, value="; ".join(values.get((key, metric), ["—"])), judgements=judgements))
    return shared


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def conformity_markdown(result: AuditResult, t: Words) -> list[str]:
    """The clause-by-clause tables of the profiles that ask for them (empty when none does)."""
    lines: list[str] = []
    for profile in result.evidence.profiles:
        if profile.clause_vocabulary != "conformity":
            continue
        lines += [f"## {t('clause_view.title_conformity', profile=_cell(t.profile_title(profile)))}", "", t("clause_view.conformity_intro"), "",
                  f"| {t('column.clause')} | {t('clause_view.column_conformity')} | {t('clause_view.column_evidence')} | {t('text.justification')} |",
                  "|---|---|---|---|"]
        for row in conformity_rows(result, profile, t):
            lines.append(f"| {_cell(row.clause)} | **{t('conformity.' + row.conformity)}** | "
                         f"{'<br>'.join(_cell(e) for e in row.evidence) or '—'} | {'<br>'.join(_cell(j) for j in row.justification) or '—'} |")
        lines.append("")
    return lines


def shared_markdown(result: AuditResult, t: Words) -> list[str]:
    """One measurement, several frameworks (empty when no measurement is shared)."""
    shared = shared_measurements(result, t)
    if not shared:
        return []
    lines = [f"## {t('clause_view.title_shared')}", "", t("clause_view.shared_intro"), ""]
    for s in shared:
        lines += [f"**`{s.check_key}` · {s.metric} = {s.value}**", "",
                  f"| {t('column.profile')} | {t('column.clause')} | {t('column.threshold')} | {t('column.verdict')} | {t('clause_view.column_grade')} |",
                  "|---|---|---|---|---|"]
        for j in s.judgements:
            origin = f" ({t.origin(j.origin)})" if j.origin else ""
            lines.append(f"| {j.profile} | {_cell(j.clause)} | {_cell(j.threshold + origin)} | **{t.verdict(j.verdict)}** | {j.grade or '—'} |")
        lines.append("")
    return lines
