"""Write reports atomically: render everything first, then move each file into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from conformance.report import FILE_NAMES, RENDERERS
from conformance.locale import DEFAULT
from conformance.result import AuditResult, Format


def _default_mode() -> int:
    """0666 less the process umask: what ``open()`` would have given the file."""
    current = os.umask(0o022)
    os.umask(current)
    return 0o666 & ~current


def atomic_write(path: Path, content: str | bytes, mode: int | None = None) -> None:
    """Write a file so that readers see the old content or the new, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _default_mode() if mode is None else mode)  # mkstemp makes 0600; a report is for reading
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def render_all(result: AuditResult, formats: list[Format], lang: str = DEFAULT) -> dict[str, str | bytes]:
    """Every requested format rendered, by file name (nothing written)."""
    return {FILE_NAMES[f]: RENDERERS[f](result, lang=lang) for f in dict.fromkeys(formats)}


def write_reports(result: AuditResult, output: Path, formats: list[Format], lang: str = DEFAULT) -> list[Path]:
    """Render every requested format, and only when all rendered, write them."""
    rendered = render_all(result, formats, lang)
    paths = []
    for name, content in rendered.items():
        path = Path(output) / name
        atomic_write(path, content)
        paths.append(path)
    return paths
