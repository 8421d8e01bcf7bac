"""Connectors to chat models: an OpenAI-compatible endpoint (aiohttp, async) or a Python callable.

aiohttp rather than httpx: at concurrency 64 against a local server httpx spent ~1.4 ms of CPU per
request (730 requests per CPU-second, even with its pool split in eight) and aiohttp ~0.25 ms
(4,000 per CPU-second); the overhead target of the collection is 2,000 items per second.

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
from abc import ABC, abstractmethod
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
class Connector(ABC):
    """Concurrency, rate limit and retries around one ``_send`` per subclass."""

    concurrency: int = 8
    rate_limit: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    seed: int = 0

    def __post_init__(self) -> None:
        self._slots: asyncio.Queue | None = None
        self._limiter: RateLimiter | None = None
        self._rng = random.Random(self.seed)

    def describe(self) -> dict[str, Any]:
        """What the journal and the report record about the subject (never a key)."""
        return {}

    def request_parameters(self) -> dict[str, Any]:
        """The parameters that change the answers (recorded; a resumed run must use the same)."""
        return {}

    async def open(self) -> None:
        self._slots = asyncio.Queue()
        for slot in range(self.concurrency):  # a slot is a permission to have one request in flight
            self._slots.put_nowait(slot)
        self._limiter = RateLimiter(self.rate_limit)

    async def close(self) -> None:
        return None

    async def complete(self, messages: list[dict[str, str]]) -> Completion:
        """Send with retries; a configuration error raises EndpointError, others end in an error Completion."""
        assert self._slots is not None and self._limiter is not None, "open() the connector first"
        slot = await self._slots.get()
        try:
            return await self._complete(messages, slot)
        finally:
            self._slots.put_nowait(slot)

    async def _complete(self, messages: list[dict[str, str]], slot: int) -> Completion:
        assert self._limiter is not None
        attempt = 0
        while True:
            await self._limiter.wait()
            started = time.perf_counter()
            try:
                completion = await self._send(messages, slot)
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

    @abstractmethod
    async def _send(self, messages: list[dict[str, str]], slot: int = 0) -> Completion:
        """One request, translated for the transport; failures classified as rate-limit, transient or fatal."""


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
        self._session: Any = None
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
        import aiohttp

        await super().open()
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        self._session = aiohttp.ClientSession(
            headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit=self.concurrency), raise_for_status=False,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        if self.system_prompt and not any(m["role"] == "system" for m in messages):
            messages = [{"role": "system", "content": self.system_prompt}, *messages]
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": self.temperature}
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.request_seed is not None:
            body["seed"] = self.request_seed
        return body

    async def _send(self, messages: list[dict[str, str]], slot: int = 0) -> Completion:
        import aiohttp

        url = chat_url(self.endpoint)
        try:
            async with self._session.post(url, json=self._body(messages)) as response:
                raw = await response.read()
                status, headers = response.status, response.headers
        except asyncio.TimeoutError:
            raise Failure("transient", f"no answer from {url} within {self.timeout:g} s") from None
        except aiohttp.ClientConnectorError as exc:
            raise Failure("transient", f"cannot connect to {url}: {exc.os_error or exc}", stop_when_exhausted=True) from None
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as exc:
            raise Failure("transient", f"{url} closed the connection mid-answer (truncated body): {exc}") from None
        except aiohttp.ClientError as exc:
            raise Failure("transient", f"request to {url} failed: {type(exc).__name__}: {exc}") from None
        return self._parse(url, status, headers, raw)

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

    async def _send(self, messages: list[dict[str, str]], slot: int = 0) -> Completion:
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
