"""What a check is: a registered function that measures, never judges.

A check receives the :class:`AuditContext` and its validated parameters and returns
:class:`~conformance.result.Measurement` objects. Thresholds live in profiles. A check that cannot
apply raises :class:`NotApplicable` with its reason; any other exception becomes an ``error``
outcome for that check while the others still run.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from conformance.io.dataset import AuditData
from conformance.result import Measurement
from conformance.stats.groups import Grouping, groupings_for

ID_PATTERN = re.compile(r"^[a-z]+(_[a-z]+)*\.[a-z0-9]+(_[a-z0-9]+)*$")


class NotApplicable(Exception):
    """The check does not apply to this audit; the message says why."""


class CheckParams(BaseModel):
    """Parameters of a check; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BootstrapParams(CheckParams):
    n_boot: int = Field(1000, ge=0, le=100_000, description="Bootstrap resamples for confidence intervals (0: none).")
    ci_level: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of the intervals.")


@dataclass
class AuditContext:
    """What checks measure: the data with its roles, and the model's outputs (computed once)."""

    data: AuditData
    y_pred: np.ndarray | None
    scores: np.ndarray | None
    seed: int
    has_model: bool = False
    _groupings: dict[bool, list[Grouping]] = field(default_factory=dict, repr=False)

    def groupings(self, intersections: bool = True) -> list[Grouping]:
        """Each sensitive attribute and, optionally, their intersection; computed once."""
        if intersections not in self._groupings:
            self._groupings[intersections] = groupings_for(self.data.frame, self.data.sensitive, intersections)
        return self._groupings[intersections]

    def rng(self, key: str) -> np.random.Generator:
        """A generator seeded by the run's seed and the check's key: independent of check order."""
        salt = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
        return np.random.default_rng([self.seed, salt])

    def require_predictions(self) -> np.ndarray:
        if self.y_pred is None:
            raise NotApplicable("no predictions: give a model or a predictions column")
        return self.y_pred


Measure = Callable[[AuditContext, CheckParams], list[Measurement]]


@dataclass(frozen=True)
class Check:
    """A registered check: a stable id, what it measures, its parameters and its metrics."""

    id: str
    title: str
    measure: Measure
    params: type[CheckParams]
    metrics: tuple[str, ...]
    tasks: frozenset[str] = frozenset({"binary"})
    needs_sensitive: bool = False
    remediation: str = ""

    @cached_property
    def description(self) -> str:
        return inspect.cleandoc(self.measure.__doc__ or "")

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def summary(self) -> str:
        return self.description.split("\n\n", 1)[0].replace("\n", " ")
