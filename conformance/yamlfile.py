"""The one reader of the YAML files users write: run files, profiles, checklist answers, model cards, ``--set`` values.

A YAML file is data from whoever wrote it, so it is read within bounds checked before the work
they protect: the size before reading (:data:`~conformance.limits.MAX_YAML_BYTES`), then one
pass over the parser's events (iterative, so no depth can exhaust the stack) that refuses aliases
(``*name``: the "billion laughs" expansion) and nesting deeper than
:data:`~conformance.limits.MAX_YAML_DEPTH`; only then is the node tree composed and the data
built, with the safe loader (no Python objects).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from conformance.errors import ConformanceError
from conformance.limits import MAX_YAML_BYTES, MAX_YAML_DEPTH

_Loader = yaml.SafeLoader  # the pure-Python loader: its messages are the ones the golden files hold
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _where(name: str, mark: Any) -> str:
    return f"{name}:{mark.line + 1}" if mark is not None else name


def _check_events(text: str, name: str, what: str, error: type[ConformanceError]) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise error(
                f"{what} {_where(name, event.start_mark)}: YAML aliases (*{event.anchor}) are not accepted",
                "write the repeated value out in full",
            )
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise error(
                    f"{what} {_where(name, event.start_mark)}: nested more than {MAX_YAML_DEPTH} levels deep",
                    "flatten the file",
                )
        elif isinstance(event, _CLOSE):
            depth -= 1


def parse_yaml(text: str, name: str, what: str, error: type[ConformanceError]) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data of YAML ``text``; any problem raises ``error`` in one line."""
    if len(text) > MAX_YAML_BYTES:
        raise error(f"{what} {name} is larger than {MAX_YAML_BYTES // 1024**2} MiB", "a YAML file users write is small: check the file")
    try:
        _check_events(text, name, what, error)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            return node, (loader.construct_document(node) if node is not None else None)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{what} {_where(name, mark)}: malformed YAML: {problem}") from exc


def read_yaml(path: Path, what: str, error: type[ConformanceError]) -> tuple[yaml.Node | None, Any]:
    """Read a user's YAML file: a regular file within the size bound, then :func:`parse_yaml`."""
    path = Path(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise error(f"{what} {path} cannot be read: {exc.strerror or type(exc).__name__}") from exc
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe, socket or device)"
        raise error(f"{what} {path} is {kind}", "give a YAML file")
    if info.st_size > MAX_YAML_BYTES:
        raise error(
            f"{what} {path} is larger than {MAX_YAML_BYTES // 1024**2} MiB ({info.st_size} bytes)",
            "a YAML file users write is small: check the file",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text") from exc
    return parse_yaml(text, str(path), what, error)
