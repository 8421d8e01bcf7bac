"""Re-judge recorded evidence under other profiles (or other thresholds) without the model or data.

The plan of the new profiles names the (check, parameters) pairs it needs. Each one the recorded
evidence measured is judged by the shared evaluator (``assess``); one it did not measure, or
measured with other parameters, is ``pending`` with a reason that names it: never a pass.
Checklist items reuse the applicant's recorded answers to the same questions.
"""

from __future__ import annotations

from collections import Counter

from conformance.profiles.assess import assess
from conformance.profiles.checklist import AnswerEntry, Answers
from conformance.profiles.crosswalk import clause_summary
from conformance.profiles.judge import SEVERITY_OF_VERDICT
from conformance.profiles.plan import Plan
from conformance.result import CheckOutcome, ProfileSummary, RequirementResult

NOT_MEASURED = "not measured in the evidence: the check {key} was not run with these parameters"


def recorded_answers(requirements: list[RequirementResult]) -> Answers:
    """The applicant's answers as recorded in a report's checklist results, by question id."""
    from pathlib import Path

    entries: dict[str, AnswerEntry] = {}
    for result in requirements:
        if result.kind == "checklist" and result.question and result.answer is not None:
            a = result.answer
            entries[result.question] = AnswerEntry(answer=a.answer, justification=a.justification,
                                                   evidence=[e.ref for e in a.evidence], answered_by=a.answered_by,
                                                   answered_at=a.answered_at)
    return Answers(path=Path("recorded"), entries=entries, files={})


def rejudge(
    plan: Plan,
    checks: list[CheckOutcome],
    requirements: list[RequirementResult],
    declared: dict[str, float] | None = None,
) -> tuple[list[RequirementResult], list[ProfileSummary]]:
    """The plan's requirements judged from recorded check outcomes and answers."""
    measured = {c.key: c for c in checks}
    outcomes = {key: measured.get(key) or CheckOutcome(key=key, check=task.check.id, title=task.check.title,
                                                       params=task.params.model_dump(mode="json"), status="error",
                                                       reason="not measured")
                for key, task in plan.tasks.items()}
    hashes = {e.ref: e.sha256 for r in requirements if r.answer for e in r.answer.evidence if e.sha256}
    judged, summaries = assess(plan, outcomes, recorded_answers(requirements), hashes, declared)
    results = [
        r.model_copy(update={"verdict": "pending", "reason": NOT_MEASURED.format(key=r.check_key), "observations": []})
        if r.kind == "automated" and r.check_key not in measured else r
        for r in judged
    ]
    fixed = []
    for summary in summaries:
        mine = [r for r in results if r.profile == summary.id]
        counts = Counter(r.verdict for r in mine)
        fixed.append(summary.model_copy(update={"verdicts": {v: counts.get(v, 0) for v in SEVERITY_OF_VERDICT},
                                                 "clauses": clause_summary(mine)}))
    return results, fixed
