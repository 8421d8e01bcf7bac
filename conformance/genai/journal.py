"""The journal: every answer appended as it arrives, so an interrupted run loses nothing.

Append-only JSON Lines, one record per line. The first record (``kind: run``) names what the run
asks (endpoint, model, request parameters, system prompt hash); each ``kind: answer`` record holds
one item's answer (or its final error) with the prompt's hash, finish reason, latency and token
counts; ``kind: judgement`` records keep a model judge's raw output so it is not asked again.
Each record is handed to the operating system as it is written (so ``kill -9`` of the process
loses nothing written), and fsync'd in batches (every ``sync_every`` records and on close), so a
power loss loses at most the last batch. A torn last
line (the write cut mid-way) is ignored on reading and cut off before appending.

Resumption: the finished ``(item, epoch)`` pairs are the unit. A run started again with the same
journal asks only for the pairs without an answer record (or whose last record is a retryable
error), so no item is asked twice and none is lost. API keys are never written.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from conformance.errors import ConfigError, InputError
from conformance.genai.context import Answer

FORMAT = 1
RETRYABLE = ("rate-limit", "transient")


def prompt_sha256(messages: list[dict[str, str]]) -> str:
    """Hash of exactly what was sent (the messages), so the journal shows which prompt an answer answers."""
    return hashlib.sha256(json.dumps(messages, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class JournalState:
    """What a journal already holds: its run header and the latest answer of each (item, epoch)."""

    header: dict | None = None
    answers: dict[tuple[str, int], Answer] = field(default_factory=dict)
    judgements: dict[tuple[str, str, str, int], dict] = field(default_factory=dict)
    records: int = 0
    torn: bool = False

    def done(self, key: tuple[str, int]) -> bool:
        """An answer was collected (or failed for good): not to be asked again."""
        answer = self.answers.get(key)
        return answer is not None and not (answer.error or "").startswith(RETRYABLE)


def _answer(record: dict) -> Answer:
    error = record.get("error")
    return Answer(
        item=str(record["item"]),
        epoch=int(record.get("epoch", 0)),
        response=record.get("response"),
        error=None if error is None else f"{error.get('kind', 'fatal')}: {error.get('message', '')}",
        latency_ms=record.get("latency_ms"),
        finish_reason=record.get("finish_reason"),
    )


def read_journal(path: Path) -> JournalState:
    """Read a journal; a torn last line is tolerated, a corrupt line elsewhere is an error (exit 2)."""
    state = JournalState()
    path = Path(path)
    if not path.exists():
        return state
    with open(path, "rb") as handle:
        data = handle.read()
    lines = data.split(b"\n")
    last = len(lines) - 1
    for number, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            if number == last:  # no newline after it: the write was cut mid-way
                state.torn = True
                break
            raise InputError(f"journal {path}:{number + 1} is not a JSON record", "the journal is append-only: restore it or start a new one with --journal") from exc
        state.records += 1
        kind = record.get("kind")
        if kind == "run" and state.header is None:
            state.header = record
        elif kind == "answer":
            answer = _answer(record)
            state.answers[(answer.item, answer.epoch)] = answer
        elif kind == "judgement":
            state.judgements[(record["judge"], record["version"], record["item"], int(record.get("epoch", 0)))] = record
    return state


def check_header(path: Path, found: dict | None, wanted: dict) -> None:
    """A journal written for another subject or other request parameters cannot be resumed."""
    if found is None:
        return
    for key in ("subject", "request"):
        if found.get(key) != wanted.get(key):
            raise ConfigError(
                f"journal {path} was written for another {key} ({json.dumps(found.get(key), sort_keys=True)})",
                "resume with the same options, or give another --journal to start afresh",
            )


class JournalWriter:
    """Appends records; flushes and fsyncs every ``sync_every`` records and on close."""

    def __init__(self, path: Path, sync_every: int = 64) -> None:
        self.path = Path(path)
        self.sync_every = max(1, sync_every)
        self._pending = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._cut_torn_tail()
        self._handle: IO[str] = open(self.path, "a", encoding="utf-8")

    def _cut_torn_tail(self) -> None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as handle:
            data = handle.read()
            if data.endswith(b"\n"):
                return
            keep = data.rfind(b"\n") + 1
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._handle.flush()  # to the OS at once: a killed process loses nothing it wrote
        self._pending += 1
        if self._pending >= self.sync_every:
            self.sync()

    def sync(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._pending = 0

    def close(self) -> None:
        if not self._handle.closed:
            self.sync()
            self._handle.close()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def header_record(subject: dict, request: dict) -> dict:
    return {"kind": "run", "format": FORMAT, "subject": subject, "request": request}


def answer_record(item: str, epoch: int, prompt_hash: str, completion: Any) -> dict:
    """An answer record from a connector's Completion (text or error, latency, tokens)."""
    record: dict[str, Any] = {"kind": "answer", "item": item, "epoch": epoch, "prompt_sha256": prompt_hash}
    if completion.error is not None:
        record["error"] = {"kind": completion.error_kind, "message": completion.error}
    else:
        record["response"] = completion.text
        record["finish_reason"] = completion.finish_reason
    record["latency_ms"] = round(completion.latency_ms, 3) if completion.latency_ms is not None else None
    if completion.usage:
        record["usage"] = completion.usage
    record["attempts"] = completion.attempts
    return record


def iter_answers(path: Path) -> Iterator[Answer]:
    """Answers of a journal in file order (later records supersede earlier ones of the same pair)."""
    yield from read_journal(path).answers.values()
