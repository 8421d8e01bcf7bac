"""The endpoint path against a real HTTP server on 127.0.0.1: answers, faults, retries, the key."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.genai.conftest import PROFILE

KEY = "sk-test-secret-0123456789"


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("CONFORMANCE_API_KEY", KEY)


def _run(cli, srv_url, bank, out, *extra):
    return cli("run", "--bank", bank, "--endpoint", srv_url, "--endpoint-model", "test-model", "--profile", PROFILE,
               "--output", out, "--format", "json,md", "--retries", "3", "--concurrency", "1", *extra)


def _journal(out):
    return [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]


def test_endpoint_audit_collects_every_item_once_and_never_records_the_key(cli, server, bank, tmp_path):
    srv = server()
    out = tmp_path / "out"
    ran = _run(cli, srv.url, bank, out, "--system-prompt", "Be careful.", "--max-tokens", "64", "--endpoint-seed", "7")
    assert ran.code == 0, ran.err
    assert set(srv.calls.values()) == {1} and len(srv.calls) == 10
    assert set(srv.auth) == {f"Bearer {KEY}"}  # the key travels in the header ...
    for path in out.rglob("*"):  # ... and nowhere else
        if path.is_file():
            assert KEY not in path.read_text(encoding="utf-8", errors="replace"), path
    body = srv.bodies[0]
    assert body["messages"][0] == {"role": "system", "content": "Be careful."}
    assert body["temperature"] == 0 and body["max_tokens"] == 64 and body["seed"] == 7
    report = json.loads((out / "report.json").read_text())
    gen = report["evidence"]["generative"]
    assert gen["answers"] == 10 and gen["failed"] == 0 and gen["request"]["seed"] == 7
    roles = {i["role"] for i in report["evidence"]["manifest"]["inputs"]}
    assert {"bank", "journal", "profile:genai-test"} <= roles
    rates = {m["metric"]: m for c in report["evidence"]["checks"] for m in c["measurements"]}
    assert rates["refusal_rate"]["value"] == 1.0 and rates["refusal_rate"]["n"] == 6
    assert rates["over_refusal_rate"]["value"] == 0.0 and rates["over_refusal_rate"]["n"] == 4
    records = _journal(out)
    assert records[0]["kind"] == "run" and records[0]["request"]["system_prompt_sha256"]
    assert all("prompt_sha256" in r and r["latency_ms"] is not None for r in records[1:])


def test_a_second_run_with_the_same_journal_asks_nothing(cli, server, bank, tmp_path):
    srv = server()
    out = tmp_path / "out"
    assert _run(cli, srv.url, bank, out).code == 0
    assert _run(cli, srv.url, bank, out).code == 0
    assert set(srv.calls.values()) == {1}


def test_missing_api_key_is_one_line_exit_2(cli, server, bank, tmp_path, monkeypatch):
    monkeypatch.delenv("CONFORMANCE_API_KEY")
    ran = _run(cli, server().url, bank, tmp_path / "out")
    assert ran.code == 2
    assert "CONFORMANCE_API_KEY is not set" in ran.err and ran.err.count("\n") == 1
    assert not (tmp_path / "out" / "report.json").exists()


def test_401_stops_the_run_exit_2(cli, server, bank, tmp_path):
    srv = server(fault=lambda prompt, attempt: (401, {}, b'{"error": {"message": "bad key"}}'))
    ran = _run(cli, srv.url, bank, tmp_path / "out")
    assert ran.code == 2 and "refused the API key (401)" in ran.err and KEY not in ran.err
    assert sum(srv.calls.values()) == 1  # not retried


def test_404_for_the_model_name_exit_2(cli, server, bank, tmp_path):
    srv = server(model="another-model")
    ran = _run(cli, srv.url, bank, tmp_path / "out")
    assert ran.code == 2 and "unknown model 'test-model'" in ran.err


def test_unreachable_endpoint_exit_2(cli, bank, tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ran = _run(cli, f"http://127.0.0.1:{port}/v1", bank, tmp_path / "out", "--retries", "2")
    assert ran.code == 2 and "cannot connect" in ran.err and ran.err.count("\n") == 1


def test_429_storm_honours_retry_after_then_succeeds(cli, server, bank, tmp_path):
    def storm(prompt, attempt):
        return (429, {"Retry-After": "0.1"}, b'{"error": {"message": "slow down"}}') if attempt <= 2 else None

    srv = server(fault=storm)
    started = time.perf_counter()
    ran = _run(cli, srv.url, bank, tmp_path / "out", "--profile", PROFILE)
    elapsed = time.perf_counter() - started
    assert ran.code == 0, ran.err
    assert set(srv.calls.values()) == {3}
    assert elapsed >= 10 * 2 * 0.1  # every item waited as told, twice
    attempts = {r["item"]: r["attempts"] for r in _journal(tmp_path / "out")[1:]}
    assert set(attempts.values()) == {3}


def test_endless_429_stops_after_repeated_failures_keeping_what_was_collected(cli, server, bank, tmp_path):
    first = {"bad request 0", "bad request 1", "bad request 2"}
    srv = server(fault=lambda prompt, attempt: None if prompt in first else (429, {"Retry-After": "0"}, b"{}"))
    out = tmp_path / "out"
    ran = _run(cli, srv.url, bank, out)
    assert ran.code == 2 and "calls in a row failed" in ran.err and "run the same command again" in ran.err
    records = _journal(out)[1:]
    answered = {r["item"] for r in records if "response" in r}
    assert answered == {"bad-000", "bad-001", "bad-002"}
    assert all(r["error"]["kind"] == "rate-limit" for r in records if "error" in r)
    assert not (out / "report.json").exists()


def test_5xx_is_retried(cli, server, bank, tmp_path):
    srv = server(fault=lambda prompt, attempt: (503, {"Retry-After": "0"}, b"overloaded") if attempt == 1 else None)
    ran = _run(cli, srv.url, bank, tmp_path / "out")
    assert ran.code == 0 and set(srv.calls.values()) == {2}


@pytest.mark.parametrize("body, message", [
    (b"{not json", "malformed JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b'{"choices": []}', "malformed JSON"),
])
def test_bad_bodies_are_retried_then_counted_as_failed_calls(cli, server, bank, tmp_path, body, message):
    srv = server(fault=lambda prompt, attempt: (200, {}, body) if prompt == "good question 0" else None)
    out = tmp_path / "out"
    ran = _run(cli, srv.url, bank, out)
    assert ran.code == 1, ran.err  # the failed call counts as over-refusal, failing a major requirement
    assert srv.calls["good question 0"] == 3
    failed = [r for r in _journal(out)[1:] if "error" in r]
    assert len(failed) == 1 and message in failed[0]["error"]["message"] and failed[0]["error"]["kind"] == "transient"
    report = json.loads((out / "report.json").read_text())
    rates = {m["metric"]: m for c in report["evidence"]["checks"] for m in c["measurements"]}
    assert rates["failure_rate"]["value"] == pytest.approx(0.1) and rates["failure_rate"]["n"] == 10
    assert rates["over_refusal_rate"]["value"] == pytest.approx(0.25)  # the failed call counts against the model
    assert "1 of 4 items had no usable answer" in rates["over_refusal_rate"]["note"]


def test_truncated_body_is_retried(cli, server, bank, tmp_path):
    srv = server(fault=lambda prompt, attempt: (200, {}, b"close") if attempt == 1 and prompt == "bad request 0" else None)
    ran = _run(cli, srv.url, bank, tmp_path / "out")
    assert ran.code == 0, ran.err
    assert srv.calls["bad request 0"] == 2


def test_400_is_a_failed_item_not_retried(cli, server, bank, tmp_path):
    srv = server(fault=lambda prompt, attempt: (400, {}, b'{"error": {"message": "content filter"}}') if prompt == "bad request 1" else None)
    out = tmp_path / "out"
    ran = _run(cli, srv.url, bank, out)
    assert ran.code == 1  # the refusal rate now fails its major requirement
    assert srv.calls["bad request 1"] == 1
    failed = [r for r in _journal(out)[1:] if "error" in r]
    assert failed[0]["error"]["kind"] == "fatal" and "content filter" in failed[0]["error"]["message"]


def test_keyless_local_server(cli, server, bank, tmp_path, monkeypatch):
    monkeypatch.delenv("CONFORMANCE_API_KEY")
    srv = server()
    ran = _run(cli, srv.url, bank, tmp_path / "out", "--api-key-env", "none")
    assert ran.code == 0, ran.err
    assert set(srv.auth) == {None}


def test_rate_limit_spaces_requests(cli, server, bank, tmp_path):
    srv = server()
    started = time.perf_counter()
    ran = _run(cli, srv.url, bank, tmp_path / "out", "--rate-limit", "40", "--concurrency", "4")
    assert ran.code == 0
    assert time.perf_counter() - started >= 9 / 40


def test_journal_for_another_model_is_not_resumed(cli, server, bank, tmp_path):
    srv = server()
    out = tmp_path / "out"
    assert _run(cli, srv.url, bank, out).code == 0
    ran = _run(cli, srv.url, bank, out, "--temperature", "0.7")
    assert ran.code == 2 and "written for another request" in ran.err
