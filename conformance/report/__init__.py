"""Renderers: each turns an :class:`~conformance.result.AuditResult` into one format, and reads nothing else.

A renderer is ``render(result, lang="en") -> str | bytes`` (bytes for PDF). ``lang`` picks the
locale catalogue (``locales/<lang>.yaml``); JSON ignores it (the data has no language).
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.report.html import render_html
from conformance.report.json_report import render_json
from conformance.report.junit import render_junit
from conformance.report.markdown import render_markdown
from conformance.report.pdf import render_pdf
from conformance.result import Format

Renderer = Callable[..., "str | bytes"]

RENDERERS: dict[Format, Renderer] = {
    Format.json: render_json,
    Format.md: render_markdown,
    Format.html: render_html,
    Format.pdf: render_pdf,
    Format.junit: render_junit,
}

FILE_NAMES: dict[Format, str] = {
    Format.json: "report.json",
    Format.md: "report.md",
    Format.html: "report.html",
    Format.pdf: "report.pdf",
    Format.junit: "report.junit.xml",
}
