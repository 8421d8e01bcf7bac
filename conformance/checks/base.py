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
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from conformance.io.dataset import AuditData
from conformance.io.models import Predictor
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
    predictor: Predictor | None = None
    model_features: list[str] = field(default_factory=list)
    reference: AuditData | None = None
    model_card: dict | None = None
    _groupings: dict[bool, list[Grouping]] = field(default_factory=dict, repr=False)

    def groupings(self, intersections: bool = True) -> list[Grouping]:
        """Each sensitive attribute and, optionally, their intersection; computed once."""
        if intersections not in self._groupings:
            self._groupings[intersections] = groupings_for(self.data.frame, self.data.sensitive, intersections)
        return self._groupings[intersections]

    @property
    def has_model(self) -> bool:
        return self.predictor is not None

    def require_model(self) -> Predictor:
        if self.predictor is None:
            raise NotApplicable("needs the model itself; this is a predictions-only audit")
        return self.predictor

    def require_reference(self) -> AuditData:
        if self.reference is None:
            raise NotApplicable("needs reference (training) data: give --reference FILE")
        return self.reference

    def predict(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """The model's outputs on other rows (perturbed, reference), encoded like the audit's.

        Binary: 0/1 labels and the positive label's probability (None without predict_proba);
        regression: floats and None. A model that fails raises ModelError: checks that perturb
        inputs catch it and report the failure as a finding.
        """
        predictor = self.require_model()
        inputs = frame[self.model_features]
        labels = predictor.predict(inputs)
        if self.data.task == "regression":
            return np.asarray(labels, dtype=float), None
        positive = str(self.data.positive_label)
        encoded = (pd.Series(np.asarray(labels)).astype(str) == positive).to_numpy(dtype=np.int8)
        return encoded, predictor.predict_scores(inputs, self.data.positive_label)

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
