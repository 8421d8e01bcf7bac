"""Talk to a registry over HTTP (stdlib only, so submitting needs no extra)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from conformance.errors import ConformanceError, InputError


class RegistryRefused(ConformanceError):
    """The registry refused the request; its reason is the message."""

    exit_code = 1


def _call(method: str, url: str, token: str | None, body: bytes | None, content_type: str) -> dict:
    if not url.startswith(("http://", "https://")):
        raise InputError(f"not a registry URL: {url}", "give --url http(s)://HOST:PORT")
    request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": content_type})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - http(s) only, checked above
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            reason = exc.reason
        raise RegistryRefused(f"the registry refused it (HTTP {exc.code}): {reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise InputError(f"cannot reach the registry at {url}: {getattr(exc, 'reason', exc)}",
                         "check --url, and that 'conformance registry serve' runs") from exc


def submit(bundle: Path, url: str, token: str) -> dict:
    bundle = Path(bundle)
    if not bundle.is_file():
        raise InputError(f"bundle not found: {bundle}", "make one with 'conformance bundle'")
    return _call("POST", url.rstrip("/") + "/api/v1/certificates", token, bundle.read_bytes(), "application/zip")


def change_status(certificate: str, status: str, reason: str, url: str, token: str) -> dict:
    body = json.dumps({"status": status, "reason": reason}).encode("utf-8")
    return _call("POST", f"{url.rstrip('/')}/api/v1/certificates/{certificate}/status", token, body, "application/json")
