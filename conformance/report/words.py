"""Words shown to people for verdicts and outcomes, and their display order."""

from __future__ import annotations

VERDICT_WORDS = {
    "pass": "pass",
    "fail": "FAIL",
    "inconclusive": "inconclusive",
    "not_applicable": "n/a",
    "pending": "pending",
    "error": "ERROR",
}

OUTCOME_WORDS = {
    "conformant": "Conformant",
    "conformant_with_observations": "Conformant with observations",
    "non_conformant": "Non-conformant",
    "incomplete": "Incomplete",
}

VERDICT_ORDER = ("fail", "error", "inconclusive", "pending", "pass", "not_applicable")

ORIGIN_WORDS = {
    "standard": "set by the standard",
    "regulation": "set by the regulation",
    "tool-default": "tool default (the source sets no number)",
    "provider-declared": "declared by the provider",
}


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def threshold_text(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{minimum:g} ≤ x ≤ {maximum:g}"
    if minimum is not None:
        return f"≥ {minimum:g}"
    if maximum is not None:
        return f"≤ {maximum:g}"
    return "—"
