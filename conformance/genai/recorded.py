"""Recorded responses: the answers of a system the auditor cannot reach, from a file.

JSONL or CSV with ``id`` (a bank item id), ``response`` and optionally ``prompt``, ``epoch`` (for
repeated answers) and ``error`` (a recorded failure). An id that is in no bank, or the same
(id, epoch) twice, stops the run with file:line (exit 2): a black-box audit must judge exactly the
answers it was given.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError, InputError, did_you_mean
from conformance.genai.context import Answer


def _rows(path: Path, text: str) -> list[tuple[int, Any]]:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        out = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    out.append((number, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"responses {path}:{number}: not a JSON object: {exc.msg}", "one JSON object per line") from exc
        return out
    if path.suffix.lower() != ".csv":
        raise InputError(f"cannot read responses {path}: unknown file type '{path.suffix}'", "use .jsonl or .csv")
    reader = csv.DictReader(io.StringIO(text))
    out, line = [], 2
    for row in reader:
        out.append((line, row))
        line = reader.line_num + 1
    return out


def read_responses(path: Path, known: set[str]) -> dict[tuple[str, int], Answer]:
    """Answers keyed by (item id, epoch)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"responses file not found: {path}", "check the path given to --responses")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"responses {path} are not UTF-8 text", "save the file as UTF-8") from exc
    answers: dict[tuple[str, int], Answer] = {}
    lines: dict[tuple[str, int], int] = {}
    for line, row in _rows(path, text):
        where = f"responses {path}:{line}"
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: expected an object with 'id' and 'response'")
        item = str(row.get("id") or "").strip()
        if not item:
            raise ConfigError(f"{where}: field 'id' is missing", "columns: id, response[, prompt, epoch, error]")
        if item not in known:
            raise ConfigError(f"{where}: id '{item}' is in no bank", did_you_mean(item, known))
        try:
            epoch = int(row.get("epoch") or 0)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: field 'epoch' is not a whole number") from exc
        if (item, epoch) in answers:
            raise ConfigError(f"{where}: id '{item}'{f' epoch {epoch}' if epoch else ''} is already answered at line {lines[(item, epoch)]}",
                              "keep one response per item (add an 'epoch' column for repeated answers)")
        error = row.get("error") or None
        response = row.get("response")
        if error is None and not isinstance(response, str):
            raise ConfigError(f"{where}: field 'response' is missing (give the text, or an 'error')")
        answers[(item, epoch)] = Answer(item, epoch, None if error else response, f"fatal: {error}" if error else None)
        lines[(item, epoch)] = line
    if not answers:
        raise ConfigError(f"responses {path} hold no response")
    return answers
