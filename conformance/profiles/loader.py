"""Find, parse, validate and resolve profiles (shipped ids or YAML paths), failing closed.

Every error names the file, the line and the field, and suggests the closest valid name.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from conformance.checks import REGISTRY
from conformance.errors import ProfileError, did_you_mean
from conformance.profiles.schema import Profile, Requirement

SHIPPED_PACKAGE = "conformance.checklists"


@dataclass(frozen=True)
class LoadedProfile:
    """A validated profile, where it came from, and its requirements after ``extends``."""

    profile: Profile
    path: Path
    requirements: tuple[Requirement, ...]
    chain: tuple[str, ...]  # ids from this profile up through what it extends


def shipped_profiles() -> dict[str, Path]:
    """Shipped profile ids and their files."""
    folder = resources.files(SHIPPED_PACKAGE)
    return {
        Path(entry.name).stem: Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


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


def parse_profile(path: Path) -> Profile:
    """Read and validate one profile file (without resolving ``extends``)."""
    path = Path(path)
    if not path.is_file():
        raise ProfileError(f"profile file not found: {path}", "give a shipped id (conformance profiles list) or a YAML path")
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ProfileError(f"profile {where}: malformed YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"profile {path}: expected a mapping with id, title, version, source, requirements")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        error = _most_telling(exc)
        loc = tuple(error["loc"])
        line = _line_of(node, loc)
        field = ".".join(str(p) for p in loc) or "profile"
        hint = None
        if error["type"] == "extra_forbidden":
            model = Requirement if "requirements" in loc else Profile
            hint = did_you_mean(str(loc[-1]), model.model_fields)
        raise ProfileError(f"profile {path}:{line}: {field}: {error['msg']}", hint) from exc


def _locate(ref: str) -> Path:
    shipped = shipped_profiles()
    if ref in shipped:
        return shipped[ref]
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    raise ProfileError(f"unknown profile '{ref}'", did_you_mean(ref, shipped))


def _validate_against_registry(profile: Profile, path: Path) -> None:
    for requirement in profile.requirements:
        where = f"profile {path}: requirement '{requirement.id}'"
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
    """Load a profile by shipped id or path, resolving ``extends`` (parents first, child wins)."""
    path = _locate(ref)
    profile = parse_profile(path)
    if profile.id in _stack:
        cycle = " → ".join([*_stack, profile.id])
        raise ProfileError(f"profile {path}: cyclic extends: {cycle}", "remove one of the extends links")
    _validate_against_registry(profile, path)
    merged: dict[str, Requirement] = {}
    chain = [profile.id]
    for parent_ref in profile.extends:
        if parent_ref.endswith((".yaml", ".yml")) and not Path(parent_ref).is_absolute():
            parent_ref = str(path.parent / parent_ref)
        parent = load_profile(parent_ref, (*_stack, profile.id))
        chain.extend(parent.chain)
        merged.update({r.id: r for r in parent.requirements})
    merged.update({r.id: r for r in profile.requirements})
    return LoadedProfile(profile=profile, path=path, requirements=tuple(merged.values()), chain=tuple(chain))
