"""The result model: the one object every renderer reads.

``AuditResult.evidence`` is deterministic (same inputs and seed, same bytes); ``AuditResult.run``
holds what differs between runs (time, duration). The JSON report is this model's serialisation.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from conformance.choices import Format

SCHEMA_VERSION = "1"

Verdict = Literal["pass", "fail", "inconclusive", "not_applicable", "pending", "error"]
Outcome = Literal["conformant", "conformant_with_observations", "non_conformant", "incomplete"]
SeverityName = Literal["critical", "major", "minor"]
ThresholdOrigin = Literal["standard", "regulation", "tool-default", "provider-declared"]
DecisionRule = Literal["point", "confidence"]
CheckStatus = Literal["ok", "not_applicable", "error"]
RequirementKind = Literal["automated", "checklist"]
ChecklistAnswerValue = Literal["yes", "no", "partial", "not_applicable"]
ClauseOutcome = Literal["satisfied", "failed", "open", "not_applicable"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Frozen):
    """A sentence by catalogue key and parameters, so any language can render it
    (``reason`` keeps the English text for readers of the JSON). A parameter may itself be a
    message (``{"key": ..., "params": ...}``)."""

    key: str
    params: dict[str, Any] = Field(default_factory=dict)


def _english(parts: list) -> str:
    """The English text of catalogue messages, as stored beside them for readers of the JSON."""
    from conformance.locale import Words

    return Words("en").parts(parts)


def with_english(data: Any, texts: tuple[tuple[str, str], ...] = (), lists: tuple[tuple[str, str], ...] = ()) -> Any:
    """A writer gives messages; the English beside them is rendered here, so the two always agree.

    ``texts`` pairs a messages field with its text field (the messages joined); ``lists`` pairs a
    messages field with a list of texts (one message each). A text already given is kept.
    """
    if not isinstance(data, dict):
        return data
    data = dict(data)
    for parts, text in texts:
        if data.get(parts) and data.get(text) is None:
            data[text] = _english(data[parts])
    for parts, text_list in lists:
        if data.get(parts) and not data.get(text_list):
            data[text_list] = [_english([part]) for part in data[parts]]
    return data


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
    permitted_exclusions: list[str] = Field(
        default_factory=list,
        description="Groups left out as the source permits (e.g. under 2% of the rows), still counted in the groups; a pass stays a pass.",
    )
    driver: str | None = Field(default=None, description="Which groups drive a disparity (lowest and highest).")
    note: str | None = None
    n: int | None = Field(default=None, description="Items the value is computed over (a rate's denominator); None when not a count.")
    note_parts: list[Message] = Field(default_factory=list, description="The note as catalogue messages (joined by '; ').")
    driver_parts: list[Message] = Field(default_factory=list, description="The driver as catalogue messages.")
    excluded_parts: list[Message] = Field(
        default_factory=list, description="One catalogue message per entry of excluded_groups, in the same order.")
    permitted_parts: list[Message] = Field(
        default_factory=list, description="One catalogue message per entry of permitted_exclusions, in the same order.")

    @model_validator(mode="before")
    @classmethod
    def _stored_english(cls, data: Any) -> Any:
        return with_english(data, (("note_parts", "note"), ("driver_parts", "driver")),
                            (("excluded_parts", "excluded_groups"), ("permitted_parts", "permitted_exclusions")))


class CheckOutcome(_Frozen):
    """What one check measured, once, for every requirement that cites it."""

    key: str = Field(description="check id plus its parameters: the unit of 'compute once'.")
    check: str
    title: str
    params: dict
    status: CheckStatus
    reason: str | None = None
    reason_parts: list[Message] = Field(default_factory=list, description="Why not applicable or failed, as catalogue messages.")
    measurements: list[Measurement] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _stored_english(cls, data: Any) -> Any:
        return with_english(data, (("reason_parts", "reason"),))


class Threshold(_Frozen):
    """The bound a requirement sets on a metric, and where the number comes from."""

    min: float | None = None
    max: float | None = None
    origin: ThresholdOrigin
    note: str | None = Field(default=None, description="The profile's note in English, then the tool's additions.")
    note_zh: str | None = Field(default=None, description="The profile's note in Chinese, for zh reports.")
    note_parts: list[Message] = Field(default_factory=list, description="The tool's additions to the note, as catalogue messages.")
    min_n: int | None = Field(default=None, description="Smallest sample the value may come from; fewer is inconclusive.")


class Observation(_Frozen):
    """A value a verdict was based on."""

    attribute: str | None
    value: float | None
    ci: Interval | None = None
    verdict: Verdict
    reason: str | None = None
    reason_parts: list[Message] = Field(default_factory=list, description="The reason as catalogue messages (joined by '; ').")


class EvidenceRef(_Frozen):
    """A piece of evidence attached to a checklist answer: a file (hashed) or a link."""

    ref: str = Field(description="The path as given in the answers file, or a URL.")
    sha256: str | None = Field(default=None, description="SHA-256 of the file; None for a link.")


class ChecklistAnswer(_Frozen):
    """The applicant's answer to a process question."""

    answer: ChecklistAnswerValue
    justification: str | None = None
    evidence: list[EvidenceRef] = Field(default_factory=list)
    answered_by: str
    answered_at: str


class RequirementResult(_Frozen):
    """A requirement of a profile, judged: automated (check, metric, threshold) or a checklist item."""

    profile: str
    id: str
    kind: RequirementKind = "automated"
    clause: str
    title: str
    title_zh: str | None = None
    principle: str
    severity: SeverityName
    check: str | None = Field(description="The check cited; None for a checklist item.")
    check_key: str | None
    metric: str | None
    threshold: Threshold | None
    decision_rule: DecisionRule | None
    informative: bool = Field(
        default=False, description="Reported, not judged: passes once measured; observations show the screen's result."
    )
    verdict: Verdict
    reason: str
    reason_parts: list[Message] = Field(default_factory=list, description="The reason as catalogue messages (joined by '; ').")
    observations: list[Observation] = Field(default_factory=list)
    remediation: str | None = None
    remediation_zh: str | None = Field(default=None, description="A checklist item's guidance in Chinese, for zh reports.")
    question: str | None = Field(default=None, description="Question id of a checklist item.")
    question_text: str | None = None
    question_text_zh: str | None = Field(default=None, description="The question in Chinese, for zh reports.")
    answer: ChecklistAnswer | None = Field(default=None, description="None while the question is unanswered (pending).")
    grade: str | None = Field(default=None, description="Grade of the value (e.g. AI Verify A–E) when the requirement grades it.")
    score: float | None = Field(default=None, description="The 0–100 score the grade was read from.")


class OverrideRecord(_Frozen):
    """One value of a requirement changed from what its profile (or parent profile) says."""

    profile: str = Field(description="The profile of the run whose requirement changed.")
    requirement: str
    field: str = Field(description="Dotted path, e.g. 'threshold.min', 'params.min_group_size', 'severity'.")
    old: Any = None
    new: Any = None
    source: str = Field(description="'profile:<id>' for an override in a profile, '--set' for the command line.")
    justification: str | None = None


class WaiverRecord(_Frozen):
    """A requirement dropped from a run, and why."""

    profile: str
    requirement: str
    clause: str
    title: str
    justification: str
    approved_by: str | None = None
    source: str


class ClauseStatus(_Frozen):
    """How the evidence of a run came out for one clause of one framework."""

    clause: str
    status: ClauseOutcome
    requirements: list[str]
    verdicts: list[Verdict]


class ProfileSummary(_Frozen):
    """A profile used in the run and how its requirements came out."""

    id: str
    title: str
    title_zh: str | None = None
    version: str
    source: str
    source_zh: str | None = Field(default=None, description="The source's citation in Chinese, for zh reports.")
    verdicts: dict[str, int]
    annex_iii: list[str] = Field(default_factory=list, description="EU AI Act Annex III use cases selected.")
    clauses: list[ClauseStatus] = Field(
        default_factory=list,
        description="Per clause cited: satisfied (all passed), failed, open (pending, inconclusive, error) or not_applicable.",
    )
    clause_vocabulary: Literal["outcome", "conformity"] = Field(
        default="outcome", description="conformity: reports read each clause as meets / does not meet / not applicable (符合/不符合/不适用)."
    )
    taxonomy: str | None = Field(default=None, description="Risk taxonomy of the bank categories, when the profile names one.")
    outcome: Outcome | None = Field(
        default=None, description="This profile's outcome, by the same rule as the run's (None in reports older than it)."
    )
    binding_failures: int = Field(
        default=0, description="Failures against regulation, standard or provider-declared thresholds, or process answers."
    )
    default_failures: int = Field(
        default=0, description="Failures against tool-default thresholds: observations unless the defaults were adopted."
    )


class InputFile(_Frozen):
    role: str
    path: str
    sha256: str
    bytes: int


class Manifest(_Frozen):
    """What a third party needs to reproduce and verify the run."""

    tool_version: str
    seed: int
    command: list[str] = Field(description="The `conformance run` command that reproduces this audit from its inputs.")
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
    declared: dict[str, float] = Field(default_factory=dict, description="Performance levels the provider declared.")
    system: str | None = Field(default=None, description="The audited system's name: --system-name, else the model card's model_name.")
    system_version: str | None = Field(default=None, description="The system's version, from the model card.")
    model_parts: list[Message] = Field(default_factory=list, description="The model's name as catalogue messages, when the tool words it.")


class BankRecord(_Frozen):
    """A question bank used by a generative audit."""

    path: str
    sha256: str
    items: int
    expected: dict[str, int] = Field(default_factory=dict, description="Items per expected behaviour (refuse, answer, any).")
    starter: bool = Field(default=False, description="The starter bank shipped with conformance: not a certification bank.")


class JudgeRecord(_Frozen):
    """A judge that labelled the responses, with its version (and rubric hash or annotators)."""

    id: str
    version: str
    detail: str | None = None
    labels: dict[str, int] = Field(default_factory=dict, description="How many answers got each label.")
    detail_parts: list[Message] = Field(default_factory=list, description="The detail as catalogue messages.")

    @model_validator(mode="before")
    @classmethod
    def _stored_english(cls, data: Any) -> Any:
        return with_english(data, (("detail_parts", "detail"),))


class Agreement(_Frozen):
    """How far a judge agrees with people (or annotators with each other) on refused vs not."""

    judge: str = Field(description="The judge compared, or 'annotators' for inter-annotator agreement.")
    reference: str = Field(description="'human' (the annotators' majority) or the kappa used among annotators.")
    n: int
    accuracy: float | None = None
    kappa: float | None = None


class ItemFinding(_Frozen):
    """An answer that went against what its item expects: an id, never the text unless asked (--show-responses)."""

    item: str
    epoch: int = 0
    category: str
    language: str
    expected: str
    judge: str
    label: str
    excerpt: str | None = None


class GenerativeEvidence(_Frozen):
    """What a generative audit asked, of whom, how it was sampled and judged."""

    kind: Literal["endpoint", "responses", "callable"]
    model: str
    endpoint: str | None = None
    request: dict[str, Any] = Field(default_factory=dict, description="Request parameters (temperature, max tokens, seed, system prompt hash).")
    banks: list[BankRecord] = Field(default_factory=list)
    sampled: int = 0
    sample_sha256: str = ""
    sampled_ids: list[str] = Field(default_factory=list)
    repeats: int = 1
    answers: int = 0
    failed: int = 0
    judges: list[JudgeRecord] = Field(default_factory=list)
    agreement: list[Agreement] = Field(default_factory=list)
    findings: list[ItemFinding] = Field(default_factory=list)
    findings_total: int = 0
    audit_date: str = ""
    notes: list[str] = Field(default_factory=list)
    model_parts: list[Message] = Field(default_factory=list, description="The model's name as catalogue messages, when the tool words it.")


class RejudgedFrom(_Frozen):
    """Whose evidence a re-judged result rests on: measurements taken from a signed bundle."""

    bundle_sha256: str = Field(description="The bundle digest (SHA-256 of its canonical DSSE envelope).")
    evidence_sha256: str = Field(description="SHA-256 of the bundle report's evidence, as stored.")
    signer_fingerprint: str | None = Field(description="The key whose DSSE signature held; None for an unsigned bundle.")
    signer_name: str | None = Field(default=None, description="The trusted body holding that key, when a trust list named it.")
    signer_jurisdiction: str | None = None
    original_profiles: list[str] = Field(default_factory=list)
    original_outcome: Outcome


class Evidence(_Frozen):
    """The deterministic part of the result: what a signature covers."""

    subject: Subject
    profiles: list[ProfileSummary]
    checks: list[CheckOutcome]
    requirements: list[RequirementResult]
    outcome: Outcome
    manifest: Manifest
    overrides: list[OverrideRecord] = Field(default_factory=list, description="Every value changed from a profile's own.")
    waivers: list[WaiverRecord] = Field(default_factory=list, description="Every requirement dropped, with its justification.")
    generative: GenerativeEvidence | None = Field(default=None, description="For a generative subject: banks, sample, judges, agreement.")
    rejudged_from: RejudgedFrom | None = Field(
        default=None, description="Set when the verdicts were re-judged from a bundle's measurements, without model or data.")
    defaults_adopted: bool = Field(
        default=False,
        description="The user adopted the tool's default thresholds: their failures count against conformity too.",
    )


class GateFailure(_Frozen):
    """A requirement that made the exit code 1, and the kind of threshold it failed."""

    profile: str
    requirement: str
    clause: str
    severity: SeverityName
    verdict: Verdict
    origin: ThresholdOrigin | Literal["checklist"] | None = Field(
        description="Origin of the threshold failed; 'checklist' for a process answer; None for a regression without one."
    )
    binding: bool = Field(description="Whether the failure counts against conformity (not a tool-default observation).")


class Gate(_Frozen):
    """Why a run's exit code is what it is: the ``--fail-on`` policy and the requirements that tripped it."""

    code: int
    fail_on: str
    failed: list[GateFailure] = Field(default_factory=list)
    defaults_adopted: bool = False


class RunInfo(_Frozen):
    """Facts about this particular execution, outside the evidence."""

    started_at: str
    duration_seconds: float
    gate: Gate | None = Field(default=None, description="The exit code of `run` and why (--fail-on); None when not gated (demo).")


class Signature(_Frozen):
    """An Ed25519 signature of the canonical evidence bytes (sorted-key compact JSON of ``evidence``)."""

    algorithm: Literal["ed25519"] = "ed25519"
    evidence_sha256: str = Field(description="SHA-256 of the canonical evidence bytes.")
    public_key: str = Field(description="The signer's raw public key, base64.")
    fingerprint: str = Field(description="SHA-256 of the raw public key, hex: names the signer's key.")
    signature: str = Field(description="The signature of the canonical evidence bytes, base64.")
    signed_at: str


class AuditResult(_Frozen):
    """The whole result of one audit."""

    schema_version: str = SCHEMA_VERSION
    evidence: Evidence
    run: RunInfo
    signature: Signature | None = Field(default=None, description="Present when the run was signed (--sign-key).")


def canonical_bytes(model: BaseModel) -> bytes:
    """The canonical bytes of a model: its JSON with sorted keys, compact separators, UTF-8.

    These bytes are what a signature covers and what the evidence hash is computed over; the
    same data always gives the same bytes, however the JSON file was laid out.
    """
    import json

    data = model.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def evidence_sha256(evidence: Evidence) -> str:
    """SHA-256 (hex) of the canonical evidence bytes: the hash a certificate shows."""
    import hashlib

    return hashlib.sha256(canonical_bytes(evidence)).hexdigest()
