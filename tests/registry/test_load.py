"""A real registry (uvicorn on 127.0.0.1) under load, on SQLite and PostgreSQL: 200 concurrent
submissions and 2,000 concurrent look-ups with none lost, no duplicate id and no 5xx; and a
registry killed with SIGKILL during submissions that restarts consistent."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import EU_BODY, Server, token_for

SUBMISSIONS = 200
LOOKUPS = 2000


@pytest.fixture(scope="module")
def many(bundles, bodies) -> list[bytes]:
    return [bundles.make(bodies["EU"]).read_bytes() for _ in range(SUBMISSIONS)]


def _request(url: str, data: bytes | None = None, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_200_submissions_and_2000_lookups_at_once(database, trust, many, tmp_path):
    token = token_for(database, trust, EU_BODY)
    server = Server(database, trust, tmp_path / "log").start()
    try:
        submit = server.url + "/api/v1/certificates"
        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(pool.map(lambda content: _request(submit, content, token), many))
        assert [status for status, _ in answers] == [201] * SUBMISSIONS, {s for s, _ in answers}
        ids = [body["id"] for _, body in answers]
        assert len(set(ids)) == SUBMISSIONS  # none lost, none merged
        with ThreadPoolExecutor(max_workers=64) as pool:
            looked = list(pool.map(lambda i: _request(f"{submit}/{ids[i % SUBMISSIONS]}"), range(LOOKUPS)))
        assert all(status == 200 for status, _ in looked), {s for s, _ in looked}
        assert all(body["id"] == ids[i % SUBMISSIONS] for i, (_, body) in enumerate(looked))
    finally:
        server.stop()


def test_a_registry_killed_during_submissions_restarts_consistent(database, trust, many, tmp_path):
    token = token_for(database, trust, EU_BODY)
    server = Server(database, trust, tmp_path / "log").start()
    submit = server.url + "/api/v1/certificates"
    accepted: dict[int, str] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def send(index: int) -> None:
        try:
            status, body = _request(submit, many[index], token)
        except (OSError, ValueError, http.client.HTTPException):
            return  # the server died under this request (before, or while, it answered)
        if status == 201:
            with lock:
                accepted[index] = body["id"]
                if len(accepted) >= 40:
                    enough.set()

    pool = ThreadPoolExecutor(max_workers=16)
    futures = [pool.submit(send, i) for i in range(SUBMISSIONS)]
    assert enough.wait(120), "no submissions got through"
    server.kill()
    for future in futures:
        future.result()
    pool.shutdown()
    assert len(accepted) < SUBMISSIONS, "the kill came too late to interrupt anything"

    restarted = Server(database, trust, tmp_path / "log2").start()
    try:
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session

        from conformance.registry.db import (
            Certificate,
            StatusChange,
            make_engine,
            normalise_url,
        )

        engine = make_engine(normalise_url(database))
        with Session(engine) as session:
            stored = set(session.scalars(select(Certificate.id)))
            without_history = session.scalars(
                select(Certificate.id).where(~Certificate.id.in_(select(StatusChange.certificate_id)))).all()
            orphans = session.scalar(select(func.count()).select_from(StatusChange)
                                     .where(~StatusChange.certificate_id.in_(select(Certificate.id))))
        engine.dispose()
        assert set(accepted.values()) <= stored  # every acknowledged certificate survived
        assert without_history == [] and orphans == 0  # no half-written certificate
        for cid in stored:
            status, body = _request(f"{restarted.url}/api/v1/certificates/{cid}")
            assert status == 200 and body["status"] == "valid" and len(body["history"]) == 1
        lost = [i for i in range(SUBMISSIONS) if i not in accepted][:20]  # some the kill interrupted or never sent
        again_indexes = [*accepted, *lost]
        with ThreadPoolExecutor(max_workers=16) as pool:
            again = dict(zip(again_indexes, pool.map(
                lambda i: _request(restarted.url + "/api/v1/certificates", many[i], token), again_indexes)))
        assert all(status in (200, 201) for status, _ in again.values()), {s for s, _ in again.values()}
        for index, cid in accepted.items():
            assert again[index] == (200, again[index][1]) and again[index][1]["id"] == cid
        assert len({body["id"] for _, body in again.values()}) == len(again_indexes)
    finally:
        restarted.stop()
