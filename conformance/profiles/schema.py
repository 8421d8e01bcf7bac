"""The schema of a standard profile (YAML). Unknown keys are refused everywhere.

A profile holds requirements of two kinds:

* **automated** requirements cite a check, one of its metrics and a threshold (``check:`` given);
* **checklist** items ask a process question the applicant answers (``question:`` given): the
  question text lives in the shared question bank (``checklists/_questions.yaml``) or in the
  profile's own ``questions:``, under a stable id, so one answer serves every clause that asks it.

A profile that ``extends`` another may change what it inherits: ``overrides`` (threshold,
severity, decision rule, check parameters) and ``waivers`` (drop a requirement, with a
justification). Both are recorded in the report.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from conformance.result import DecisionRule, SeverityName, ThresholdOrigin

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
QUESTION_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

# EU AI Act Annex III areas a profile can select (the point of Annex III in brackets).
AnnexIIIUseCase = Literal[
    "biometrics",  # 1
    "critical-infrastructure",  # 2
    "education",  # 3
    "employment",  # 4
    "essential-services",  # 5(a) public assistance benefits and services
    "creditworthiness",  # 5(b)
    "insurance",  # 5(c) life and health insurance pricing
    "emergency-services",  # 5(d)
    "law-enforcement",  # 6
    "migration",  # 7
    "justice",  # 8
]


ClauseVocabulary = Literal["outcome", "conformity"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """The document a profile follows."""

    title: str
    citation: str = Field(description="How to cite it, e.g. 'Regulation (EU) 2024/1689'.")
    citation_zh: str | None = Field(default=None, description="The citation in Chinese, for zh reports.")
    url: str | None = None


class ThresholdSpec(_Strict):
    """Bounds on a metric and where the numbers come from."""

    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)
    min_declared: str | None = Field(
        default=None,
        description="The bound is the level the provider declares for this name (run file or model card `declared:`), minus tolerance.",
    )
    max_declared: str | None = Field(default=None, description="The bound is the declared level plus tolerance.")
    tolerance: float = Field(default=0.0, ge=0, allow_inf_nan=False, description="Allowed shortfall against a declared level.")
    min_n: int | None = Field(
        default=None, ge=1,
        description="Smallest sample (Measurement.n) the value may come from; below it the verdict is inconclusive, never a pass.",
    )
    when_undeclared: Literal["inconclusive", "informative"] = Field(
        default="inconclusive",
        description="Without the declared level: inconclusive (evidence missing) or informative (reported, not judged).",
    )
    scope_attributes: list[str] = Field(
        default_factory=list,
        description=(
            "Sensitive attributes (case-insensitive names) the source's number covers; on any other attribute or an "
            "intersection the same number is a tool-default screen, and the verdict says so."
        ),
    )
    origin: ThresholdOrigin = Field(
        description="standard/regulation only when the source states the number; tool-default otherwise."
    )
    note: str | None = None
    note_zh: str | None = Field(default=None, description="The note in Chinese, for zh reports.")

    @model_validator(mode="after")
    def _has_a_bound(self) -> ThresholdSpec:
        if self.min is None and self.max is None and self.min_declared is None and self.max_declared is None:
            raise ValueError("a threshold needs min, max, min_declared or max_declared")
        if (self.min_declared or self.max_declared) and self.origin != "provider-declared":
            raise ValueError("a bound taken from a declared level has origin provider-declared")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("threshold min is above max")
        return self


class _RequirementBase(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    clause: str = Field(description="The clause cited, exactly as the source numbers it.")
    title: str = Field(description="What the clause asks, paraphrased.")
    title_zh: str | None = Field(default=None, description="The title in Chinese, for zh reports.")
    principle: str = Field(description="fairness, transparency, robustness, accuracy, …")
    severity: SeverityName = "major"
    use_cases: list[AnnexIIIUseCase] = Field(
        default_factory=list,
        description="Only when the profile selects one of these EU AI Act Annex III use cases (annex_iii).",
    )


class GradeBand(_Strict):
    """A grade and the lowest score (0–100) that earns it."""

    grade: str = Field(min_length=1, max_length=3)
    min: float = Field(ge=0, le=100)


# Project Moonshot's grading of a recipe's score (AI Verify): A 80–100, B 60–79, C 40–59, D 20–39, E 0–19.
MOONSHOT_BANDS = (
    GradeBand(grade="A", min=80), GradeBand(grade="B", min=60), GradeBand(grade="C", min=40),
    GradeBand(grade="D", min=20), GradeBand(grade="E", min=0),
)


class Grading(_Strict):
    """A grade reported beside the verdict: the metric as a 0–100 score, graded by bands.

    The grade is information, not a pass mark: the threshold (often ``provider-declared``) decides.
    """

    scale: float = Field(default=100.0, gt=0, description="score = value × scale (100 for a rate).")
    invert: bool = Field(default=False, description="score = (1 − value) × scale, for rates where lower is better.")
    bands: list[GradeBand] = Field(default_factory=lambda: list(MOONSHOT_BANDS))

    @model_validator(mode="after")
    def _bands_descend_to_zero(self) -> Grading:
        mins = [b.min for b in self.bands]
        if not mins or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins) or mins[-1] != 0:
            raise ValueError("grade bands must list distinct lowest scores from highest to 0")
        return self


class Requirement(_RequirementBase):
    """An automated requirement: one metric of one check against a threshold."""

    check: str
    params: dict[str, Any] = Field(default_factory=dict)
    metric: str
    threshold: ThresholdSpec
    decision_rule: DecisionRule = "point"
    grading: Grading | None = Field(default=None, description="Report an A–E style grade of the value beside the verdict.")
    informative: bool = Field(
        default=False,
        description=(
            "Reported, not judged: the requirement passes once the metric is measured; the threshold is a screen whose "
            "result each observation shows (for a number the source does not set as a pass mark)."
        ),
    )

    @property
    def kind(self) -> str:
        return "automated"


class ChecklistItem(_RequirementBase):
    """A process requirement: a question (by its stable id) that the applicant answers."""

    question: str = Field(pattern=QUESTION_ID_PATTERN, description="Id of a question in the bank or in questions:.")
    guidance: str | None = Field(default=None, description="What evidence answers it for this clause.")
    guidance_zh: str | None = Field(default=None, description="The guidance in Chinese, for zh reports.")

    @property
    def kind(self) -> str:
        return "checklist"


def _requirement_kind(data: Any) -> str:
    if isinstance(data, dict):
        return "checklist" if "question" in data else "automated"
    return "checklist" if isinstance(data, ChecklistItem) else "automated"


AnyRequirement = Annotated[
    Union[Annotated[Requirement, Tag("automated")], Annotated[ChecklistItem, Tag("checklist")]],
    Discriminator(_requirement_kind),
]
REQUIREMENT_TAGS = ("automated", "checklist")


class Question(_Strict):
    """A process question, asked once however many clauses of however many profiles need it."""

    id: str = Field(pattern=QUESTION_ID_PATTERN)
    text: str
    text_zh: str | None = None
    guidance: str | None = Field(default=None, description="What a good answer shows, and what evidence to attach.")
    guidance_zh: str | None = Field(default=None, description="The guidance in Chinese, for zh reports.")


class QuestionBank(_Strict):
    """The shared question bank shipped beside the profiles."""

    questions: list[Question]


class ThresholdOverride(_Strict):
    """New bounds (or origin, note) for an inherited threshold; unset keys keep their value."""

    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)
    origin: ThresholdOrigin | None = None
    note: str | None = None
    note_zh: str | None = None


class Override(_Strict):
    """Changes to an inherited requirement. A changed bound without an origin becomes provider-declared."""

    threshold: ThresholdOverride | None = None
    severity: SeverityName | None = None
    decision_rule: DecisionRule | None = None
    params: dict[str, Any] | None = Field(default=None, description="Merged into the check's parameters.")
    justification: str | None = None


class Waiver(_Strict):
    """Drop an inherited requirement; the justification is recorded in every report."""

    requirement: str
    justification: str = Field(min_length=10, description="Why the requirement does not apply or is accepted as is.")
    approved_by: str | None = None


class Profile(_Strict):
    """A standard profile: requirements judged against checks, and process questions."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    title_zh: str | None = None
    version: str
    source: Source
    extends: list[str] = Field(default_factory=list)
    description: str | None = None
    annex_iii: list[AnnexIIIUseCase] = Field(
        default_factory=list, description="EU AI Act Annex III use cases selected: adds the requirements they need."
    )
    taxonomy: str | None = Field(default=None, description="Risk taxonomy of bank categories (conformance/genai/taxonomies).")
    clause_vocabulary: ClauseVocabulary = Field(
        default="outcome",
        description="How reports name a clause's result: outcome (satisfied/failed/open) or conformity "
        "(符合/不符合/不适用, meets/does not meet/not applicable, as TC260-003 §9.1 asks).",
    )
    questions: list[Question] = Field(default_factory=list, description="Questions of this profile not in the bank.")
    requirements: list[AnyRequirement] = Field(default_factory=list)
    overrides: dict[str, Override] = Field(default_factory=dict, description="Requirement id → changes.")
    waivers: list[Waiver] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _extends_as_list(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in ("extends", "annex_iii"):
                if isinstance(data.get(key), str):
                    data = {**data, key: [data[key]]}
        return data

    @field_validator("taxonomy")
    @classmethod
    def _known_taxonomy(cls, value: str | None) -> str | None:
        if value is not None:
            from conformance.genai.taxonomy import shipped_taxonomies

            known = shipped_taxonomies()
            if value not in known:
                raise ValueError(f"unknown taxonomy '{value}': choose one of {', '.join(known)}")
        return value

    @field_validator("overrides")
    @classmethod
    def _overrides_change_something(cls, value: dict[str, Override]) -> dict[str, Override]:
        for key, override in value.items():
            if not override.model_dump(exclude_none=True, exclude={"justification"}):
                raise ValueError(f"override of '{key}' changes nothing")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Profile:
        for what, ids in (("requirement", [r.id for r in self.requirements]), ("question", [q.id for q in self.questions])):
            seen: set[str] = set()
            for item in ids:
                if item in seen:
                    raise ValueError(f"{what} id '{item}' appears twice")
                seen.add(item)
        waived = [w.requirement for w in self.waivers]
        if len(set(waived)) != len(waived):
            raise ValueError("a requirement is waived twice")
        return self
