"""Process checklists: the answer file the applicant fills in, and how answers become verdicts.

One answer file serves every profile of a run: each question (by its stable id) appears once,
however many clauses of however many frameworks ask it. ``yes`` passes, ``no`` fails, ``partial``
is inconclusive, ``not_applicable`` (with a justification) is not applicable, and a question not
yet answered is ``pending`` (the outcome is then ``incomplete``).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from conformance.locale import Words
from conformance.errors import ConfigError, InputError, did_you_mean
from conformance.yamlfile import read_yaml
from conformance.profiles.judge import identity
from conformance.profiles.loader import _line_of
from conformance.profiles.plan import Plan
from conformance.profiles.schema import ChecklistItem, Question
from conformance.result import ChecklistAnswer, EvidenceRef, Message, RequirementResult, Verdict

ANSWER_FILE_VERSION = 1
VERDICT_OF_ANSWER: dict[str, Verdict] = {"yes": "pass", "no": "fail", "partial": "inconclusive", "not_applicable": "not_applicable"}
LINK_PREFIXES = ("http://", "https://")


class AnswerEntry(BaseModel):
    """The answer to one question."""

    model_config = ConfigDict(extra="forbid")

    answer: Literal["yes", "no", "partial", "not_applicable"] | None = None
    justification: str | None = None
    evidence: list[str] = Field(default_factory=list, description="Files (relative to the answer file) or https:// links.")
    answered_by: str | None = None
    answered_at: str | None = Field(default=None, description="ISO date or date-time of the answer.")

    @field_validator("answer", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted yes/no as a boolean
        return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value

    @field_validator("answered_at", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, str) and value.strip():
            try:
                datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValueError("answered_at must be an ISO date (YYYY-MM-DD) or date-time") from exc
        return value

    @model_validator(mode="after")
    def _complete(self) -> AnswerEntry:
        if self.answer is None:
            return self
        if not self.answered_by or not self.answered_at:
            raise ValueError("an answer needs answered_by and answered_at (who answered, and when)")
        if self.answer == "not_applicable" and not (self.justification or "").strip():
            raise ValueError("not_applicable needs a justification")
        return self


class AnswerFile(BaseModel):
    """A checklist answer file (``conformance checklist init`` writes one)."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = ANSWER_FILE_VERSION
    profiles: list[str] = Field(default_factory=list, description="The profiles it was written for (informational).")
    answers: dict[str, AnswerEntry | None] = Field(default_factory=dict)


@dataclass(frozen=True)
class Answers:
    """Validated answers of a run, with their evidence files resolved."""

    path: Path
    entries: dict[str, AnswerEntry]
    files: dict[str, list[tuple[str, Path]]]  # question id → (reference as written, file) to hash


def parse_answers(path: Path, known: dict[str, Question]) -> Answers:
    """Read and strictly validate an answer file; every question id must be one the bank or the
    run's profiles know, and every evidence file must exist."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checklist answers file not found: {path}", "write one with: conformance checklist init --profile ID")
    node, data = read_yaml(path, "checklist", ConfigError)
    if not isinstance(data, dict):
        raise ConfigError(f"checklist {path}: expected a mapping with version, profiles, answers")
    try:
        parsed = AnswerFile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc) or "checklist"
        hint = None
        if first["type"] == "extra_forbidden":
            hint = did_you_mean(str(loc[-1]), (AnswerEntry if len(loc) > 2 else AnswerFile).model_fields)
        msg = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"checklist {path}:{_line_of(node, loc)}: {field}: {msg}", hint) from exc
    entries: dict[str, AnswerEntry] = {}
    files: dict[str, list[tuple[str, Path]]] = {}
    for question_id, entry in parsed.answers.items():
        line = _line_of(node, ("answers", question_id))
        if question_id not in known:
            raise ConfigError(f"checklist {path}:{line}: unknown question '{question_id}'", did_you_mean(question_id, known))
        entry = entry or AnswerEntry()
        entries[question_id] = entry
        for ref in entry.evidence:
            if ref.startswith(LINK_PREFIXES):
                continue
            file = Path(ref) if Path(ref).is_absolute() else path.parent / ref
            if not file.exists():
                raise ConfigError(f"checklist {path}:{line}: evidence of '{question_id}' not found: {ref}",
                                  "paths are relative to the answers file; links start with https://")
            files.setdefault(question_id, []).append((ref, file))
    return Answers(path=path, entries=entries, files=files)


def judge_item(
    profile_id: str,
    item: ChecklistItem,
    question: Question,
    entry: AnswerEntry | None,
    hashes: dict[str, str],
) -> RequirementResult:
    """The verdict of a checklist item from the applicant's answer (pending without one).

    ``hashes`` maps an evidence reference (as written in the answer file) to its SHA-256.
    """
    answer = None
    if entry is None or entry.answer is None:
        verdict: Verdict = "pending"
        reason = f"not answered yet (question '{question.id}' in the checklist answers)"
        parts = [Message(key="reason.unanswered", params={"question": question.id})]
    else:
        verdict = VERDICT_OF_ANSWER[entry.answer]
        reason = f"answered {entry.answer.replace('_', ' ')} by {entry.answered_by} on {entry.answered_at}"
        parts = [Message(key="reason.answered", params={"answer": {"key": f"answer.{entry.answer}", "params": {}},
                                                         "who": entry.answered_by or "", "when": entry.answered_at or ""})]
        if entry.justification:
            reason += f": {entry.justification.strip()}"
            parts.append(Message(key="reason.justification", params={"text": entry.justification.strip()}))
        answer = ChecklistAnswer(
            answer=entry.answer,
            justification=entry.justification,
            evidence=[EvidenceRef(ref=ref, sha256=hashes.get(ref)) for ref in entry.evidence],
            answered_by=entry.answered_by or "",
            answered_at=entry.answered_at or "",
        )
    guidance = item.guidance or question.guidance
    guidance_zh = item.guidance_zh if item.guidance else question.guidance_zh
    shown = verdict in ("fail", "inconclusive", "pending")
    return RequirementResult(
        **identity(profile_id, item),
        kind="checklist",
        check=None,
        check_key=None,
        metric=None,
        threshold=None,
        decision_rule=None,
        verdict=verdict,
        reason=reason,
        reason_parts=parts,
        remediation=guidance if shown else None,
        remediation_zh=guidance_zh if shown else None,
        question=question.id,
        question_text=question.text,
        question_text_zh=question.text_zh,
        answer=answer,
    )


def _comment(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}" for line in textwrap.wrap(" ".join(text.split()), 96 - len(indent))]


def answer_template(plan: Plan, tool_version: str, lang: str = "en") -> str:
    """An answer file for every question of the plan, each once, with the clauses it serves; its
    comments (and the questions, where the profile translates them) in ``lang``."""
    words = Words(lang)
    serves: dict[str, list[str]] = {}
    for loaded, item in plan.asked:
        serves.setdefault(item.question, []).append(f"{loaded.profile.id} {item.clause} ({item.id})")
    ids = [p.profile.id for p in plan.profiles]
    lines = [
        *(f"# {words(f'answer_file.{key}', profiles=', '.join(ids), version=tool_version)}"
          for key in ("for", "written", "answer", "justification", "evidence", "who", "pending", "use")),
        f"version: {ANSWER_FILE_VERSION}",
        f"profiles: [{', '.join(ids)}]",
        "answers:" if plan.questions else "answers: {}",
    ]
    for question_id, question in plan.questions.items():
        lines.append("")
        text = getattr(question, f"text_{lang}", None) or question.text
        guidance = getattr(question, f"guidance_{lang}", None) or question.guidance
        lines += _comment(text, "  ")
        if guidance:
            lines += _comment(words("answer_file.guidance", text=guidance), "  ")
        lines += _comment(words("answer_file.serves", clauses="; ".join(serves[question_id])), "  ")
        lines += [
            f"  {question_id}:",
            "    answer: null",
            "    justification: null",
            "    evidence: []",
            "    answered_by: null",
            "    answered_at: null",
        ]
    return "\n".join(lines) + "\n"
