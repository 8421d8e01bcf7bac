"""The look-up page as a person sees it: served by a real registry, opened in headless Chromium,
in English and Chinese; it loads nothing but itself, runs no script, and shows every hostile field
as text."""

from __future__ import annotations

import importlib.util
import json
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import EU_BODY, HOSTILE, Server, token_for

_CDP = Path(__file__).resolve().parents[1] / "report" / "cdp.py"


def _cdp():
    """The report tests' DevTools client (tests/report/cdp.py), loaded by path."""
    import sys

    if "registry_cdp" not in sys.modules:
        spec = importlib.util.spec_from_file_location("registry_cdp", _CDP)
        module = importlib.util.module_from_spec(spec)
        sys.modules["registry_cdp"] = module
        spec.loader.exec_module(module)
    return sys.modules["registry_cdp"]


def _browser() -> str:
    import os

    found = _cdp().find_browser()
    if found:
        return found
    if os.environ.get("CONFORMANCE_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium is required (CONFORMANCE_REQUIRE_BROWSER=1) but not installed")
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")


PROBE = """JSON.stringify({
  title: document.title,
  scripts: document.scripts.length,
  images: document.images.length,
  subject: document.getElementById('subject').textContent,
  issuer: document.getElementById('issuer').textContent,
  status: document.getElementById('status').textContent,
  reasons: Array.from(document.querySelectorAll('#history tr td:nth-child(4)')).map(td => td.textContent),
  alerted: typeof window.__alerted !== 'undefined'
})"""


def _open(url: str, browser: str) -> tuple[dict, list[str], list[str]]:
    cdp = _cdp()
    with tempfile.TemporaryDirectory(prefix="cdp-") as tmp:
        pipe = cdp.Pipe(browser, Path(tmp))
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log"):
                pipe.call(f"{domain}.enable", session=session)
            pipe.call("Page.addScriptToEvaluateOnNewDocument",
                      {"source": "window.alert = () => { window.__alerted = true; };"}, session=session)
            pipe.call("Page.navigate", {"url": url}, session=session)
            deadline, loaded = time.monotonic() + 60, None
            while time.monotonic() < deadline:
                message = pipe.read(0.2)
                if message is not None:
                    pipe.events.append(message)
                    if message.get("method") == "Page.loadEventFired" and loaded is None:
                        loaded = time.monotonic()
                if loaded is not None and time.monotonic() > loaded + 0.5:
                    break
            assert loaded is not None, "the page did not load"
            probe = pipe.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session=session)
        finally:
            pipe.close()
    requests = [e["params"]["request"]["url"] for e in pipe.events if e.get("method") == "Network.requestWillBeSent"]
    errors = [e for e in pipe.events if e.get("method") in ("Runtime.exceptionThrown",)
              or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error")]
    return json.loads(probe["result"]["value"]), requests, [json.dumps(e)[:200] for e in errors]


def test_the_page_in_chromium_shows_hostile_fields_as_text_and_loads_nothing(tmp_path, trust, bundles, bodies):
    browser = _browser()
    database = str(tmp_path / "registry.sqlite")
    token = token_for(database, trust, EU_BODY)
    server = Server(database, trust, tmp_path / "log").start()
    try:
        request = urllib.request.Request(server.url + "/api/v1/certificates", method="POST",
                                         data=bundles.make(bodies["EU"], subject=HOSTILE).read_bytes(),
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            cid = json.loads(response.read())["id"]
        change = urllib.request.Request(f"{server.url}/api/v1/certificates/{cid}/status", method="POST",
                                        data=json.dumps({"status": "suspended", "reason": HOSTILE}).encode(),
                                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        urllib.request.urlopen(change, timeout=60).close()
        for lang, title, suspended in (("en", f"Certificate {cid}", "SUSPENDED"), ("zh", f"证书 {cid}", "已暂停")):
            url = f"{server.url}/certificates/{cid}?lang={lang}"
            seen, requests, errors = _open(url, browser)
            assert requests == [url], requests
            assert errors == []
            assert seen["title"] == title
            assert seen["scripts"] == 0 and seen["images"] == 0 and seen["alerted"] is False
            assert seen["subject"] == HOSTILE
            assert seen["issuer"] == EU_BODY
            assert seen["status"] == suspended
            assert seen["reasons"][-1] == HOSTILE
    finally:
        server.stop()
