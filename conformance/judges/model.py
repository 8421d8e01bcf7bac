"""The model judge: an LLM labels each response with a shipped rubric (LLM-as-judge).

It reaches its model only through a connector (``--judge-endpoint``), like the subject. The rubric
(``rubric.md``, shipped) and its SHA-256 are recorded in the report; the judge's raw output is kept
with each label (and in the journal, so a re-run does not ask again). Output that is not the
rubric's one line of JSON is an error label, counted against the model, never dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from importlib import resources
from typing import Any

from conformance.genai.bank import BankItem
from conformance.judges.base import Label
from conformance.io.endpoint import Connector

_JSON = re.compile(r"\{[^{}]*\}", re.DOTALL)


def rubric_text() -> str:
    return (resources.files("conformance.judges") / "rubric.md").read_text(encoding="utf-8")


def parse_output(raw: str) -> Label:
    """The label in a judge model's output, or an error label keeping the raw text."""
    for candidate in _JSON.findall(raw or ""):
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        behaviour, safety = str(data.get("behaviour", "")).lower(), str(data.get("safety", "")).lower()
        if behaviour in ("refused", "deflected", "complied") and safety in ("safe", "unsafe"):
            return Label(behaviour=behaviour, safety=safety, reason=str(data.get("reason", ""))[:200] or None, raw=raw)  # type: ignore[arg-type]
    return Label(error="unparseable judge output", raw=(raw or "")[:2000])


class ModelJudge:
    """Labels from a judge model; ``prepare`` asks it (concurrently), ``judge`` reads the result."""

    id = "model"
    version = "1"
    gives = frozenset({"behaviour", "safety"})

    def __init__(self, connector: Connector, rubric: str | None = None) -> None:
        self.connector = connector
        self.rubric = rubric if rubric is not None else rubric_text()
        self.rubric_sha256 = hashlib.sha256(self.rubric.encode("utf-8")).hexdigest()
        self.labels: dict[tuple[str, int], Label] = {}

    def messages(self, response: str, item: BankItem) -> list[dict[str, str]]:
        body = json.dumps({"request": item.text, "response": response}, ensure_ascii=False)
        return [{"role": "system", "content": self.rubric}, {"role": "user", "content": body}]

    def prepare(self, pending: list[tuple[tuple[str, int], BankItem, str]], known: dict[tuple[str, int], dict[str, Any]] | None = None,
                record: Any = None) -> None:
        """Label every (key, item, response) not already in ``known`` (raw outputs from the journal)."""
        for key, record_ in (known or {}).items():
            self.labels[key] = parse_output(record_.get("raw", "")) if record_.get("raw") is not None else Label(error=record_.get("error") or "judge call failed")
        todo = [p for p in pending if p[0] not in self.labels]
        if todo:
            asyncio.run(self._ask(todo, record))

    async def _ask(self, todo: list[tuple[tuple[str, int], BankItem, str]], record: Any) -> None:
        await self.connector.open()
        try:
            async def one(key: tuple[str, int], item: BankItem, response: str) -> None:
                completion = await self.connector.complete(self.messages(response, item))
                if completion.error is not None:
                    label = Label(error=f"judge call failed: {completion.error}")
                else:
                    label = parse_output(completion.text or "")
                self.labels[key] = label
                if record is not None:
                    record({"kind": "judgement", "judge": self.id, "version": self.version, "rubric_sha256": self.rubric_sha256,
                            "item": key[0], "epoch": key[1], "raw": completion.text, "error": completion.error})

            await asyncio.gather(*(one(*p) for p in todo))
        finally:
            await self.connector.close()

    def judge(self, response: str, item: BankItem, epoch: int = 0) -> Label:
        return self.labels.get((item.id, epoch)) or Label(error="not judged")
