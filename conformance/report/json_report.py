"""The JSON report: the result model's own serialisation."""

from __future__ import annotations

import json

from conformance.result import AuditResult


def render_json(result: AuditResult, lang: str = "en") -> str:
    """The report as JSON; ``lang`` is accepted for a uniform renderer signature and ignored."""
    return result.model_dump_json(indent=2, exclude_none=False) + "\n"


def result_schema() -> str:
    """JSON Schema of the report, for validators and editors."""
    return json.dumps(AuditResult.model_json_schema(), indent=2, sort_keys=True) + "\n"
