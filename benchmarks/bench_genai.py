"""Generative audit benchmarks: collection throughput, keyword screening, memory at 100,000 prompts.

    python benchmarks/bench_genai.py            # all three
    python benchmarks/bench_genai.py collect    # or one: collect | keywords | memory

1. 10,000 prompts at concurrency 64 against a local OpenAI-compatible server that answers at once
   (a separate process on 127.0.0.1): wall-clock throughput, and the tool's own overhead as items
   per CPU-second of the tool's process (collection, journal, judges, checks, report; the server's
   CPU is not counted). Target: at least 2,000 items/s of overhead.
2. Keyword screening of 10,000 responses against 10,000 keywords. Target: under 1 s.
3. 100,000 prompts through the whole audit (collect, journal, judges, checks, report) in a fresh
   process; its peak resident memory. Target: under 500 MB.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "tests" / "genai" / "genai-test.yaml"
REPLY = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": "I'm sorry, but I can't help with that."},
                                 "finish_reason": "stop"}], "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}}).encode()
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(len(REPLY)).encode() + b"\r\n\r\n" + REPLY


async def _serve(port_queue) -> None:
    """An HTTP/1.1 keep-alive server that answers every request at once with the same completion."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                writer.write(RESPONSE)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    port_queue.put(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def start_server() -> tuple[multiprocessing.Process, str]:
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=lambda: asyncio.run(_serve(queue)), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{queue.get(timeout=30)}/v1"


def write_bank(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            expected = "refuse" if i % 2 else "answer"
            handle.write(json.dumps({"id": f"q{i:06d}", "prompt": f"Question number {i}: how would one do thing {i % 97}?",
                                     "language": "en" if i % 3 else "zh", "category": f"A.1.{i % 8 + 1}", "expected": expected}) + "\n")
    return path


def audit(url: str, bank: Path, out: Path, concurrency: int = 64) -> dict:
    """One whole audit in this process; returns wall and CPU seconds and the answers collected."""
    from conformance import api
    from conformance.config import build_config

    config = build_config({"banks": [str(bank)], "endpoint": url, "endpoint_model": "bench", "api_key_env": "none",
                           "profiles": [str(PROFILE)], "output": str(out), "concurrency": concurrency, "formats": "json"})
    wall, cpu = time.perf_counter(), time.process_time()
    result = api.run_audit(config)
    api.save_reports(result, out, config.formats)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "answers": result.evidence.generative.answers}


def bench_collect(n: int = 10_000) -> None:
    server, url = start_server()
    try:
        with tempfile.TemporaryDirectory() as folder:
            bank = write_bank(Path(folder) / "bank.jsonl", n)
            audit(url, write_bank(Path(folder) / "warm.jsonl", 200), Path(folder) / "warm")  # imports, connections
            figures = audit(url, bank, Path(folder) / "out")
    finally:
        server.terminate()
    assert figures["answers"] == n
    print(f"collect: {n:,} prompts at concurrency 64: {figures['wall']:.2f} s wall ({n / figures['wall']:,.0f} items/s end to end); "
          f"tool CPU {figures['cpu']:.2f} s -> overhead {n / figures['cpu']:,.0f} items per CPU-second (target >= 2,000)")


def bench_keywords(n_responses: int = 10_000, n_terms: int = 10_000) -> None:
    from conformance.genai.bank import BankItem, KeywordEntry
    from conformance.judges.keywords import KeywordJudge

    rng = random.Random(0)
    latin = "abcdefghijklmnopqrstuvwxyz"
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    terms = {"".join(rng.choice(latin) for _ in range(rng.randint(5, 10))) if i % 2 else "".join(rng.choice(han) for _ in range(rng.randint(2, 4)))
             for i in range(n_terms * 2)}
    terms = sorted(terms)[:n_terms]
    vocabulary = ["".join(rng.choice(latin) for _ in range(rng.randint(2, 9))) for _ in range(5000)] + han[:500]
    responses = []
    for _ in range(n_responses):  # ~80 words each; about one response in five holds a library term
        parts = [rng.choice(vocabulary) for _ in range(80)]
        if rng.random() < 0.2:
            parts[rng.randrange(80)] = rng.choice(terms)
        responses.append(" ".join(parts))
    item = BankItem(id="x", prompt="q", language="en", category="c", expected="any")
    started = time.perf_counter()
    judge = KeywordJudge([KeywordEntry(t, "A.1.1") for t in terms])
    built = time.perf_counter()
    unsafe = sum(1 for r in responses if judge.judge(r, item).safety == "unsafe")
    done = time.perf_counter()
    chars = sum(map(len, responses))
    print(f"keywords: {n_responses:,} responses ({chars / 1e6:.1f} M characters) x {len(terms):,} keywords: "
          f"{done - started:.3f} s (automaton {built - started:.3f} s, screening {done - built:.3f} s; {unsafe:,} unsafe) (target < 1 s)")


def bench_memory(n: int = 100_000) -> None:
    server, url = start_server()
    try:
        with tempfile.TemporaryDirectory() as folder:
            bank = write_bank(Path(folder) / "bank.jsonl", n)
            code = (f"import json, resource, sys; sys.path.insert(0, {str(ROOT)!r}); from benchmarks.bench_genai import audit; "
                    f"from pathlib import Path; f = audit({url!r}, Path({str(bank)!r}), Path({folder!r}) / 'out'); "
                    "f['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(f))")
            ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
            if ran.returncode:
                raise SystemExit(ran.stderr)
            figures = json.loads(ran.stdout.strip().splitlines()[-1])
            journal_mb = (Path(folder) / "out" / "journal.jsonl").stat().st_size / 1e6
    finally:
        server.terminate()
    assert figures["answers"] == n
    print(f"memory: {n:,} prompts, whole audit in a fresh process: peak RSS {figures['peak_mb']:.0f} MB (target < 500 MB); "
          f"{figures['wall']:.1f} s wall, journal {journal_mb:.1f} MB")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    wanted = sys.argv[1:] or ["collect", "keywords", "memory"]
    for name in wanted:
        {"collect": bench_collect, "keywords": bench_keywords, "memory": bench_memory}[name]()
