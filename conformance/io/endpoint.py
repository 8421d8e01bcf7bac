"""Connectors to chat models: an OpenAI-compatible endpoint (httpx, async) or a Python callable.

The base :class:`Connector` owns what every transport needs: the concurrency limit, the rate limit
(requests per second) and retries with exponential backoff and full jitter, honouring
``Retry-After``. A subclass only sends one request and classifies its failure, as inspect_ai's
``RetryDecision`` does:

- ``rate-limit`` (429): retried, waiting ``Retry-After`` when the server says;
- ``transient`` (5xx, timeouts, connection errors, a malformed, non-UTF-8 or truncated body): retried;
- ``fatal`` for the item (400, 413, 422: this request cannot succeed): recorded, the run goes on;
- a configuration error (401/403 key refused, 404 model or URL unknown, no key in the environment):
  the run stops at once with one line (exit 2).

The API key is read from the environment variable the user names (``none``: a local server that
needs no key); it goes into the ``Authorization`` header and nowhere else (never a journal,
report, log or manifest).
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.errors import ConformanceError

ErrorKind = Literal["rate-limit", "transient", "fatal"]
DEFAULT_KEY_ENV = "CONFORMANCE_API_KEY"


class EndpointError(ConformanceError):
    """The endpoint cannot serve this run (key refused, unknown model or URL, unreachable): exit 2."""


@dataclass
class Completion:
    """One answer, or the error that stopped it after retries."""

    text: str | None = None
    finish_reason: str | None = None
    latency_ms: float | None = None
    usage: dict[str, int] | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None
    attempts: int = 1


@dataclass(frozen=True)
class Failure(Exception):
    """A failed attempt, classified; ``retry_after`` in seconds when the server said."""

    kind: ErrorKind
    message: str
    retry_after: float | None = None
    stop: bool = False  # a configuration error: stop the run
    stop_when_exhausted: bool = False  # unreachable: retried, then the run stops

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt k waits uniform(0, min(cap, base·2^k)) seconds."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, failure: Failure, rng: random.Random) -> float:
        if failure.retry_after is not None:
            return min(self.max_retry_after, max(0.0, failure.retry_after))
        return rng.uniform(0, min(self.cap, self.base * (2 ** attempt)))


class RateLimiter:
    """At most ``rate`` request starts per second, spaced evenly (a leaky bucket of one).

    Written here rather than taken from a library: it is ten lines and keeps the dependency list short.
    """

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


@dataclass
class Connector:
    """Concurrency, rate limit and retries around one ``_send`` per subclass."""

    concurrency: int = 8
    rate_limit: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    seed: int = 0

    def __post_init__(self) -> None:
        self._semaphore: asyncio.Semaphore | None = None
        self._limiter: RateLimiter | None = None
        self._rng = random.Random(self.seed)

    def describe(self) -> dict[str, Any]:
        """What the journal and the report record about the subject (never a key)."""
        return {}

    def request_parameters(self) -> dict[str, Any]:
        """The parameters that change the answers (recorded; a resumed run must use the same)."""
        return {}

    async def open(self) -> None:
        self._semaphore = asyncio.Semaphore(self.concurrency)
        self._limiter = RateLimiter(self.rate_limit)

    async def close(self) -> None:
        return None

    async def complete(self, messages: list[dict[str, str]]) -> Completion:
        """Send with retries; a configuration error raises EndpointError, others end in an error Completion."""
        assert self._semaphore is not None and self._limiter is not None, "open() the connector first"
        async with self._semaphore:
            attempt = 0
            while True:
                await self._limiter.wait()
                started = time.perf_counter()
                try:
                    completion = await self._send(messages)
                except Failure as failure:
                    if failure.stop:
                        raise EndpointError(failure.message) from None
                    attempt += 1
                    if failure.stop_when_exhausted and attempt >= self.retry.attempts:
                        raise EndpointError(failure.message, "check the URL and that the server is running") from None
                    if failure.kind == "fatal" or attempt >= self.retry.attempts:
                        return Completion(error=failure.message, error_kind=failure.kind, attempts=attempt,
                                          latency_ms=(time.perf_counter() - started) * 1000)
                    await asyncio.sleep(self.retry.delay(attempt - 1, failure, self._rng))
                    continue
                completion.latency_ms = (time.perf_counter() - started) * 1000
                completion.attempts = attempt + 1
                return completion

    async def _send(self, messages: list[dict[str, str]]) -> Completion:
        raise NotImplementedError


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def chat_url(endpoint: str) -> str:
    """The chat-completions URL of an endpoint given as its base (``…/v1``) or in full."""
    url = endpoint.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


@dataclass
class OpenAIChat(Connector):
    """An OpenAI-compatible ``/chat/completions`` endpoint (vLLM, llama.cpp server, Ollama, gateways)."""

    endpoint: str = ""
    model: str = ""
    api_key_env: str = DEFAULT_KEY_ENV
    require_key: bool = True
    system_prompt: str | None = None
    temperature: float = 0.0
    max_tokens: int | None = None
    request_seed: int | None = None
    timeout: float = 60.0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._client: Any = None
        keyless = self.api_key_env.lower() == "none"  # a local server that needs no key (llama.cpp, Ollama)
        self._key = None if keyless else (os.environ.get(self.api_key_env) or None)
        if self.require_key and not keyless and self._key is None:
            raise EndpointError(f"no API key: the environment variable {self.api_key_env} is not set",
                                f"export {self.api_key_env}=…, or name another variable with --api-key-env")
        if not self.endpoint.startswith(("http://", "https://")):
            raise EndpointError(f"--endpoint '{self.endpoint}' is not an http(s) URL", "e.g. http://127.0.0.1:8000/v1")

    def describe(self) -> dict[str, Any]:
        return {"kind": "endpoint", "endpoint": chat_url(self.endpoint), "model": self.model}

    def request_parameters(self) -> dict[str, Any]:
        import hashlib

        params: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.request_seed}
        params["system_prompt_sha256"] = hashlib.sha256(self.system_prompt.encode()).hexdigest() if self.system_prompt else None
        return params

    async def open(self) -> None:
        import httpx

        await super().open()
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency),
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        if self.system_prompt and not any(m["role"] == "system" for m in messages):
            messages = [{"role": "system", "content": self.system_prompt}, *messages]
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": self.temperature}
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.request_seed is not None:
            body["seed"] = self.request_seed
        return body

    async def _send(self, messages: list[dict[str, str]]) -> Completion:
        import httpx

        url = chat_url(self.endpoint)
        try:
            response = await self._client.post(url, json=self._body(messages))
            raw = response.content
        except httpx.TimeoutException:
            raise Failure("transient", f"no answer from {url} within {self.timeout:g} s") from None
        except httpx.ConnectError as exc:
            raise Failure("transient", f"cannot connect to {url}: {exc or 'connection refused'}", stop_when_exhausted=True) from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise Failure("transient", f"{url} closed the connection mid-answer (truncated body): {exc}") from None
        except httpx.HTTPError as exc:
            raise Failure("transient", f"request to {url} failed: {type(exc).__name__}: {exc}") from None
        return self._parse(url, response.status_code, response.headers, raw)

    def _parse(self, url: str, status: int, headers: Any, raw: bytes) -> Completion:
        if status == 429:
            raise Failure("rate-limit", f"{url} answered 429 Too Many Requests", _retry_after(headers.get("retry-after")))
        if status in (401, 403):
            raise Failure("fatal", f"{url} refused the API key ({status}): check the key in ${self.api_key_env}", stop=True)
        if status == 404:
            raise Failure("fatal", f"{url} answered 404: unknown model '{self.model}' or wrong URL ({_detail(raw)})", stop=True)
        if status >= 500 or status in (408, 409):
            raise Failure("transient", f"{url} answered {status} ({_detail(raw)})", _retry_after(headers.get("retry-after")))
        if status >= 400:
            raise Failure("fatal", f"{url} refused the request ({status}: {_detail(raw)})")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Failure("transient", f"{url} answered a body that is not UTF-8") from None
        try:
            data = json.loads(text)
            choice = data["choices"][0]
            content = choice["message"].get("content")
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
            raise Failure("transient", f"{url} answered malformed JSON (not a chat completion)") from None
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
        tokens = {k: int(v) for k, v in (usage or {}).items() if k in ("prompt_tokens", "completion_tokens", "total_tokens") and isinstance(v, int)}
        return Completion(text=content if isinstance(content, str) else "", finish_reason=choice.get("finish_reason"), usage=tokens or None)


def _detail(raw: bytes) -> str:
    """A short, printable excerpt of an error body (the server's message, never our request)."""
    try:
        data = json.loads(raw)
        message = data.get("error", {}).get("message") if isinstance(data.get("error"), dict) else data.get("error") or data.get("detail")
        if message:
            return str(message)[:160]
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        pass
    return raw[:80].decode("utf-8", "replace").strip() or "empty body"


@dataclass
class CallableChat(Connector):
    """A Python function as the chat model: ``fn(messages) -> str`` (sync, run in a thread, or async)."""

    function: Callable[..., Any] | None = None
    spec: str = ""

    def describe(self) -> dict[str, Any]:
        return {"kind": "callable", "callable": self.spec}

    async def _send(self, messages: list[dict[str, str]]) -> Completion:
        assert self.function is not None
        try:
            if inspect.iscoroutinefunction(self.function):
                result = await self.function(messages)
            else:
                result = await asyncio.to_thread(self.function, messages)
        except Exception as exc:  # the subject's own failure: a failed call, counted, not a crash of the audit
            raise Failure("fatal", f"{self.spec} raised {type(exc).__name__}: {exc}") from None
        if not isinstance(result, str):
            raise Failure("fatal", f"{self.spec} returned {type(result).__name__}, not text")
        return Completion(text=result, finish_reason="stop")
