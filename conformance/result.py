"""The result model: the one object every renderer reads.

``AuditResult.evidence`` is deterministic (same inputs and seed, same bytes); ``AuditResult.run``
holds what differs between runs (time, duration). The JSON report is this model's serialisation.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"

Verdict = Literal["pass", "fail", "inconclusive", "not_applicable", "pending", "error"]
Outcome = Literal["conformant", "conformant_with_observations", "non_conformant", "incomplete"]
SeverityName = Literal["critical", "major", "minor"]
ThresholdOrigin = Literal["standard", "regulation", "tool-default", "provider-declared"]
DecisionRule = Literal["point", "confidence"]
CheckStatus = Literal["ok", "not_applicable", "error"]


class Format(str, Enum):
    """Report formats; each maps to one renderer (``conformance.report.RENDERERS``)."""

    json = "json"
    md = "md"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Interval(_Frozen):
    """A confidence interval; a bound is None when the resamples could not define it."""

    low: float | None
    high: float | None
    level: float


class GroupValue(_Frozen):
    """One group's value of a metric, with the group's size and the counts behind it."""

    group: str
    n: int
    value: float | None = Field(description="None when the data cannot define the metric for this group.")
    ci: Interval | None = None


class Measurement(_Frozen):
    """One number a check measured, with its per-group values and uncertainty."""

    check: str
    metric: str
    attribute: str | None = Field(default=None, description="Sensitive attribute (or 'a × b' intersection).")
    value: float | None = Field(description="None when the data cannot define the metric.")
    ci: Interval | None = None
    groups: list[GroupValue] = Field(default_factory=list)
    excluded_groups: list[str] = Field(default_factory=list, description="Groups left out of the value, each with its reason.")
    driver: str | None = Field(default=None, description="Which groups drive a disparity (lowest and highest).")
    note: str | None = None


class CheckOutcome(_Frozen):
    """What one check measured, once, for every requirement that cites it."""

    key: str = Field(description="check id plus its parameters: the unit of 'compute once'.")
    check: str
    title: str
    params: dict
    status: CheckStatus
    reason: str | None = None
    measurements: list[Measurement] = Field(default_factory=list)


class Threshold(_Frozen):
    """The bound a requirement sets on a metric, and where the number comes from."""

    min: float | None = None
    max: float | None = None
    origin: ThresholdOrigin
    note: str | None = None


class Observation(_Frozen):
    """A value a verdict was based on."""

    attribute: str | None
    value: float | None
    ci: Interval | None = None
    verdict: Verdict
    reason: str | None = None


class RequirementResult(_Frozen):
    """A requirement of a profile, judged."""

    profile: str
    id: str
    clause: str
    title: str
    principle: str
    severity: SeverityName
    check: str
    check_key: str
    metric: str
    threshold: Threshold | None
    decision_rule: DecisionRule
    verdict: Verdict
    reason: str
    observations: list[Observation] = Field(default_factory=list)
    remediation: str | None = None


class ProfileSummary(_Frozen):
    """A profile used in the run and how its requirements came out."""

    id: str
    title: str
    version: str
    source: str
    verdicts: dict[str, int]


class InputFile(_Frozen):
    role: str
    path: str
    sha256: str
    bytes: int


class Manifest(_Frozen):
    """What a third party needs to reproduce and verify the run."""

    tool_version: str
    seed: int
    command: list[str]
    inputs: list[InputFile]
    packages: dict[str, str]


class Subject(_Frozen):
    """What was audited."""

    model: str
    task: str
    rows: int
    target: str
    positive_label: str | None
    sensitive: list[str]
    features: list[str]
    predictions_only: bool


class Evidence(_Frozen):
    """The deterministic part of the result: what a signature covers."""

    subject: Subject
    profiles: list[ProfileSummary]
    checks: list[CheckOutcome]
    requirements: list[RequirementResult]
    outcome: Outcome
    manifest: Manifest


class RunInfo(_Frozen):
    """Facts about this particular execution, outside the evidence."""

    started_at: str
    duration_seconds: float


class AuditResult(_Frozen):
    """The whole result of one audit."""

    schema_version: str = SCHEMA_VERSION
    evidence: Evidence
    run: RunInfo
