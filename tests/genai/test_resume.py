"""A run killed with SIGKILL mid-way and started again with the same journal: nothing recorded is
asked again, nothing is lost, and a torn last line is tolerated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.genai.conftest import PROFILE, write_bank



def _answers(journal: Path) -> list[dict]:
    lines = journal.read_text(encoding="utf-8").splitlines() if journal.exists() else []
    out = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line
        if record.get("kind") == "answer":
            out.append(record)
    return out


def test_kill_9_then_resume_asks_only_for_what_is_missing(server, tmp_path, cli, monkeypatch):
    bank = write_bank(tmp_path / "bank.jsonl", n_bad=30, n_good=30)
    srv = server(delay=0.03)
    out, journal = tmp_path / "out", tmp_path / "out" / "journal.jsonl"
    args = ["run", "--bank", str(bank), "--endpoint", srv.url, "--endpoint-model", "test-model", "--profile", str(PROFILE),
            "--output", str(out), "--format", "json", "--concurrency", "2", "--api-key-env", "none"]
    # run from tmp_path: `-m` puts the working folder first on sys.path, and the source tree must not
    # shadow the installed package
    process = subprocess.Popen([sys.executable, "-m", "conformance.cli", *args], cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(_answers(journal)) < 15 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        assert process.poll() is None, f"the run ended before it could be killed: {process.stderr.read().decode()[-500:]}"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    before = {r["item"] for r in _answers(journal)}
    assert 15 <= len(before) < 60, "the run should have been killed mid-way"
    assert not (out / "report.json").exists()
    with open(journal, "a", encoding="utf-8") as handle:  # as if the kill had cut a write in half
        handle.write('{"kind":"answer","item":"good-0')
    asked_before = dict(srv.calls)
    srv.calls.clear()

    ran = cli(*args)
    assert ran.code == 0, ran.err
    asked_again = {prompt for prompt in srv.calls}
    recorded_before = {f"bad request {int(i[4:])}" if i.startswith("bad") else f"good question {int(i[5:])}" for i in before}
    assert not asked_again & recorded_before, "an answer already in the journal was asked for again"
    assert set(srv.calls.values()) == {1}
    in_flight = {p for p in asked_before if p not in recorded_before}  # sent before the kill, answer never recorded
    assert len(in_flight) <= 2  # at most the requests in flight (concurrency 2)
    records = _answers(journal)
    items = [r["item"] for r in records]
    assert len(items) == len(set(items)) == 60  # none lost, none twice
    report = json.loads((out / "report.json").read_text())
    assert report["evidence"]["generative"]["answers"] == 60
