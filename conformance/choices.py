"""The fixed choices of the command line (severities, report formats): plain enums, so the CLI
can declare its options without importing the pydantic models."""

from __future__ import annotations

from enum import Enum


class Severity(str, Enum):
    """How much a failed requirement matters; ``--fail-on`` picks the lowest that fails a run.

    ``regression`` is a policy, not a severity: with ``--baseline``, only a verdict worse than the
    baseline's fails the run (its rank is above every severity, so no severity fails on its own).
    """

    critical = "critical"
    major = "major"
    minor = "minor"
    regression = "regression"

    @property
    def rank(self) -> int:
        return {"regression": 4, "critical": 3, "major": 2, "minor": 1}[self.value]


class Format(str, Enum):
    """Report formats; each maps to one renderer (``conformance.report.RENDERERS``)."""

    json = "json"
    md = "md"
    html = "html"
    pdf = "pdf"
    junit = "junit"
