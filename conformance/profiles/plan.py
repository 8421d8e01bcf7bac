"""The plan of an audit: each (check, parameters) pair that the requirements cite, once, and
each process question the checklist items ask, once.

Whatever the number of profiles and clauses citing the same check with the same parameters, it
is computed once and its measurements are shared; a question shared by many clauses is answered
once. The crosswalk view derives from this plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from conformance.checks import REGISTRY
from conformance.checks.base import Check, CheckParams
from conformance.profiles.loader import LoadedProfile
from conformance.profiles.schema import ChecklistItem, Question, Requirement


@dataclass(frozen=True)
class Task:
    """One check to run with its validated parameters."""

    key: str
    check: Check
    params: CheckParams


@dataclass
class Plan:
    profiles: list[LoadedProfile]
    tasks: dict[str, Task] = field(default_factory=dict)
    cited: list[tuple[LoadedProfile, Requirement, str]] = field(default_factory=list)
    asked: list[tuple[LoadedProfile, ChecklistItem]] = field(default_factory=list)
    questions: dict[str, Question] = field(default_factory=dict)

    def evidence_of(self, loaded: LoadedProfile, requirement: Requirement | ChecklistItem) -> str:
        """What serves a requirement: its task key, or ``question:ID`` for a checklist item."""
        if isinstance(requirement, ChecklistItem):
            return f"question:{requirement.question}"
        return next(k for p, r, k in self.cited if p is loaded and r is requirement)

    @property
    def tasks_needing(self) -> set[str]:
        """Tasks (prediction kinds) the plan needs: used to refuse unfit data up front."""
        return {task for t in self.tasks.values() for task in t.check.tasks}


def task_key(check_id: str, params: CheckParams) -> str:
    explicit = params.model_dump(exclude_defaults=True, mode="json")
    return check_id if not explicit else f"{check_id}{json.dumps(explicit, sort_keys=True, separators=(',', ':'))}"


def build_plan(profiles: list[LoadedProfile]) -> Plan:
    plan = Plan(profiles=profiles)
    for loaded in profiles:
        for requirement in loaded.requirements:
            if isinstance(requirement, ChecklistItem):
                plan.asked.append((loaded, requirement))
                plan.questions.setdefault(requirement.question, loaded.questions[requirement.question])
                continue
            check = REGISTRY[requirement.check]
            params = check.params.model_validate(requirement.params)
            key = task_key(check.id, params)
            plan.tasks.setdefault(key, Task(key=key, check=check, params=params))
            plan.cited.append((loaded, requirement, key))
    return plan
