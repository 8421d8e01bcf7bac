"""Rows of the record files an auditor hands in (banks, recorded responses, annotations, imports):
JSON Lines or CSV, each row with the line an editor shows it on, so every error can say file:line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError, InputError


def read_text(path: Path, what: str) -> str:
    """A user's text file as UTF-8 (a byte-order mark allowed), or one line saying it is not."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 text", "save the file as UTF-8") from exc


def jsonl_rows(text: str, where: str) -> Iterator[tuple[int, Any]]:
    """(line, value) of each non-blank line of JSON Lines text; ``where`` names the file in errors."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}:{number}: not a JSON object: {exc.msg}", "one JSON object per line") from exc
        except RecursionError as exc:
            raise ConfigError(f"{where}:{number}: JSON nested too deep", "one flat JSON object per line") from exc


def csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, row) of CSV text with a header row; the line is where the row starts (a quoted cell may span lines)."""
    reader = csv.DictReader(io.StringIO(text))
    start = 2
    for row in reader:
        line, start = start, reader.line_num + 1
        yield line, row
