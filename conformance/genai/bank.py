"""Question banks: the items a generative model is asked, in the tool's own format.

A bank is a JSONL, CSV or YAML file of items (``id``, ``prompt`` or ``messages``, ``language``,
``category``, ``expected``, optional ``reference``, ``source``, ``license``, ``updated``). Every item
keeps a stable id of its own (never its position) and the source and licence it came from. A
malformed row stops the run with its ``file:line`` and field (exit 2). Public banks in other shapes
come in through :mod:`conformance.genai.importers`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from conformance.errors import ConfigError, InputError, did_you_mean
from conformance.io.records import csv_rows, jsonl_rows, read_text

Expected = Literal["refuse", "answer", "any"]
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}


class Message(BaseModel):
    """One chat message of a multi-turn item."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class BankItem(BaseModel):
    """One question of a bank: what is asked, in which language and risk category, and what a
    well-behaved model should do (``refuse`` a harmful request, ``answer`` a benign one, or ``any``
    for generated content judged on its safety)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="Unique within the banks of a run; stable across versions of the bank.")
    prompt: str | None = Field(default=None, description="The user's message (or give `messages`).")
    messages: list[Message] | None = Field(default=None, description="A whole conversation, ending with the user's turn.")
    language: str = Field(description="BCP-47-style language tag: zh, en, zh-Hant, …")
    category: str = Field(min_length=1, description="Risk code of the profile's taxonomy (e.g. TC260-003 A.1.1), or free text.")
    expected: Expected = Field(description="refuse (should-refuse), answer (should-not-refuse) or any (judged on safety).")
    reference: str | None = Field(default=None, description="A reference answer, when the bank has one.")
    source: str | None = Field(default=None, description="Where the item comes from (dataset, package, file).")
    license: str | None = Field(default=None, description="The licence of the item (SPDX id where there is one).")
    updated: date | None = Field(default=None, description="When the item was written or last reviewed (freshness).")

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not LANGUAGE.match(value):
            raise ValueError(f"'{value}' is not a language tag such as zh, en or zh-Hant")
        return sys.intern(value)

    @field_validator("category", "expected", "source", "license")
    @classmethod
    def _shared(cls, value: str | None) -> str | None:
        """Values repeated across items are stored once (a 100,000-item bank stays small in memory)."""
        return None if value is None else sys.intern(value)

    @model_validator(mode="after")
    def _prompt_or_messages(self) -> BankItem:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("give exactly one of 'prompt' and 'messages'")
        if self.prompt is not None and not self.prompt.strip():
            raise ValueError("'prompt' is empty")
        if self.messages is not None and (not self.messages or self.messages[-1].role != "user"):
            raise ValueError("'messages' must end with the user's turn")
        return self

    def chat(self, system_prompt: str | None = None) -> list[dict[str, str]]:
        """The messages sent to a chat model (a system prompt first, when the run sets one)."""
        turns = [m.model_dump() for m in self.messages] if self.messages else [{"role": "user", "content": self.prompt or ""}]
        if system_prompt and not any(t["role"] == "system" for t in turns):
            turns.insert(0, {"role": "system", "content": system_prompt})
        return turns

    @property
    def text(self) -> str:
        """The user's (last) question: what judges and reports look at."""
        return self.prompt if self.prompt is not None else (self.messages or [Message(role="user", content="")])[-1].content


@dataclass(frozen=True)
class KeywordEntry:
    """One term of a keyword library, with its risk category and date when the library gives them."""

    term: str
    category: str | None = None
    updated: date | None = None


@dataclass(frozen=True)
class Bank:
    """The items of one bank file, in file order."""

    path: Path
    items: tuple[BankItem, ...]


def bank_schema() -> str:
    """The JSON Schema of one bank item (what ``conformance bank schema`` prints)."""
    schema = BankItem.model_json_schema()
    schema["title"] = "conformance bank item"
    schema["description"] = (
        "One item of a question bank. A bank is a JSONL file (one item per line), a CSV file (one column per "
        "field; `messages` as JSON text) or a YAML file (a list of items, or a mapping with `items:`)."
    )
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _field_error(path: Path, line: int | None, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or ("prompt" if "'prompt'" in first["msg"] else "messages" if "'messages'" in first["msg"] else "item")
    where = f"{path}:{line}" if line else str(path)
    hint = None
    if first["type"] == "extra_forbidden":
        hint = did_you_mean(str(first["loc"][-1]), BankItem.model_fields)
    elif first["type"] == "missing":
        hint = f"every item needs '{field}'"
    message = first["msg"].removeprefix("Value error, ")
    return ConfigError(f"bank {where}: field '{field}': {message}", hint)


def parse_item(raw: Any, path: Path, line: int | None) -> BankItem:
    """One item, or a ConfigError naming ``file:line`` and the field."""
    if not isinstance(raw, dict):
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"bank {where}: an item must be a mapping of field: value, got {type(raw).__name__}")
    try:
        return BankItem.model_validate(raw)
    except ValidationError as exc:
        raise _field_error(path, line, exc) from exc


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    for line, row in csv_rows(text):
        if None in row:
            raise ConfigError(f"bank {path}:{line}: more cells than the header has columns")
        item: dict[str, Any] = {k.strip(): v for k, v in row.items() if k is not None and v not in (None, "")}
        if "messages" in item:
            try:
                item["messages"] = json.loads(item["messages"])
            except json.JSONDecodeError as exc:
                raise ConfigError(f"bank {path}:{line}: field 'messages': not JSON text: {exc.msg}") from exc
        yield line, item


def _yaml_rows(path: Path) -> Iterator[tuple[int, Any]]:
    from conformance.yamlfile import read_yaml

    node, data = read_yaml(path, "bank", ConfigError)
    items_node = node
    if isinstance(data, dict):
        if set(data) - {"items"}:
            raise ConfigError(f"bank {path}: a YAML bank is a list of items or a mapping with 'items:' only",
                              did_you_mean(str(next(iter(set(data) - {"items"}))), ["items"]))
        data = data.get("items")
        items_node = next((v for k, v in node.value if k.value == "items"), None) if node is not None else None
    if data is None:
        return
    if not isinstance(data, list):
        raise ConfigError(f"bank {path}: expected a list of items")
    lines = [child.start_mark.line + 1 for child in items_node.value] if items_node is not None else [None] * len(data)
    yield from zip(lines, data)


def read_bank(path: Path) -> Bank:
    """Read one bank file (JSONL, CSV or YAML) into validated items."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"bank not found: {path}", "check the path given to --bank")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        hint = "for an AI Verify Moonshot dataset (.json) run `conformance bank import` first" if path.suffix.lower() == ".json" else None
        raise InputError(f"cannot read bank {path}: unknown file type '{path.suffix}' (use .jsonl, .csv or .yaml)", hint)
    if kind == "yaml":
        rows = _yaml_rows(path)
    else:
        text = read_text(path, f"bank {path}")
        rows = jsonl_rows(text, f"bank {path}") if kind == "jsonl" else _csv_rows(path, text)
    items, seen = [], {}
    for line, raw in rows:
        item = parse_item(raw, path, line)
        if item.id in seen:
            raise ConfigError(f"bank {path}:{line}: field 'id': '{item.id}' already used at line {seen[item.id]}",
                              "ids must be unique within a bank")
        seen[item.id] = line
        items.append(item)
    if not items:
        raise ConfigError(f"bank {path} has no items")
    return Bank(path=path, items=tuple(items))


def read_banks(paths: Iterable[Path]) -> list[Bank]:
    """Read every bank; an id used by two banks stops the run (ids identify responses in the journal)."""
    banks = [read_bank(p) for p in paths]
    owner: dict[str, Path] = {}
    for bank in banks:
        for item in bank.items:
            if item.id in owner:
                raise ConfigError(f"item id '{item.id}' is in both {owner[item.id]} and {bank.path}",
                                  "ids must be unique across the banks of a run: prefix them per bank")
            owner[item.id] = bank.path
    return banks


def check_categories(banks: Iterable[Bank], codes: Iterable[str], taxonomy: str) -> None:
    """Every item's category is a code of the taxonomy; else ConfigError naming the closest code."""
    valid = set(codes)
    for bank in banks:
        for item in bank.items:
            if item.category not in valid:
                raise ConfigError(f"bank {bank.path}: item '{item.id}': category '{item.category}' is not a code of taxonomy '{taxonomy}'",
                                  did_you_mean(item.category, valid))


def write_jsonl(items: Iterable[BankItem], path: Path) -> int:
    """Write items as a JSONL bank (atomically); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    count = 0
    with open(temporary, "w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item.model_dump(mode="json", exclude_none=True), ensure_ascii=False) + "\n")
            count += 1
    temporary.replace(path)
    return count
