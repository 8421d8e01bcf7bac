"""Recorded responses: the answers of a system the auditor cannot reach, from a file.

JSONL or CSV with ``id`` (a bank item id), ``response`` and optionally ``prompt``, ``epoch`` (for
repeated answers) and ``error`` (a recorded failure). An id that is in no bank, or the same
(id, epoch) twice, stops the run with file:line (exit 2): a black-box audit must judge exactly the
answers it was given.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError, InputError, did_you_mean
from conformance.genai.context import Answer
from conformance.io.records import csv_rows, jsonl_rows, read_text


def _rows(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return jsonl_rows(text, f"responses {path}")
    if path.suffix.lower() != ".csv":
        raise InputError(f"cannot read responses {path}: unknown file type '{path.suffix}'", "use .jsonl or .csv")
    return csv_rows(text)


def read_responses(path: Path, known: set[str]) -> dict[tuple[str, int], Answer]:
    """Answers keyed by (item id, epoch)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"responses file not found: {path}", "check the path given to --responses")
    text = read_text(path, f"responses {path}")
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
