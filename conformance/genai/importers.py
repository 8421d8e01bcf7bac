"""Importers: public banks in other shapes, turned into the tool's own bank items.

- AI Verify Project Moonshot datasets (JSON: ``name``, ``license``, ``reference``, ``examples`` of
  ``{input, target}``). Moonshot keys examples by position; an imported item's id is instead the
  dataset's id and a hash of its input, stable when the examples are reordered.
- Plain CSV or JSONL with a column mapping (``prompt=goal``, ``category=type`` …) and fixed values
  for fields the file lacks (``language=en``, ``expected=refuse``).

``conformance bank import`` writes the result as a JSONL bank, which ``--bank`` then reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError, InputError
from conformance.genai.bank import BankItem, parse_item
from conformance.io.records import csv_rows, jsonl_rows, read_text

FIELDS = tuple(BankItem.model_fields)


def parse_pairs(pairs: list[str], what: str) -> dict[str, str]:
    """``FIELD=VALUE`` pairs (``--map`` / ``--set``), refusing unknown bank fields."""
    from conformance.errors import did_you_mean

    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"{what} '{pair}' is not FIELD=VALUE", "e.g. prompt=question")
        if name not in FIELDS:
            raise ConfigError(f"{what} '{pair}': '{name}' is not a bank field", did_you_mean(name, FIELDS))
        out[name] = value.strip()
    return out


def _stable_id(prefix: str, text: str, taken: set[str]) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    item_id, n = f"{prefix}-{digest[:12]}", 2
    while item_id in taken:  # the same input twice: keep both, numbered
        item_id, n = f"{prefix}-{digest[:12]}-{n}", n + 1
    taken.add(item_id)
    return item_id


def _text(path: Path) -> str:
    if not path.is_file():
        raise InputError(f"file to import not found: {path}")
    return read_text(path, str(path))


def import_moonshot(path: Path, values: dict[str, str], mapping: dict[str, str] | None = None) -> list[BankItem]:
    """A Moonshot dataset: ``input`` becomes the prompt, ``target`` the reference (or what ``--map`` says)."""
    path = Path(path)
    try:
        data = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("examples"), list):
        raise ConfigError(f"{path} is not a Moonshot dataset (no 'examples' list)")
    prefix = str(data.get("id") or path.stem)
    mapping = {"prompt": "input", "reference": "target", **(mapping or {})}
    defaults = {"source": f"{data.get('name') or prefix} ({path.name}){' ' + data['reference'] if data.get('reference') else ''}",
                "license": data.get("license") or None, **values}
    items, taken = [], set()
    for index, example in enumerate(data["examples"]):
        if not isinstance(example, dict):
            raise ConfigError(f"{path}: example {index + 1} is not an object")
        raw = _mapped(example, mapping, defaults)
        if isinstance(raw.get("reference"), (list, dict)):
            raw["reference"] = json.dumps(raw["reference"], ensure_ascii=False)
        raw.setdefault("id", _stable_id(prefix, str(raw.get("prompt")), taken))
        items.append(_parse(raw, path, f"example {index + 1}"))
    return items


def _mapped(row: dict[str, Any], mapping: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    raw = {k: v for k, v in values.items() if v not in (None, "")}
    for field, column in mapping.items():
        value = row.get(column)
        if value not in (None, ""):
            raw[field] = value if not isinstance(value, (int, float)) else str(value)
    return raw


def _parse(raw: dict[str, Any], path: Path, where: str) -> BankItem:
    try:
        return parse_item(raw, path, None)
    except ConfigError as exc:
        raise ConfigError(exc.message.replace(f"bank {path}:", f"{path} {where}:", 1).replace(f"bank {path}", f"{path} {where}", 1), exc.hint) from exc


def _table_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    text = _text(path)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        yield from jsonl_rows(text, str(path))
    else:
        yield from csv_rows(text)


def import_table(path: Path, mapping: dict[str, str], values: dict[str, str], id_prefix: str | None = None) -> list[BankItem]:
    """Rows of a CSV/JSONL file, fields taken from the mapped columns (``field=column``) and fixed values."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".jsonl", ".ndjson"):
        raise InputError(f"cannot import {path}: unknown file type '{path.suffix}'", "import .csv, .jsonl or a Moonshot .json")
    prefix = id_prefix or path.stem
    items, taken = [], set()
    for line, row in _table_rows(path):
        if not isinstance(row, dict):
            raise ConfigError(f"{path}:{line}: not an object")
        raw = _mapped(row, mapping, values)
        if "id" not in raw:
            raw["id"] = _stable_id(prefix, str(raw.get("prompt")), taken)
        items.append(_parse(raw, path, f"line {line}"))
    if not items:
        raise ConfigError(f"{path} has no rows to import")
    return items
