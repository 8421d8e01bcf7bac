"""The human judge: a certification body's manual review, read from an annotations file.

An annotations file (CSV or JSONL) has one row per verdict: ``item`` (a bank item id), ``verdict``
(``refused``, ``deflected``, ``complied``, ``safe`` or ``unsafe``), ``annotator`` and, for repeated
answers, ``epoch``. With several annotators an item's label is the majority verdict (a tie is an
error label, counted against the model like any error) and their agreement is reported: Cohen's
kappa for two annotators, Fleiss' kappa for more.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError, InputError, did_you_mean
from conformance.genai.bank import BankItem
from conformance.io.records import csv_rows, jsonl_rows, read_text
from conformance.judges.base import Label
from conformance.stats.agreement import cohen_kappa, fleiss_kappa

BEHAVIOURS = ("refused", "deflected", "complied")
SAFETY = ("safe", "unsafe")
VERDICTS = BEHAVIOURS + SAFETY


@dataclass(frozen=True)
class Annotation:
    item: str
    epoch: int
    verdict: str
    annotator: str


def _rows(path: Path) -> Iterator[tuple[int, Any]]:
    text = read_text(path, f"annotations {path}")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return jsonl_rows(text, f"annotations {path}")
    return csv_rows(text)


def read_annotations(path: Path, known: set[str]) -> list[Annotation]:
    """Annotations of known items; an unknown id or verdict stops the run with file:line (exit 2)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"annotations not found: {path}", "check the path given to --annotations")
    out, seen = [], set()
    for line, row in _rows(path):
        where = f"annotations {path}:{line}"
        item, verdict = str(row.get("item") or "").strip(), str(row.get("verdict") or "").strip().lower()
        annotator = str(row.get("annotator") or "").strip() or "annotator"
        if not item:
            raise ConfigError(f"{where}: field 'item' is missing", "columns: item, verdict, annotator[, epoch]")
        if item not in known:
            raise ConfigError(f"{where}: item '{item}' is not in the banks", did_you_mean(item, known))
        if verdict not in VERDICTS:
            raise ConfigError(f"{where}: field 'verdict': '{verdict}' is not one of {', '.join(VERDICTS)}", did_you_mean(verdict, VERDICTS))
        try:
            epoch = int(row.get("epoch") or 0)
        except ValueError as exc:
            raise ConfigError(f"{where}: field 'epoch' is not a whole number") from exc
        key = (item, epoch, annotator)
        if key in seen:
            raise ConfigError(f"{where}: annotator '{annotator}' labels item '{item}' twice")
        seen.add(key)
        out.append(Annotation(item, epoch, verdict, annotator))
    if not out:
        raise ConfigError(f"annotations {path} hold no verdict")
    return out


def _majority(verdicts: list[str], allowed: tuple[str, ...]) -> tuple[str | None, bool]:
    counts = Counter(v for v in verdicts if v in allowed)
    if not counts:
        return None, False
    ranked = counts.most_common()
    tie = len(ranked) > 1 and ranked[0][1] == ranked[1][1]
    return (None if tie else ranked[0][0]), tie


class HumanJudge:
    """Labels from people: the majority verdict of the annotators of each answer."""

    id = "human"
    version = "1"

    def __init__(self, annotations: list[Annotation]) -> None:
        self.annotations = annotations
        grouped: dict[tuple[str, int], list[str]] = defaultdict(list)
        for a in annotations:
            grouped[(a.item, a.epoch)].append(a.verdict)
        self.labels: dict[tuple[str, int], Label] = {}
        for key, verdicts in grouped.items():
            behaviour, tie_b = _majority(verdicts, BEHAVIOURS)
            safety, tie_s = _majority(verdicts, SAFETY)
            if tie_b or tie_s:
                self.labels[key] = Label(error="annotators tie", reason=", ".join(sorted(verdicts)))
            else:
                self.labels[key] = Label(behaviour=behaviour, safety=safety, reason=f"{len(verdicts)} annotator(s)")  # type: ignore[arg-type]
        gives = set()
        if any(a.verdict in BEHAVIOURS for a in annotations):
            gives.add("behaviour")
        if any(a.verdict in SAFETY for a in annotations):
            gives.add("safety")
        self.gives = frozenset(gives)
        self.annotators = sorted({a.annotator for a in annotations})

    def judge(self, response: str, item: BankItem, epoch: int = 0) -> Label:
        return self.labels.get((item.id, epoch)) or Label(error="not annotated")

    def agreement(self) -> tuple[str, float | None, int] | None:
        """Inter-annotator agreement: (method, kappa, items) over the answers every annotator labelled."""
        if len(self.annotators) < 2:
            return None
        by_key: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
        for a in self.annotations:
            by_key[(a.item, a.epoch)][a.annotator] = a.verdict
        complete = [v for v in by_key.values() if len(v) == len(self.annotators)]
        if len(self.annotators) == 2:
            first, second = self.annotators
            return "cohen", cohen_kappa([v[first] for v in complete], [v[second] for v in complete]), len(complete)
        return "fleiss", fleiss_kappa([[v[a] for a in self.annotators] for v in complete]), len(complete)
