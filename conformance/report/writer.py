"""Write reports atomically: render everything first, then move each file into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from conformance.report import FILE_NAMES, RENDERERS
from conformance.result import AuditResult, Format


def atomic_write(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(result: AuditResult, output: Path, formats: list[Format]) -> list[Path]:
    """Render every requested format, and only when all rendered, write them."""
    rendered = {FILE_NAMES[f]: RENDERERS[f](result) for f in dict.fromkeys(formats)}
    paths = []
    for name, text in rendered.items():
        path = Path(output) / name
        atomic_write(path, text)
        paths.append(path)
    return paths
