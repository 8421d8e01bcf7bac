"""The locale catalogues: every word a person reads in the terminal summary and the reports.

Catalogues are YAML files under ``conformance/report/locales/`` (one per language, the same keys in each; a test
fails when a key is missing in either). A renderer asks ``Words(lang)("key", name=value)``.

A new language is one more catalogue: ``xx.yaml`` with the keys of ``en.yaml``, shipped under
``conformance/report/locales/`` or placed in a folder named by ``CONFORMANCE_LOCALES`` (several folders separated by
the path separator; they are searched first). A key the new catalogue lacks reads in English.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the words read these; the result model itself renders its English through this module
    from conformance.result import CheckOutcome, Measurement, ProfileSummary, RejudgedFrom, RequirementResult, Subject, Threshold

SHIPPED = Path(__file__).parent / "report" / "locales"

LANGUAGES = ("en", "zh")
DEFAULT = "en"


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


ENV = "CONFORMANCE_LOCALES"


def _folders() -> tuple[Path, ...]:
    extra = tuple(Path(p) for p in os.environ.get(ENV, "").split(os.pathsep) if p)
    return (*extra, SHIPPED)


def languages() -> tuple[str, ...]:
    """Every language with a catalogue: the shipped ones and those under ``CONFORMANCE_LOCALES``."""
    found = {p.stem for folder in _folders() if folder.is_dir() for p in folder.glob("*.yaml")}
    return tuple(sorted(found, key=lambda lang: (lang not in LANGUAGES, lang)))


def catalogue(lang: str) -> dict[str, str]:
    """Every key of one language, flattened to dotted names (``verdict.pass``)."""
    return _load(lang, _folders())


@lru_cache(maxsize=None)
def _load(lang: str, folders: tuple[Path, ...]) -> dict[str, str]:
    for folder in folders:
        path = folder / f"{lang}.yaml"
        if path.is_file():
            import yaml

            entries = _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
            return entries if lang == DEFAULT else {**_load(DEFAULT, folders), **entries}
    raise ValueError(f"unknown language '{lang}': choose one of {', '.join(languages())} (or add a catalogue: see {ENV})")


class Words:
    """The words of one language; ``words("key", **values)`` formats the entry."""

    def __init__(self, lang: str = DEFAULT) -> None:
        self.lang = lang
        self._entries = catalogue(lang)

    def __call__(self, key: str, /, **values: object) -> str:
        text = self._entries[key]
        return text.format(**values) if values else text

    def verdict(self, verdict: str) -> str:
        return self(f"verdict.{verdict}")

    def outcome(self, outcome: str) -> str:
        return self(f"outcome.{outcome}")

    def origin(self, origin: str) -> str:
        return self(f"origin.{origin}")

    def severity(self, severity: str) -> str:
        return self(f"severity.{severity}")

    def message(self, message: object) -> str:
        """A catalogue message (``Message`` or its dict) with its parameters rendered in this language:
        a parameter that is itself a message is rendered first, a list is joined by ``sep.semicolon``."""
        data = message.model_dump() if hasattr(message, "model_dump") else message
        params = {name: self._param(value) for name, value in (data.get("params") or {}).items()}
        return self(data["key"], **params) if params else self(data["key"])

    def parts(self, parts: list) -> str:
        """Messages joined by ``sep.semicolon``: a note or reason made of several sentences."""
        return self("sep.semicolon").join(self.message(part) for part in parts)

    def _param(self, value: object) -> str:
        if hasattr(value, "model_dump"):
            return self.message(value)
        if isinstance(value, dict) and "key" in value:
            return self.message(value)
        if isinstance(value, list):
            return self("sep.semicolon").join(self._param(v) for v in value)
        return "" if value is None else str(value)

    def reason(self, requirement: RequirementResult) -> str:
        """The verdict's reason in this language; the stored English text where the result has no messages
        (a report written before reasons carried them) or the language is English."""
        if self.lang == DEFAULT or not requirement.reason_parts:
            return requirement.reason
        return self("sep.semicolon").join(self.message(part) for part in requirement.reason_parts)

    def remediation(self, requirement: RequirementResult) -> str | None:
        """What to do, in this language: the catalogue's for a check (``remediation.<check>``), the
        profile's translated guidance for a checklist item."""
        if requirement.remediation is None or self.lang == DEFAULT:
            return requirement.remediation
        if not requirement.check:
            return self._localised(requirement.remediation, getattr(requirement, f"remediation_{self.lang}", None))
        return self._entries.get(f"remediation.{requirement.check}", requirement.remediation)

    def text_of(self, stored: str | None, parts: list) -> str | None:
        """The stored English in English (or when no messages were kept), else the messages rendered."""
        return stored if self.lang == DEFAULT or not parts else self.parts(parts)

    def note(self, measurement: Measurement) -> str | None:
        return self.text_of(measurement.note, measurement.note_parts)

    def driver(self, measurement: Measurement) -> str | None:
        return self.text_of(measurement.driver, measurement.driver_parts)

    def excluded(self, measurement: Measurement) -> list[str]:
        """Each group left out, with its reason."""
        if self.lang == DEFAULT or len(measurement.excluded_parts) != len(measurement.excluded_groups):
            return list(measurement.excluded_groups)
        return [self.message(part) for part in measurement.excluded_parts]

    def measurement_notes(self, measurement: Measurement) -> list[str]:
        """What a table shows beside a value: the driver, the note, the groups left out."""
        return [x for x in (self.driver(measurement), self.note(measurement), *self.excluded(measurement)) if x]

    def check_reason(self, outcome: CheckOutcome) -> str | None:
        return self.text_of(outcome.reason, outcome.reason_parts)

    def data_line(self, subject: Subject, quote: str = "") -> str:
        """What was audited on: rows, target and positive label of a table, or the items asked of a
        generative model; then the task. ``quote`` marks names as code (Markdown's backtick)."""
        if subject.task == "generative":
            line = self("text.items_line", items=subject.rows)
        else:
            line = self("text.data_line", rows=subject.rows, target=f"{quote}{subject.target}{quote}")
            if subject.positive_label is not None:
                line += self("sep.comma") + self("text.positive_label", label=f"{quote}{subject.positive_label}{quote}")
        return line + self("sep.semicolon") + self("text.task", task=subject.task)

    def rejudged(self, origin: RejudgedFrom) -> str:
        """Whose measurements a re-judged result rests on, and what their own audit concluded."""
        who = origin.signer_name or origin.signer_fingerprint or self("text.unsigned_bundle")
        return (self("text.rejudged_from", signer=who, bundle=origin.bundle_sha256) + self("sep.semicolon")
                + self("text.rejudged_original", outcome=self.outcome(origin.original_outcome),
                       profiles=self("sep.comma").join(origin.original_profiles)))

    def threshold_note(self, threshold: Threshold) -> str | None:
        """The threshold's note: the profile's words (translated when the profile gives them), then the tool's."""
        if self.lang == DEFAULT or threshold.note is None:
            return threshold.note
        added = self.parts(threshold.note_parts) if threshold.note_parts else ""
        english_added = Words(DEFAULT).parts(threshold.note_parts) if threshold.note_parts else ""
        own = threshold.note.removesuffix(english_added).removesuffix(Words(DEFAULT)("sep.semicolon")) if english_added else threshold.note
        own = self._localised(own, getattr(threshold, f"note_{self.lang}", None)) if own else ""
        return self("sep.semicolon").join(x for x in (own, added) if x) or None

    def check_title(self, check: str, title: str) -> str:
        return title if self.lang == DEFAULT else self._entries.get(f"check.{check}", title)

    def metric_name(self, metric: str) -> str:
        """A metric's name in words when the catalogue has one (``metric.selection_rate``), else its id."""
        return self._entries.get(f"metric.{metric}", metric)

    def profile_title(self, profile: ProfileSummary) -> str:
        """The profile's title in this language when the profile provides one."""
        return self._localised(profile.title, getattr(profile, f"title_{self.lang}", None))

    def profile_source(self, profile: ProfileSummary) -> str:
        """The citation of the profile's source in this language when the profile provides one."""
        return self._localised(profile.source, getattr(profile, f"source_{self.lang}", None))

    def requirement_title(self, requirement: RequirementResult) -> str:
        return self._localised(requirement.title, getattr(requirement, f"title_{self.lang}", None))

    def question_text(self, requirement: RequirementResult) -> str:
        """A checklist item's question in this language when the profile provides it, else its title."""
        default = requirement.question_text or requirement.title
        return self._localised(default, getattr(requirement, f"question_text_{self.lang}", None))

    def _localised(self, default: str, translated: object) -> str:
        return translated if self.lang != DEFAULT and isinstance(translated, str) and translated else default

    def threshold(self, minimum: float | None, maximum: float | None) -> str:
        if minimum is not None and maximum is not None:
            return self("threshold.between", min=f"{minimum:g}", max=f"{maximum:g}")
        if minimum is not None:
            return self("threshold.min", min=f"{minimum:g}")
        if maximum is not None:
            return self("threshold.max", max=f"{maximum:g}")
        return "—"
