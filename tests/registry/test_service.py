"""The registry through its REST API and pages, on SQLite and PostgreSQL: issuing, idempotent
resubmission, look-ups, status history, recognition, and every kind of bad input refused with
nothing stored."""

from __future__ import annotations

import hashlib
import json
import threading
import zipfile
from pathlib import Path

import pytest

from .conftest import CN_BODY, EU_BODY, HOSTILE, write_trust


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _count(registry) -> int:
    return len(registry.all_ids())


def test_submit_issues_a_certificate_and_resubmitting_returns_the_same_id(client, registry, bundles, bodies, audit_run):
    token = registry.issue_token(EU_BODY)
    content = bundles.make(bodies["EU"]).read_bytes()
    first = client.post("/api/v1/certificates", content=content, headers=_auth(token))
    assert first.status_code == 201, first.text
    cert = first.json()
    again = client.post("/api/v1/certificates", content=content, headers=_auth(token))
    assert again.status_code == 200 and again.json()["id"] == cert["id"]
    assert _count(registry) == 1
    model_sha = hashlib.sha256((audit_run / "model.skops").read_bytes()).hexdigest()
    assert cert["model_sha256"] == model_sha
    assert cert["data_sha256"] == hashlib.sha256((audit_run / "test.csv").read_bytes()).hexdigest()
    assert cert["issuer"]["name"] == EU_BODY and cert["issuer"]["jurisdiction"] == "EU"
    assert cert["status"] == "valid" and cert["recognised"] is False
    assert [p["id"] for p in cert["profiles"]] == ["eeoc-four-fifths"]
    report = json.loads((audit_run / "out" / "report.json").read_text())
    assert cert["outcome"] == report["evidence"]["outcome"]
    assert client.get(f"/api/v1/certificates/{cert['id']}").json() == cert
    listed = client.get("/api/v1/certificates", params={"model_sha256": model_sha.upper()}).json()
    assert [c["id"] for c in listed] == [cert["id"]]
    assert client.get(f"/api/v1/certificates/{cert['id']}/bundle").content == content
    assert client.get("/api/v1/certificates/C-00000-00000-00000-00000").status_code == 404
    assert client.get("/api/v1/certificates", params={"model_sha256": "nothex"}).status_code == 400


def test_concurrent_submissions_of_one_bundle_share_one_id(client, registry, bundles, bodies):
    token = registry.issue_token(EU_BODY)
    content = bundles.make(bodies["EU"]).read_bytes()
    answers: list = []

    def send() -> None:
        answers.append(client.post("/api/v1/certificates", content=content, headers=_auth(token)))

    threads = [threading.Thread(target=send) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers) == [200] * 11 + [201] or \
        all(r.status_code in (200, 201) for r in answers) and [r.status_code for r in answers].count(201) == 1
    assert len({r.json()["id"] for r in answers}) == 1 and _count(registry) == 1


def test_only_the_issuing_body_changes_status_and_history_is_appended(client, registry, bundles, bodies):
    eu, cn = registry.issue_token(EU_BODY), registry.issue_token(CN_BODY)
    cid = client.post("/api/v1/certificates", content=bundles.make(bodies["EU"]).read_bytes(), headers=_auth(eu)).json()["id"]
    other = client.post(f"/api/v1/certificates/{cid}/status", json={"status": "revoked", "reason": "mine now"}, headers=_auth(cn))
    assert other.status_code == 403 and "only the issuing body" in other.json()["error"]
    assert client.post(f"/api/v1/certificates/{cid}/status", json={"status": "revoked", "reason": "x"}).status_code == 401
    assert len(client.get(f"/api/v1/certificates/{cid}").json()["history"]) == 1
    first = client.get(f"/api/v1/certificates/{cid}").json()["history"][0]
    steps = [("suspended", "complaint under review"), ("valid", "complaint dismissed"), ("revoked", "model changed")]
    for status, reason in steps:
        done = client.post(f"/api/v1/certificates/{cid}/status", json={"status": status, "reason": reason}, headers=_auth(eu))
        assert done.status_code == 200 and done.json()["status"] == status
    history = client.get(f"/api/v1/certificates/{cid}").json()["history"]
    assert history[0] == first
    assert [(h["status"], h["reason"]) for h in history[1:]] == steps
    final = client.post(f"/api/v1/certificates/{cid}/status", json={"status": "valid", "reason": "undo"}, headers=_auth(eu))
    assert final.status_code == 409 and len(client.get(f"/api/v1/certificates/{cid}").json()["history"]) == 4
    bad = client.post(f"/api/v1/certificates/{cid}/status", json={"status": "expired", "reason": "x"}, headers=_auth(eu))
    assert bad.status_code == 400


def test_tokens_are_stored_hashed(registry, database):
    from sqlalchemy import select

    from conformance.registry.db import ApiToken

    token = registry.issue_token(EU_BODY)
    with registry.sessions() as session:
        stored = session.scalars(select(ApiToken.token_sha256)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()] and token not in stored


def _zip(path: Path, members: dict[str, bytes]) -> bytes:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path.read_bytes()


def _tampered(bundle: Path, target: Path) -> bytes:
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "report.json":
                data = data.replace(b'"rows": ', b'"rows": 1', 1)
            out.writestr(info, data)
    return target.read_bytes()


def test_bad_input_is_refused_with_a_reason_and_nothing_stored(client, registry, bundles, bodies, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: F401

    from conformance import api

    token = registry.issue_token(EU_BODY)
    stranger_keys = api.generate_keys(tmp_path / "stranger")
    from .conftest import Body

    stranger = Body("Nobody", "XX", *stranger_keys)
    good = bundles.make(bodies["EU"])
    cases = {
        "unsigned": (bundles.make(bodies["EU"], sign=False).read_bytes(), 422, "not signed"),
        "tampered": (_tampered(good, tmp_path / "t.bundle"), 422, "was changed"),
        "malformed": (b"this is not a zip", 400, "not a zip file"),
        "traversal": (_zip(tmp_path / "e.bundle", {"bundle.json": b"{}", "report.json": b"{}", "../../etc/x": b"x"}), 400,
                      "unsafe member name"),
        "untrusted signer": (bundles.make(stranger).read_bytes(), 422, "not in the trust list"),
        "not a bundle": (_zip(tmp_path / "n.bundle", {"bundle.json": b'{"format": "other"}', "report.json": b"{}"}), 400,
                         "not a conformance bundle"),
    }
    for case, (content, status, reason) in cases.items():
        answer = client.post("/api/v1/certificates", content=content, headers=_auth(token))
        assert answer.status_code == status, (case, answer.text)
        assert reason in answer.json()["error"], (case, answer.json())
    assert client.post("/api/v1/certificates", content=good.read_bytes()).status_code == 401
    assert client.post("/api/v1/certificates", content=good.read_bytes(), headers=_auth("guess")).status_code == 401
    assert _count(registry) == 0


def test_oversized_bundles_are_refused_before_reading_them(registry, bundles, bodies):
    from fastapi.testclient import TestClient

    from conformance.evidence.bundle import Limits
    from conformance.registry.web import create_app

    token = registry.issue_token(EU_BODY)
    registry.limits = Limits(file_bytes=2_000)
    with TestClient(create_app(registry)) as small:
        answer = small.post("/api/v1/certificates", content=bundles.make(bodies["EU"]).read_bytes(), headers=_auth(token))
    assert answer.status_code == 413 and "over the limit" in answer.json()["error"]
    assert _count(registry) == 0


def test_a_body_of_another_jurisdiction_is_recognised_and_its_evidence_rejudged_locally(client, registry, bundles, bodies,
                                                                                      trust, tmp_path):
    from conformance import api

    token = registry.issue_token(CN_BODY)
    cert = client.post("/api/v1/certificates", content=bundles.make(bodies["CN"]).read_bytes(), headers=_auth(token)).json()
    assert cert["recognised"] is True and cert["issuer"]["jurisdiction"] == "CN"
    downloaded = tmp_path / "cert.bundle"
    downloaded.write_bytes(client.get(f"/api/v1/certificates/{cert['id']}/bundle").content)
    local = api.rejudge_bundle(downloaded, ["eeoc-four-fifths"], ["eeoc-four-fifths/four-fifths.threshold.min=0.9"], trust)
    origin = local.evidence.rejudged_from
    assert origin.signer_name == CN_BODY and origin.signer_jurisdiction == "CN" and origin.bundle_sha256 == cert["bundle_sha256"]
    assert next(r for r in local.evidence.requirements if r.id == "four-fifths").threshold.min == 0.9


def test_a_body_limited_to_other_profiles_is_refused(database, bodies, bundles, tmp_path):
    from conformance.registry.serve import open_registry

    narrow = write_trust(tmp_path / "narrow.yaml", [bodies["EU"]], profiles=["nyc-ll144"])
    registry = open_registry(database, narrow)
    try:
        token = registry.issue_token(EU_BODY)
        from conformance.registry.service import Refused

        with pytest.raises(Refused, match="is not recognised for profile eeoc-four-fifths"):
            registry.submit(bundles.make(bodies["EU"]).read_bytes(), token)
        assert registry.all_ids() == []
    finally:
        registry.close()


def test_pages_escape_every_field_in_both_languages(client, registry, bundles, bodies):
    token = registry.issue_token(EU_BODY)
    cert = client.post("/api/v1/certificates", content=bundles.make(bodies["EU"], subject=HOSTILE).read_bytes(),
                       headers=_auth(token)).json()
    client.post(f"/api/v1/certificates/{cert['id']}/status", json={"status": "suspended", "reason": HOSTILE}, headers=_auth(token))
    for lang, heading in (("en", "Conformance certificate"), ("zh", "合规性证书")):
        page = client.get(f"/certificates/{cert['id']}", params={"lang": lang})
        assert page.status_code == 200 and heading in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert "<script>" not in page.text and "<img" not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&lt;img src=x onerror=alert(1)&gt;&#34;&#39;" in page.text
        # subject, issuer, and in the history: issued by, its reason naming the submitter, suspended by, its reason
        assert page.text.count("&lt;script&gt;") == 6
        model = client.get(f"/models/{cert['model_sha256']}", params={"lang": lang})
        assert model.status_code == 200 and cert["id"] in model.text
    assert client.get("/certificates/C-00000-00000-00000-00000").status_code == 404
    assert client.get("/certificates/<script>").status_code == 404


def test_cli_token_submit_and_status_against_a_live_registry(cli, database, trust, bundles, bodies, tmp_path):
    from .conftest import Server, token_for

    token = token_for(database, trust, EU_BODY)
    server = Server(database, trust, tmp_path / "log").start()
    try:
        bundle = bundles.make(bodies["EU"])
        ran = cli("registry", "submit", bundle, "--url", server.url, "--token", token)
        assert ran.code == 0, ran.err
        cid = ran.out.split()[1].rstrip(":")
        again = cli("registry", "submit", bundle, "--url", server.url, "--token", token)
        assert again.out.split()[1].rstrip(":") == cid
        revoked = cli("registry", "status", cid, "revoked", "--reason", "withdrawn", "--url", server.url, "--token", token)
        assert revoked.code == 0 and "revoked" in revoked.out
        refused = cli("registry", "submit", bundles.make(bodies["EU"], sign=False), "--url", server.url, "--token", token)
        assert refused.code == 1 and "the registry refused it (HTTP 422)" in refused.err and "not signed" in refused.err
    finally:
        server.stop()
    down = cli("registry", "submit", bundle, "--url", server.url, "--token", token)
    assert down.code == 2 and "cannot reach the registry" in down.err


def test_serve_refuses_a_bad_trust_list_or_database(cli, tmp_path, bodies):
    (tmp_path / "bad.yaml").write_text("bodies: [{name: x}]\n")
    ran = cli("registry", "token", "x", "--trust", tmp_path / "bad.yaml", "--database", tmp_path / "r.sqlite")
    assert ran.code == 2 and "trust list" in ran.err
    good = write_trust(tmp_path / "t.yaml", [bodies["EU"]])
    unknown = cli("registry", "token", "Someone Else", "--trust", good, "--database", tmp_path / "r.sqlite")
    assert unknown.code == 2 and "no body named 'Someone Else'" in unknown.err
    pg = cli("registry", "token", EU_BODY, "--trust", good, "--database", "postgresql://nobody@127.0.0.1:1/none")
    assert pg.code == 2 and "cannot open the registry database" in pg.err


def test_the_migrations_create_exactly_the_models_tables(registry):
    """Alembic's autogenerate finds nothing to change: the migrations and the ORM models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from conformance.registry.db import Base

    with registry.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_registry_without_its_extra_says_how_to_install_it(cli, trust, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "fastapi", None)
    ran = cli("registry", "serve", "--trust", trust, "--database", tmp_path / "r.sqlite")
    assert ran.code == 2 and "pip install 'conformance[registry]'" in ran.err


def test_the_database_refuses_to_rewrite_history(client, registry, bundles, bodies):
    """Even a client writing to the database directly cannot update or delete history or certificates."""
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    from conformance.registry.db import Certificate, StatusChange

    token = registry.issue_token(EU_BODY)
    cid = client.post("/api/v1/certificates", content=bundles.make(bodies["EU"]).read_bytes(), headers=_auth(token)).json()["id"]
    for statement in (update(StatusChange).values(status="revoked"), delete(StatusChange),
                      update(Certificate).values(outcome="conformant"), delete(Certificate)):
        with registry.sessions() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(statement)
                session.commit()
    assert client.get(f"/api/v1/certificates/{cid}").json()["history"][0]["status"] == "valid"
