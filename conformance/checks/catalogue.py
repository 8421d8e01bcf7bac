"""The checks page of the docs, generated from the registry so that it cannot drift."""

from __future__ import annotations

from conformance.checks.base import Check


def _default(field) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    return f"`{value!r}`"


def check_markdown(check: Check) -> str:
    lines = [f"## `{check.id}` — {check.title}", "", check.description, ""]
    lines.append(f"- Metrics: {', '.join(f'`{m}`' for m in check.metrics)}")
    lines.append(f"- Applies to: {', '.join(sorted(check.tasks))} tasks" + ("; needs `--sensitive`" if check.needs_sensitive else ""))
    lines.append(f"- To fix a failure: {check.remediation}")
    fields = check.params.model_fields
    if fields:
        lines += ["", "| parameter | default | meaning |", "|---|---|---|"]
        for name, field in fields.items():
            lines.append(f"| `{name}` | {_default(field)} | {(field.description or '').replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def catalogue_markdown(checks: list[Check]) -> str:
    head = [
        "# Checks",
        "",
        "Generated from the check registry (`conformance checks list --markdown`); do not edit by hand.",
        "Checks measure; profiles judge. A check that cannot apply reports `not_applicable` with its",
        "reason; a check that crashes reports `error` and the others still run.",
        "",
    ]
    return "\n".join(head) + "\n" + "\n".join(check_markdown(c) for c in checks)
