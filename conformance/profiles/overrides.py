"""Change an inherited requirement (a profile's ``overrides:`` or ``--set`` on the command line).

Every change is validated like the profile itself and recorded as an :class:`OverrideRecord`.
A bound changed without saying its origin becomes ``provider-declared``: a number that is no
longer the source's must not keep the source's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from conformance.checks import REGISTRY
from conformance.errors import ConformanceError, ProfileError, did_you_mean
from conformance.locale import Words
from conformance.profiles.schema import AnyRequirement, ChecklistItem, Override, Requirement
from conformance.result import OverrideRecord

THRESHOLD_FIELDS = ("min", "max", "origin", "note", "note_zh")
AUTOMATED_FIELDS = ("severity", "decision_rule", *(f"threshold.{f}" for f in THRESHOLD_FIELDS))
CHECKLIST_FIELDS = ("severity",)


def settable_fields(requirement: AnyRequirement) -> list[str]:
    """Dotted fields a change may set (``params.NAME`` for each parameter of the cited check)."""
    if isinstance(requirement, ChecklistItem):
        return list(CHECKLIST_FIELDS)
    return [*AUTOMATED_FIELDS, *(f"params.{name}" for name in REGISTRY[requirement.check].params.model_fields)]


def _bounds(threshold: dict, words: Words) -> str:
    parts = [f"{k} {threshold[k]:g}" for k in ("min", "max") if threshold.get(k) is not None]
    return words("sep.comma").join(parts) or words("text.no_bound")


def change(
    requirement: AnyRequirement,
    changes: list[tuple[str, Any]],
    *,
    profile_id: str,
    source: str,
    justification: str | None,
    where: str,
    error: type[ConformanceError] = ProfileError,
) -> tuple[AnyRequirement, list[OverrideRecord]]:
    """Apply dotted-field changes to one requirement; validate; return it with the records."""
    data = requirement.model_dump(exclude_unset=False)
    allowed = settable_fields(requirement)
    records: list[OverrideRecord] = []
    old_threshold = dict(data.get("threshold") or {})
    for dotted, value in changes:
        if dotted not in allowed:
            kind = "checklist item" if isinstance(requirement, ChecklistItem) else "requirement"
            raise error(f"{where}: '{dotted}' cannot be set on {kind} '{requirement.id}'", did_you_mean(dotted, allowed))
        head, _, tail = dotted.partition(".")
        old = data[head].get(tail) if tail else data[head]
        if tail:
            data[head] = {**data[head], tail: value}
        else:
            data[head] = value
        records.append(OverrideRecord(profile=profile_id, requirement=requirement.id, field=dotted, old=old, new=value,
                                      source=source, justification=justification))
    changed = {d for d, _ in changes}
    if changed & {"threshold.min", "threshold.max"} and "threshold.origin" not in changed:
        if old_threshold.get("origin") != "provider-declared":
            records.append(OverrideRecord(profile=profile_id, requirement=requirement.id, field="threshold.origin",
                                          old=old_threshold.get("origin"), new="provider-declared", source=source,
                                          justification="a changed bound is no longer the source's number"))
        data["threshold"]["origin"] = "provider-declared"
        if "threshold.note" not in changed:
            for field, lang in (("note", "en"), ("note_zh", "zh")):
                words = Words(lang)
                data["threshold"][field] = words("text.threshold_changed", source=source, bounds=_bounds(old_threshold, words),
                                                 origin=old_threshold.get("origin")) + (f" {justification}" if justification else "")
        elif "threshold.note_zh" not in changed:
            data["threshold"]["note_zh"] = None  # the translation of the old note no longer says what the new note says
    try:
        updated = type(requirement).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "requirement"
        raise error(f"{where}: {field}: {first['msg']}") from exc
    if isinstance(updated, Requirement) and any(d.startswith("params.") for d in changed):
        check = REGISTRY[updated.check]
        try:
            check.params.model_validate(updated.params)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"])
            raise error(f"{where}: parameter '{name}' of '{check.id}': {first['msg']}") from exc
    return updated, records


def apply_override(
    requirement: AnyRequirement, override: Override, profile_id: str, source: str, path: Path
) -> tuple[AnyRequirement, list[OverrideRecord]]:
    """Apply one ``overrides:`` entry of a profile file."""
    changes: list[tuple[str, Any]] = []
    for name in ("severity", "decision_rule"):
        if getattr(override, name) is not None:
            changes.append((name, getattr(override, name)))
    if override.threshold is not None:
        for name in THRESHOLD_FIELDS:
            if name in override.threshold.model_fields_set:
                changes.append((f"threshold.{name}", getattr(override.threshold, name)))
    for name, value in (override.params or {}).items():
        changes.append((f"params.{name}", value))
    return change(requirement, changes, profile_id=profile_id, source=source, justification=override.justification,
                  where=f"profile {path}: override of '{requirement.id}'")
