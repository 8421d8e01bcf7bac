"""The plan of an audit: each (check, parameters) pair that the requirements cite, once.

Whatever the number of profiles and clauses citing the same check with the same parameters, it
is computed once and its measurements are shared. The crosswalk view derives from this plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from conformance.checks import REGISTRY
from conformance.checks.base import Check, CheckParams
from conformance.profiles.loader import LoadedProfile
from conformance.profiles.schema import Requirement


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
            check = REGISTRY[requirement.check]
            params = check.params.model_validate(requirement.params)
            key = task_key(check.id, params)
            plan.tasks.setdefault(key, Task(key=key, check=check, params=params))
            plan.cited.append((loaded, requirement, key))
    return plan
