"""The crosswalk between frameworks, derived from the plan (never a table kept by hand), and the
per-clause summary of a run.

A row of the crosswalk is one piece of evidence: a check computed once (its task key) or a
process question answered once; its cells are the clauses of each framework that evidence serves.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict

from conformance.profiles.plan import Plan
from conformance.profiles.schema import ChecklistItem
from conformance.result import ClauseOutcome, ClauseStatus, RequirementResult

CrosswalkFormat = Literal["table", "md", "csv", "json"]
FORMATS: tuple[str, ...] = ("table", "md", "csv", "json")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(_Frozen):
    """One requirement of one profile that a piece of evidence serves."""

    profile: str
    requirement: str
    clause: str
    metric: str | None = None


class CrosswalkRow(_Frozen):
    """One piece of evidence and every clause it serves."""

    evidence: str  # task key, or question:ID
    kind: Literal["automated", "checklist"]
    title: str
    serves: list[Citation]

    def clauses_of(self, profile: str) -> list[str]:
        return list(dict.fromkeys(c.clause for c in self.serves if c.profile == profile))


class Crosswalk(_Frozen):
    profiles: list[str]
    rows: list[CrosswalkRow]


def build_crosswalk(plan: Plan) -> Crosswalk:
    """Group every requirement of the plan by the evidence that serves it (checks first)."""
    rows: dict[str, dict] = {}
    for loaded in plan.profiles:
        for requirement in loaded.requirements:
            key = plan.evidence_of(loaded, requirement)
            if isinstance(requirement, ChecklistItem):
                title, kind, metric = plan.questions[requirement.question].text, "checklist", None
            else:
                title, kind, metric = plan.tasks[key].check.title, "automated", requirement.metric
            row = rows.setdefault(key, {"evidence": key, "kind": kind, "title": title, "serves": []})
            row["serves"].append(Citation(profile=loaded.profile.id, requirement=requirement.id,
                                          clause=requirement.clause, metric=metric))
    ordered = sorted(rows.values(), key=lambda r: (r["kind"] != "automated", r["evidence"]))
    return Crosswalk(profiles=[p.profile.id for p in plan.profiles], rows=[CrosswalkRow(**r) for r in ordered])


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def crosswalk_markdown(crosswalk: Crosswalk) -> str:
    head = ["evidence", "kind", *crosswalk.profiles]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in crosswalk.rows:
        cells = [f"`{row.evidence}`", row.kind]
        cells += [_md_cell("<br>".join(row.clauses_of(p))) or "—" for p in crosswalk.profiles]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def crosswalk_csv(crosswalk: Crosswalk) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["evidence", "kind", "title", "profile", "requirement", "clause", "metric"])
    for row in crosswalk.rows:
        for c in row.serves:
            writer.writerow([row.evidence, row.kind, row.title, c.profile, c.requirement, c.clause, c.metric or ""])
    return buffer.getvalue()


def crosswalk_json(crosswalk: Crosswalk) -> str:
    return json.dumps(crosswalk.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"md": crosswalk_markdown, "csv": crosswalk_csv, "json": crosswalk_json}


def clause_outcome(verdicts: list[str]) -> ClauseOutcome:
    """Failed if any requirement failed; open while any is pending, inconclusive or in error;
    not applicable if none applies; satisfied otherwise."""
    if "fail" in verdicts:
        return "failed"
    if any(v in ("pending", "inconclusive", "error") for v in verdicts):
        return "open"
    if all(v == "not_applicable" for v in verdicts):
        return "not_applicable"
    return "satisfied"


def clause_summary(results: list[RequirementResult]) -> list[ClauseStatus]:
    """Per clause (as cited, in the profile's order): which requirements served it and the outcome."""
    by_clause: dict[str, list[RequirementResult]] = {}
    for result in results:
        by_clause.setdefault(result.clause, []).append(result)
    return [
        ClauseStatus(clause=clause, status=clause_outcome([r.verdict for r in rs]),
                     requirements=[r.id for r in rs], verdicts=[r.verdict for r in rs])
        for clause, rs in by_clause.items()
    ]
