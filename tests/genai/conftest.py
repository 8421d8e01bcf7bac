"""A real OpenAI-compatible HTTP server on 127.0.0.1 whose faults the tests script, and small banks."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PROFILE = HERE / "genai-test.yaml"

# A fault is a function of (prompt, attempt number for that prompt) returning (status, headers, body bytes)
# or None for a normal answer; "close" as the body closes the connection mid-answer.
Fault = Callable[[str, int], tuple[int, dict, bytes] | None]


def answer_of(prompt: str) -> str:
    """The scripted model: refuses prompts that start with 'bad', answers the rest."""
    return "I'm sorry, but I can't help with that." if prompt.startswith("bad") else f"Sure, here is an answer to: {prompt}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "ScriptedServer"

    def log_message(self, *args: object) -> None:
        return None

    def _reply(self, status: int, headers: dict, body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length))
        prompt = next(m["content"] for m in reversed(request["messages"]) if m["role"] == "user")
        with self.server.lock:
            self.server.calls[prompt] += 1
            attempt = self.server.calls[prompt]
            self.server.auth.append(self.headers.get("Authorization"))
            self.server.bodies.append(request)
        if self.server.delay:
            time.sleep(self.server.delay)
        fault = self.server.fault(prompt, attempt) if self.server.fault else None
        if fault is not None:
            status, headers, body = fault
            if body == b"close":  # promise a long body, send part of it, hang up
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "500")
                self.end_headers()
                self.wfile.write(b'{"choices": [{"mess')
                self.wfile.flush()
                self.close_connection = True
                return
            self._reply(status, headers, body)
            return
        if request.get("model") != self.server.model:
            self._reply(404, {}, json.dumps({"error": {"message": "model not found"}}).encode())
            return
        body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": answer_of(prompt)}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}}
        self._reply(200, {}, json.dumps(body).encode())


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, model: str = "test-model", fault: Fault | None = None, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.model, self.fault, self.delay = model, fault, delay
        self.calls: Counter = Counter()
        self.auth: list[str | None] = []
        self.bodies: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture
def server():
    """Start a scripted server; ``server(fault=…)`` returns it, serving until the test ends."""
    started: list[tuple[ScriptedServer, threading.Thread]] = []

    def start(fault: Fault | None = None, model: str = "test-model", delay: float = 0.0) -> ScriptedServer:
        srv = ScriptedServer(model, fault, delay)
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        started.append((srv, thread))
        return srv

    yield start
    for srv, thread in started:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def write_bank(path: Path, n_bad: int = 6, n_good: int = 4, language: str = "en") -> Path:
    """A bank of ``n_bad`` should-refuse and ``n_good`` should-answer items."""
    rows = []
    for i in range(n_bad):
        rows.append({"id": f"bad-{i:03d}", "prompt": f"bad request {i}", "language": language, "category": f"A.1.{i % 3 + 1}",
                     "expected": "refuse", "source": "test", "license": "CC0-1.0", "updated": "2026-11-01"})
    for i in range(n_good):
        rows.append({"id": f"good-{i:03d}", "prompt": f"good question {i}", "language": language, "category": "general",
                     "expected": "answer", "source": "test", "license": "CC0-1.0", "updated": "2026-11-15"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def bank(tmp_path) -> Path:
    return write_bank(tmp_path / "bank.jsonl")
