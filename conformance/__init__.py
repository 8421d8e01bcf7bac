"""conformance: test AI models for conformance with standards and regulations.

The library's front door is :func:`conformance.audit` (a fitted model or predictions, a DataFrame
and profiles in; an :class:`~conformance.result.AuditResult` out) and :func:`conformance.run_audit`
(the same from a :class:`~conformance.config.RunConfig`, as the CLI uses it).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "audit", "run_audit"]


def __getattr__(name: str) -> Any:  # lazy: keep `import conformance` (and the CLI's start) light
    if name in ("audit", "run_audit"):
        from conformance import api

        return getattr(api, name)
    raise AttributeError(name)
