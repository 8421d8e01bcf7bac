"""The schema of a standard profile (YAML). Unknown keys are refused everywhere."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from conformance.result import DecisionRule, SeverityName, ThresholdOrigin


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """The document a profile follows."""

    title: str
    citation: str = Field(description="How to cite it, e.g. 'Regulation (EU) 2024/1689'.")
    url: str | None = None


class ThresholdSpec(_Strict):
    """Bounds on a metric and where the numbers come from."""

    min: float | None = None
    max: float | None = None
    origin: ThresholdOrigin = Field(
        description="standard/regulation only when the source states the number; tool-default otherwise."
    )
    note: str | None = None

    @model_validator(mode="after")
    def _has_a_bound(self) -> ThresholdSpec:
        if self.min is None and self.max is None:
            raise ValueError("a threshold needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("threshold min is above max")
        return self


class Requirement(_Strict):
    """One clause of a standard, tested by one metric of one check."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    clause: str = Field(description="The clause cited, exactly as the source numbers it.")
    title: str = Field(description="What the clause asks, paraphrased.")
    principle: str = Field(description="fairness, transparency, robustness, accuracy, …")
    severity: SeverityName = "major"
    check: str
    params: dict[str, Any] = Field(default_factory=dict)
    metric: str
    threshold: ThresholdSpec
    decision_rule: DecisionRule = "point"


class Profile(_Strict):
    """A standard profile: requirements judged against the checks they cite."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    version: str
    source: Source
    extends: list[str] = Field(default_factory=list)
    description: str | None = None
    requirements: list[Requirement] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _extends_as_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("extends"), str):
            data = {**data, "extends": [data["extends"]]}
        return data

    @model_validator(mode="after")
    def _unique_requirement_ids(self) -> Profile:
        seen: set[str] = set()
        for requirement in self.requirements:
            if requirement.id in seen:
                raise ValueError(f"requirement id '{requirement.id}' appears twice")
            seen.add(requirement.id)
        return self
