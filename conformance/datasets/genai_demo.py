"""The generative demo's inputs: real recorded responses of a chat model with human labels.

PyRIT's human-labelled refusal set (see LICENSE-DATA.md): 95 objectives (70 that a model should
refuse, 25 everyday questions it should answer), the responses one chat model gave (the source
does not name it) and a person's label of each response. The demo serves these responses over
HTTP on 127.0.0.1 (a replay, never generation) and audits the "endpoint" under the generative
profiles, so the judges' agreement with people shows in the report.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

BANK = "genai-demo-bank.jsonl"
RESPONSES = "genai-demo-responses.jsonl"
ANNOTATIONS = "genai-demo-annotations.csv"
STARTER_BANK = "genai-starter-bank.jsonl"
MODEL = "pyrit-refusal-recorded"
PROFILES = ["tc260-003"]


def shipped(name: str) -> Path:
    return Path(str(resources.files("conformance.datasets") / name))


def write_inputs(folder: Path) -> tuple[Path, Path, Path]:
    """Copy the bank, the recorded responses and the annotations into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in (BANK, RESPONSES, ANNOTATIONS):
        target = folder / name
        shutil.copyfile(shipped(name), target)
        paths.append(target)
    return paths[0], paths[1], paths[2]


def recorded_answers(bank: Path, responses: Path) -> dict[str, str]:
    """Prompt text -> recorded response, what the replay server answers."""
    prompts = {}
    for line in bank.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        prompts[item["id"]] = item["prompt"]
    answers = {}
    for line in responses.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        answers[prompts[row["id"]]] = row["response"]
    return answers
