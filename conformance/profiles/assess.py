"""Judge a whole plan: automated requirements from the checks' outcomes, checklist items from
the applicant's answers, and a per-profile summary with the outcome of every clause cited."""

from __future__ import annotations

from collections import Counter

from conformance.checks import REGISTRY
from conformance.profiles.checklist import Answers, judge_item
from conformance.profiles.crosswalk import clause_summary
from conformance.profiles.judge import SEVERITY_OF_VERDICT, binding, judge, overall_outcome
from conformance.profiles.plan import Plan
from conformance.profiles.schema import ChecklistItem
from conformance.result import CheckOutcome, OverrideRecord, ProfileSummary, RequirementResult, WaiverRecord


def assess(
    plan: Plan,
    outcomes: dict[str, CheckOutcome],
    answers: Answers | None = None,
    hashes: dict[str, str] | None = None,
    declared: dict[str, float] | None = None,
    adopt_defaults: bool = False,
) -> tuple[list[RequirementResult], list[ProfileSummary]]:
    """Every requirement of every profile judged, in each profile's order, and the summaries.

    Each summary carries the profile's outcome and its failures counted apart: against binding
    thresholds (source, regulation, provider, process answers) and against tool defaults.
    """
    entries = answers.entries if answers is not None else {}
    results: list[RequirementResult] = []
    summaries: list[ProfileSummary] = []
    for loaded in plan.profiles:
        profile_id = loaded.profile.id
        mine: list[RequirementResult] = []
        for requirement in loaded.requirements:
            if isinstance(requirement, ChecklistItem):
                question = plan.questions[requirement.question]
                mine.append(judge_item(profile_id, requirement, question, entries.get(question.id), hashes or {}))
            else:
                key = plan.evidence_of(loaded, requirement)
                mine.append(judge(profile_id, requirement, outcomes[key], REGISTRY[requirement.check].remediation, declared))
        counts = Counter(r.verdict for r in mine)
        failed = [r for r in mine if r.verdict == "fail"]
        bound = sum(binding(r, adopt_defaults) for r in failed)
        summaries.append(
            ProfileSummary(
                id=profile_id,
                title=loaded.profile.title,
                title_zh=loaded.profile.title_zh,
                version=loaded.profile.version,
                source=loaded.profile.source.citation,
                source_zh=loaded.profile.source.citation_zh,
                verdicts={v: counts.get(v, 0) for v in SEVERITY_OF_VERDICT},
                annex_iii=list(loaded.annex_iii),
                clauses=clause_summary(mine),
                clause_vocabulary=loaded.profile.clause_vocabulary,
                taxonomy=loaded.profile.taxonomy,
                outcome=overall_outcome(mine, adopt_defaults),
                binding_failures=bound,
                default_failures=len(failed) - bound,
            )
        )
        results += mine
    return results, summaries


def customisations(plan: Plan) -> tuple[list[OverrideRecord], list[WaiverRecord]]:
    """Every override and waiver applied to the plan's profiles (for the report)."""
    overrides = [o for p in plan.profiles for o in p.overrides]
    waivers = [w for p in plan.profiles for w in p.waivers]
    return overrides, waivers
