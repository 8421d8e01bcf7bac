"""A replay server: recorded responses served over real HTTP as an OpenAI-compatible endpoint.

It answers ``POST …/chat/completions`` with the recorded response to the request's last user
message, so the whole endpoint path (connector, retries, journal) runs against real sockets
without a model. It binds 127.0.0.1 only, on a free port, in a background thread; used by
``conformance demo --genai`` and the tests. It is a replay: it never generates anything.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet: the audit prints what matters
        return None

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        try:
            request = json.loads(self.rfile.read(length))
            messages = request["messages"]
        except (json.JSONDecodeError, KeyError, TypeError):
            self._send(400, {"error": {"message": "not a chat completion request"}})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        if request.get("model") != self.server.model:
            self._send(404, {"error": {"message": f"model '{request.get('model')}' not found"}})
            return
        prompt = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), None)
        answer = self.server.answers.get(prompt)
        if answer is None:
            self._send(400, {"error": {"message": "no recorded response for this prompt"}})
            return
        self.server.count()
        self._send(200, {
            "id": f"replay-{self.server.served}", "object": "chat.completion", "created": int(time.time()),
            "model": self.server.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(answer.split()),
                      "total_tokens": len(prompt.split()) + len(answer.split())},
        })


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answers: dict[str, str], model: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers, self.model, self.served = answers, model, 0
        self._lock = threading.Lock()

    def count(self) -> None:
        with self._lock:
            self.served += 1


class ReplayServer:
    """``with ReplayServer({prompt: response}, "model-name") as url:`` serves at ``url`` (…/v1)."""

    def __init__(self, answers: dict[str, str], model: str) -> None:
        self._server = _Server(answers, model)
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def served(self) -> int:
        return self._server.served

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
