"""Collection: ask the model every sampled item (k times for consistency), journal each answer.

A fixed pool of ``concurrency`` workers pulls (item, epoch) pairs from one queue, so memory stays
flat however many items there are; each answer is appended to the journal as it arrives. Pairs the
journal already holds are not asked again. After ``max_failures`` calls in a row that failed for
good (retries exhausted), the run stops with one line and keeps everything collected so far.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conformance.errors import ConformanceError
from conformance.genai.bank import BankItem
from conformance.genai.context import Answer
from conformance.genai.journal import (
    JournalWriter,
    answer_record,
    check_header,
    header_record,
    prompt_sha256,
    read_journal,
)
from conformance.io.endpoint import Connector

Progress = Callable[[int, int], None]


class CollectionStopped(ConformanceError):
    """Too many calls failed in a row: the run stops, the journal keeps what was collected."""


@dataclass
class Collected:
    answers: dict[tuple[str, int], Answer]
    asked: int
    resumed: int
    torn: bool


def collect(connector: Connector, items: list[BankItem], journal: Path, *, epochs: int = 1, system_prompt: str | None = None,
            max_failures: int = 5, progress: Progress | None = None, sync_every: int = 64) -> Collected:
    """Collect the answers of ``items`` × ``epochs`` into ``journal`` and return every answer it holds."""
    return asyncio.run(_collect(connector, items, Path(journal), epochs, system_prompt, max_failures, progress, sync_every))


async def _collect(connector: Connector, items: list[BankItem], journal: Path, epochs: int, system_prompt: str | None,
                   max_failures: int, progress: Progress | None, sync_every: int) -> Collected:
    state = read_journal(journal)
    wanted = header_record(connector.describe(), connector.request_parameters())
    check_header(journal, state.header, wanted)
    wanted_keys = {(item.id, epoch) for item in items for epoch in range(epochs)}
    todo = [(item, epoch) for item in items for epoch in range(epochs) if not state.done((item.id, epoch))]
    resumed = len(wanted_keys) - len(todo)
    answers = {key: answer for key, answer in state.answers.items() if key in wanted_keys}
    total, done = len(wanted_keys), resumed
    if progress:
        progress(done, total)
    writer = JournalWriter(journal, sync_every)
    try:
        if state.header is None:
            writer.write(wanted)
        if not todo:
            return Collected(answers, 0, resumed, state.torn)
        queue: asyncio.Queue = asyncio.Queue()
        for pair in todo:
            queue.put_nowait(pair)
        failures = 0
        stop: list[BaseException] = []

        async def worker() -> None:
            nonlocal failures, done
            while not stop:
                try:
                    item, epoch = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                messages = item.chat(system_prompt)
                try:
                    completion = await connector.complete(messages)
                except ConformanceError as exc:
                    stop.append(exc)
                    return
                record = answer_record(item.id, epoch, prompt_sha256(messages), completion)
                writer.write(record)
                answer = Answer(item.id, epoch, completion.text if completion.error is None else None,
                                None if completion.error is None else f"{completion.error_kind}: {completion.error}",
                                completion.latency_ms, completion.finish_reason)
                answers[(item.id, epoch)] = answer
                done += 1
                if progress:
                    progress(done, total)
                if completion.error is not None and completion.error_kind != "fatal":
                    failures += 1
                    if failures >= max_failures and not stop:
                        stop.append(CollectionStopped(
                            f"stopped after {failures} calls in a row failed ({completion.error}); "
                            f"the journal {journal} keeps {sum(1 for a in answers.values() if a.error is None)} answers",
                            "run the same command again to ask only for what is missing"))
                else:
                    failures = 0

        await connector.open()
        try:
            await asyncio.gather(*(worker() for _ in range(min(connector.concurrency, len(todo)))))
        finally:
            await connector.close()
        if stop:
            raise stop[0]
        return Collected(answers, len(todo), resumed, state.torn)
    finally:
        writer.close()
