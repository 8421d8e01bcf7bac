"""Read the YAML files users write (run files, profiles, checklists, model cards) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ConformanceError


def read_yaml(path: Path, what: str, error: type[ConformanceError]) -> tuple[yaml.Node | None, Any]:
    """The file's node tree (for line numbers) and its data; malformed YAML raises ``error`` naming the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text") from exc
    try:
        return yaml.compose(text), yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{what} {where}: malformed YAML: {problem}") from exc
