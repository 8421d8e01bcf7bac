"""Number formatting and the display order of verdicts; the words themselves live in ``locales/``."""

from __future__ import annotations

VERDICT_ORDER = ("fail", "error", "inconclusive", "pending", "pass", "not_applicable")
FINDINGS = ("fail", "error", "inconclusive")


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def observed(value: float | None, has_interval: bool) -> str:
    """An observed value: a whole number without an interval is a count (``16``, not ``16.000``)."""
    if value is not None and not has_interval and float(value).is_integer():
        return str(int(value))
    return fmt(value)


def ci_text(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"[{fmt(low)}, {fmt(high)}]"


SEVERITY_ORDER = ("critical", "major", "minor")


def by_seriousness(requirements):
    """Findings most serious first: fail and error before inconclusive, then critical, major, minor."""
    return sorted(requirements, key=lambda r: (0 if r.verdict in ("fail", "error") else 1,
                                               SEVERITY_ORDER.index(r.severity) if r.severity in SEVERITY_ORDER else 3))
