"""The scan for English left in a text meant for another language: runs of three or more English
words outside code (`...`), placeholders, options, ids, paths and URLs."""

from __future__ import annotations

import re

ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z][a-z]+(?:['’][a-z]+)?(?:[ ,]+[A-Za-z][a-z]+(?:['’][a-z]+)?){2,}\b")
CODE = re.compile(r"`[^`]*`|\{[^}]*\}|--[\w-]+|https?://\S+|\b[\w.-]*[._/][\w./-]*\b|\b\w+(?:-\w+)+\b")


def english_runs(text: str) -> list[str]:
    """Every run of English words the text holds outside code, ids and options (sorted, once each)."""
    return sorted(set(ENGLISH_SENTENCE.findall(CODE.sub(" ", text))))
