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

from conformance.engine.tables import SufficientStats
from conformance.io.dataset import AuditData
from conformance.io.models import Predictor
from conformance.messages import english, parts, say
from conformance.result import Measurement, Message
from conformance.stats import confusion as cm
from conformance.stats.groups import JOIN, Grouping, encode, groupings_for
from conformance.stats.scores import label_histogram, score_bins

ID_PATTERN = re.compile(r"^[a-z]+(_[a-z]+)*\.[a-z0-9]+(_[a-z0-9]+)*$")


class NotApplicable(Exception):
    """The check does not apply to this audit; the message says why.

    Raise it with a catalogue message (``NotApplicable(say("note.x.y", ...))``) so the reason reads
    in the report's language; ``str(exc)`` is then its English.
    """

    def __init__(self, why: Message | str) -> None:
        self.said = why if isinstance(why, Message) else None
        super().__init__(english([why]) if self.said is not None else why)


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
    stats: SufficientStats | None = None  # streamed or distributed: tables over all rows; ``data`` is a sample
    _groupings: dict[bool, list[Grouping]] = field(default_factory=dict, repr=False)
    _bins: dict[int, tuple[np.ndarray, int, bool]] = field(default_factory=dict, repr=False)

    def groupings(self, intersections: bool = True) -> list[Grouping]:
        """Each sensitive attribute and, optionally, their intersection; computed once.

        With precomputed statistics, a grouping has every group of the full data (and its size)
        while its codes cover the sample's rows.
        """
        if intersections not in self._groupings:
            if self.stats is None:
                self._groupings[intersections] = groupings_for(self.data.frame, self.data.sensitive, intersections)
            else:
                self._groupings[intersections] = self._stats_groupings(intersections)
        return self._groupings[intersections]

    def _stats_groupings(self, intersections: bool) -> list[Grouping]:
        stats = self.stats
        assert stats is not None
        frame = self.data.frame
        out, row_labels = [], []
        for column in self.data.sensitive:
            local = encode(frame[column], column) if len(frame) else Grouping(column, (), np.zeros(0, dtype=np.int64))
            labels = stats.labels[column]
            index = {label: i for i, label in enumerate(labels)}
            remap = np.asarray([index[label] for label in local.labels], dtype=np.int64)
            codes = remap[local.codes] if len(local.labels) else np.zeros(0, dtype=np.int64)
            row_labels.append(np.asarray(labels, dtype=object)[codes])
            out.append(Grouping(column, labels, codes, stats.tables[column].sum(axis=1)))
        if intersections and len(out) >= 2:
            name = JOIN.join(self.data.sensitive)
            labels = stats.labels[name]
            index = {label: i for i, label in enumerate(labels)}
            joined = [JOIN.join(parts) for parts in zip(*row_labels)]
            codes = np.asarray([index[label] for label in joined], dtype=np.int64)
            out.append(Grouping(name, labels, codes, stats.tables[name].sum(axis=1)))
        return out

    def confusion_table(self, grouping: Grouping | None, outputs: np.ndarray) -> np.ndarray:
        """Counts (groups, 4) of ``outputs`` against the target; over all rows when precomputed.

        ``grouping`` None is the whole data as one group. The precomputed tables serve the
        model's predictions only; other outputs (e.g. scores above a median) count the rows at hand.
        """
        stats = self.stats
        if stats is not None and outputs is self.y_pred:
            if grouping is None:
                return stats.overall
            if grouping.attribute in stats.tables:
                return stats.tables[grouping.attribute]
        if grouping is None:
            return cm.confusion_table(np.zeros(len(outputs), dtype=np.int64), 1, self.data.y_true, outputs)
        return cm.confusion_table(grouping.codes, grouping.size, self.data.y_true, outputs)

    def score_histogram(self, grouping: Grouping | None, max_bins: int = 4096) -> tuple[np.ndarray, int, list[Message]]:
        """Score histogram (groups, 2, bins), the number of bins, and a note (messages) when it is approximate."""
        stats = self.stats
        if stats is not None and stats.histograms is not None:
            hist = stats.overall_histogram if grouping is None else stats.histograms.get(grouping.attribute)
            if hist is not None:
                bins_all = say("note.fairness_scores.equal_width_bins", bins=str(hist.shape[-1]), rows=str(stats.rows))
                return hist, hist.shape[-1], [bins_all]
        assert self.scores is not None
        if max_bins not in self._bins:
            self._bins[max_bins] = score_bins(self.scores, max_bins)
        bins, n_bins, exact = self._bins[max_bins]
        note = parts(None if exact else say("note.fairness_scores.quantile_bins", bins=str(n_bins)),
                     stats.sample_said if stats is not None and stats.sampled else None)
        if grouping is None:
            return label_histogram(bins, n_bins, self.data.y_true), n_bins, note
        return label_histogram(bins, n_bins, self.data.y_true, grouping.codes, grouping.size), n_bins, note

    @property
    def task(self) -> str:
        """The audit's task (binary, regression); a generative context says ``generative``."""
        return self.data.task

    @property
    def rows(self) -> int:
        """Rows of the whole data (the sample's size is ``data.rows``)."""
        return self.stats.rows if self.stats is not None else self.data.rows

    @property
    def has_model(self) -> bool:
        return self.predictor is not None

    def require_model(self) -> Predictor:
        if self.predictor is None:
            raise NotApplicable(say("note.runner.needs_model"))
        return self.predictor

    def require_reference(self) -> AuditData:
        if self.reference is None:
            raise NotApplicable(say("note.runner.needs_reference"))
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
            raise NotApplicable(say("note.runner.needs_predictions"))
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
