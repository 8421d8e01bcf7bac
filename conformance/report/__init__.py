"""Renderers: each turns an :class:`~conformance.result.AuditResult` into one format, and reads nothing else."""

from __future__ import annotations

from collections.abc import Callable

from conformance.report.json_report import render_json
from conformance.report.markdown import render_markdown
from conformance.result import AuditResult, Format

Renderer = Callable[[AuditResult], str]

RENDERERS: dict[Format, Renderer] = {
    Format.json: render_json,
    Format.md: render_markdown,
}

FILE_NAMES: dict[Format, str] = {
    Format.json: "report.json",
    Format.md: "report.md",
}
