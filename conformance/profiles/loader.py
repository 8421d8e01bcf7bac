"""Find, parse, validate and resolve profiles (shipped ids or YAML paths), failing closed.

Every error names the file, the line and the field, and suggests the closest valid name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from conformance.checks import REGISTRY
from conformance.errors import ProfileError, did_you_mean
from conformance.profiles.headers import SHIPPED_PACKAGE, shipped_profiles
from conformance.profiles.overrides import apply_override
from conformance.profiles.schema import (
    REQUIREMENT_TAGS,
    AnyRequirement,
    ChecklistItem,
    Override,
    Profile,
    Question,
    QuestionBank,
    Requirement,
    Source,
    ThresholdOverride,
    ThresholdSpec,
    Waiver,
)
from conformance.result import OverrideRecord, WaiverRecord
from conformance.yamlfile import read_yaml

QUESTION_BANK = "_questions.yaml"


@dataclass(frozen=True)
class LoadedProfile:
    """A validated profile, where it came from, and its requirements after ``extends``.

    ``candidates`` are every requirement after extends, overrides and waivers; ``requirements``
    are those that apply to the Annex III use cases selected (``annex_iii``).
    """

    profile: Profile
    path: Path
    requirements: tuple[AnyRequirement, ...]
    chain: tuple[str, ...]  # ids from this profile up through what it extends
    candidates: tuple[AnyRequirement, ...] = ()
    questions: dict[str, Question] = field(default_factory=dict)  # of every candidate checklist item
    annex_iii: tuple[str, ...] = ()
    overrides: tuple[OverrideRecord, ...] = ()
    waivers: tuple[WaiverRecord, ...] = ()

    @property
    def automated(self) -> list[Requirement]:
        return [r for r in self.requirements if isinstance(r, Requirement)]

    @property
    def checklist(self) -> list[ChecklistItem]:
        return [r for r in self.requirements if isinstance(r, ChecklistItem)]


def select_use_cases(candidates: tuple[AnyRequirement, ...], annex_iii: tuple[str, ...]) -> tuple[AnyRequirement, ...]:
    """The requirements that apply: those for every use case, and those for a selected one."""
    chosen = set(annex_iii)
    return tuple(r for r in candidates if not r.use_cases or chosen & set(r.use_cases))


@lru_cache(maxsize=1)
def question_bank() -> dict[str, Question]:
    """The shared process questions, by stable id (``checklists/_questions.yaml``)."""
    path = Path(str(resources.files(SHIPPED_PACKAGE) / QUESTION_BANK))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        bank = QuestionBank.model_validate(data)
    except ValidationError as exc:  # a shipped file: a bug, not a user error
        raise RuntimeError(f"{path}: {exc}") from exc
    ids = [q.id for q in bank.questions]
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"{path}: a question id appears twice")
    return {q.id: q for q in bank.questions}


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location (as deep as it exists)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return key.start_mark.line + 1 if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line



def _most_telling(exc: ValidationError) -> dict:
    """A misspelt key shows up as both 'extra' and 'missing': name the misspelling."""
    errors = exc.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


_MODEL_AT = {
    "source": Source,
    "threshold": ThresholdSpec,
    "questions": Question,
    "waivers": Waiver,
}


def _model_at(loc: tuple[Any, ...]) -> type:
    """The schema model whose field a misspelt key at ``loc`` should have been."""
    names = [p for p in loc[:-1] if isinstance(p, str)]
    if names[:1] == ["overrides"]:
        return ThresholdOverride if "threshold" in names else Override
    if names and names[-1] in _MODEL_AT:
        return _MODEL_AT[names[-1]]
    if "checklist" in names:
        return ChecklistItem
    if "requirements" in names:
        return Requirement
    return Profile


def parse_profile(path: Path) -> Profile:
    """Read and validate one profile file (without resolving ``extends``)."""
    path = Path(path)
    if not path.is_file():
        raise ProfileError(f"profile file not found: {path}", "give a shipped id (conformance profiles list) or a YAML path")
    node, data = read_yaml(path, "profile", ProfileError)
    if not isinstance(data, dict):
        raise ProfileError(f"profile {path}: expected a mapping with id, title, version, source, requirements")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        error = _most_telling(exc)
        raw_loc = tuple(error["loc"])
        loc = tuple(p for i, p in enumerate(raw_loc) if not (p in REQUIREMENT_TAGS and i and raw_loc[i - 1] != "overrides"))
        line = _line_of(node, loc)
        where = ".".join(str(p) for p in loc) or "profile"
        hint = None
        if error["type"] == "extra_forbidden":
            hint = did_you_mean(str(loc[-1]), _model_at(raw_loc).model_fields)
        message = error["msg"].removeprefix("Value error, ")
        raise ProfileError(f"profile {path}:{line}: {where}: {message}", hint) from exc


def _locate(ref: str) -> Path:
    shipped = shipped_profiles()
    if ref in shipped:
        return shipped[ref]
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    raise ProfileError(f"unknown profile '{ref}'", did_you_mean(ref, shipped))


def _validate_against_registry(profile: Profile, path: Path) -> None:
    bank = question_bank()
    own = {q.id for q in profile.questions}
    for requirement in profile.requirements:
        where = f"profile {path}: requirement '{requirement.id}'"
        if isinstance(requirement, ChecklistItem):
            if requirement.question not in bank and requirement.question not in own:
                raise ProfileError(
                    f"{where} asks unknown question '{requirement.question}'",
                    did_you_mean(requirement.question, [*bank, *own]),
                )
            continue
        check = REGISTRY.get(requirement.check)
        if check is None:
            raise ProfileError(f"{where} cites unknown check '{requirement.check}'", did_you_mean(requirement.check, REGISTRY))
        if requirement.metric not in check.metrics:
            raise ProfileError(
                f"{where}: check '{check.id}' has no metric '{requirement.metric}'",
                did_you_mean(requirement.metric, check.metrics),
            )
        try:
            check.params.model_validate(requirement.params)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = ".".join(str(p) for p in error["loc"])
            hint = did_you_mean(name, check.params.model_fields) if error["type"] == "extra_forbidden" else None
            raise ProfileError(f"{where}: parameter '{name}' of '{check.id}': {error['msg']}", hint) from exc


def load_profile(ref: str, _stack: tuple[str, ...] = ()) -> LoadedProfile:
    """Load a profile by shipped id or path, resolving ``extends`` (parents first, child wins),
    then its overrides and waivers, then its Annex III use-case selection."""
    path = _locate(ref)
    profile = parse_profile(path)
    if profile.id in _stack:
        cycle = " → ".join([*_stack, profile.id])
        raise ProfileError(f"profile {path}: cyclic extends: {cycle}", "remove one of the extends links")
    _validate_against_registry(profile, path)
    merged: dict[str, AnyRequirement] = {}
    questions: dict[str, Question] = {}
    overrides: list[OverrideRecord] = []
    waivers: list[WaiverRecord] = []
    annex_iii: list[str] = []
    chain = [profile.id]
    for parent_ref in profile.extends:
        if parent_ref.endswith((".yaml", ".yml")) and not Path(parent_ref).is_absolute():
            parent_ref = str(path.parent / parent_ref)
        parent = load_profile(parent_ref, (*_stack, profile.id))
        chain.extend(parent.chain)
        merged.update({r.id: r for r in parent.candidates})
        questions.update(parent.questions)
        annex_iii.extend(parent.annex_iii)
        overrides.extend(o.model_copy(update={"profile": profile.id}) for o in parent.overrides)
        waivers.extend(w.model_copy(update={"profile": profile.id}) for w in parent.waivers)
    for requirement in profile.requirements:
        if requirement.id in merged:
            overrides.append(
                OverrideRecord(profile=profile.id, requirement=requirement.id, field="*", old=merged[requirement.id].clause,
                               new=requirement.clause, source=f"profile:{profile.id}",
                               justification="requirement redefined with the same id")
            )
        merged[requirement.id] = requirement
    bank = question_bank()
    own = {q.id: q for q in profile.questions}
    for item in merged.values():
        if isinstance(item, ChecklistItem) and item.question not in questions:
            questions[item.question] = own.get(item.question) or bank[item.question]
    for target, override in profile.overrides.items():
        if target not in merged:
            raise ProfileError(f"profile {path}: override of unknown requirement '{target}'", did_you_mean(target, merged))
        merged[target], records = apply_override(merged[target], override, profile.id, f"profile:{profile.id}", path)
        overrides.extend(records)
    for waiver in profile.waivers:
        dropped = merged.pop(waiver.requirement, None)
        if dropped is None:
            raise ProfileError(
                f"profile {path}: waiver of unknown requirement '{waiver.requirement}'", did_you_mean(waiver.requirement, merged)
            )
        waivers.append(
            WaiverRecord(profile=profile.id, requirement=dropped.id, clause=dropped.clause, title=dropped.title,
                         justification=waiver.justification, approved_by=waiver.approved_by, source=f"profile:{profile.id}")
        )
    selected = tuple(dict.fromkeys([*annex_iii, *profile.annex_iii]))
    candidates = tuple(merged.values())
    requirements = select_use_cases(candidates, selected)
    return LoadedProfile(
        profile=profile,
        path=path,
        requirements=requirements,
        chain=tuple(chain),
        candidates=candidates,
        questions=questions,
        annex_iii=selected,
        overrides=tuple(overrides),
        waivers=tuple(waivers),
    )
