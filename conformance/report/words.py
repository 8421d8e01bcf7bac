"""Number formatting and the display order of verdicts; the words themselves live in ``locales/``."""

from __future__ import annotations

VERDICT_ORDER = ("fail", "error", "inconclusive", "pending", "pass", "not_applicable")
FINDINGS = ("fail", "error", "inconclusive")


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def ci_text(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"[{fmt(low)}, {fmt(high)}]"
