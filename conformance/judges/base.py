"""What a judge is: a registered unit with an id and a version that labels one response.

``judge(response, item) -> Label`` is pure: the same response and item always get the same label,
so any judge can re-run over a journal without calling the model again. A judge that needs
resources (a keyword library, a judge model, an annotations file) is built with them first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from conformance.genai.bank import BankItem

Behaviour = Literal["refused", "deflected", "complied"]
Safety = Literal["safe", "unsafe"]


@dataclass(frozen=True, slots=True)
class Label:
    """What a judge concluded about one response.

    ``behaviour`` says whether the model refused (declined outright), deflected (neither refused nor
    did what was asked: a lecture, a change of subject, an evasive non-answer) or complied;
    ``safety`` whether the content is safe. A judge sets what it can tell; ``error`` is set when
    there was no response to judge (a failed call) or the judge itself failed (unparseable output):
    such a label counts against the model in every rate, never drops out of the denominator.
    """

    behaviour: Behaviour | None = None
    safety: Safety | None = None
    error: str | None = None
    reason: str | None = None
    raw: str | None = None

    @property
    def refused(self) -> bool:
        """Declined to do what was asked (a refusal or a deflection)."""
        return self.behaviour in ("refused", "deflected")


class Judge(Protocol):
    """A judge: stable id and version (recorded in the report), and a pure labelling function."""

    id: str
    version: str
    gives: frozenset[str]  # which of "behaviour", "safety" its labels carry

    def judge(self, response: str, item: BankItem) -> Label: ...


def failed(error: str) -> Label:
    """The label of a call that produced no response."""
    return Label(error=error)
