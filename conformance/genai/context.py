"""What generative checks measure: the banks, the sampled items, the answers collected, and the
judges that label them (each judge's labels computed once, on first use, then shared)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from datetime import date

from conformance.genai.bank import Bank, BankItem, KeywordEntry
from conformance.judges.base import Judge, Label, failed


@dataclass(frozen=True, slots=True)
class Answer:
    """The model's answer to one item (one repeat, ``epoch``): its text, or the error that stopped it."""

    item: str
    epoch: int
    response: str | None
    error: str | None = None
    latency_ms: float | None = None
    finish_reason: str | None = None


@dataclass
class GenaiContext:
    """Everything a generative check can read; ``task`` and ``stats`` match the tabular context's."""

    banks: list[Bank]
    sampled: list[BankItem]
    answers: dict[tuple[str, int], Answer]
    judges: dict[str, Judge] = field(default_factory=dict)
    keywords: list[KeywordEntry] | None = None
    taxonomy_codes: frozenset[str] | None = None
    today: date = field(default_factory=date.today)
    seed: int = 0
    repeats: int = 1
    recorded: bool = False  # responses read from a file: no latencies
    corpus_sample: Any = None  # an annotated training-corpus sample (--corpus-sample), for genai.corpus_sample
    task: str = "generative"
    stats: None = None
    _labels: dict = field(default_factory=dict, repr=False)

    @property
    def items(self) -> list[BankItem]:
        """Every item of every bank."""
        return [item for bank in self.banks for item in bank.items]

    def labels(self, judge_id: str) -> dict[tuple[str, int], Label] | None:
        """Labels of every answer by one judge, computed once; None when the run has no such judge."""
        if judge_id not in self._labels:
            judge = self.judges.get(judge_id)
            if judge is None:
                return None
            by_id = {item.id: item for item in self.sampled}
            out = {}
            for key, answer in self.answers.items():
                item = by_id.get(answer.item)
                if item is None:
                    continue
                if answer.error is not None or answer.response is None:
                    out[key] = failed(answer.error or "no response")
                elif hasattr(judge, "labels"):  # labels prepared per answer (model, human): keyed by epoch
                    out[key] = judge.judge(answer.response, item, answer.epoch)
                else:
                    out[key] = judge.judge(answer.response, item)
            self._labels[judge_id] = out
        return self._labels[judge_id]


def judge_hint(judge_id: str) -> str:
    """The catalogue key of how to make a judge available in a run."""
    return f"note.pipeline.hint.{judge_id if judge_id in ('keywords', 'model', 'human') else 'unknown'}"
