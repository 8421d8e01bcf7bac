"""User-facing errors: one line that names the problem, a hint that says how to fix it.

Anything raised as a :class:`ConformanceError` is bad input or usage (exit code 2) and is
printed without a traceback. Any other exception is a bug (exit code 3).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ConformanceError(Exception):
    """Bad input or usage: the CLI prints ``str(self)`` on one line and exits with 2."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, said: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.said = said  # the same sentence as a catalogue message (conformance.messages.say), when a report shows it

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(ConformanceError):
    """A file that is missing, unreadable or of an unknown kind."""


class DataError(ConformanceError):
    """A dataset that cannot be audited as specified (columns, labels, missing values)."""


class ModelError(ConformanceError):
    """A model that cannot be loaded safely, or that fails when asked to predict."""


class ProfileError(ConformanceError):
    """A standard profile that is malformed or cites unknown checks or parameters."""


class ConfigError(ConformanceError):
    """A run configuration (flags or run file) that is invalid."""


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The closest valid name to a misspelt one, or None when nothing is close."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A hint naming the closest valid choice, or listing the choices when none is close."""
    choices = sorted(set(choices))
    best = closest(name, choices)
    if best is not None:
        return f"did you mean '{best}'?"
    shown = ", ".join(choices[:12]) + (", …" if len(choices) > 12 else "")
    return f"valid names: {shown}" if choices else "there is nothing to choose from"


class ReportError(ConformanceError):
    """A report that cannot be read, rendered (no browser for the PDF) or compared."""
