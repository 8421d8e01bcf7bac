"""Registry fixtures: two certification bodies (EU and CN), their trust list, bundles made from one
real audit of the demo model, and a fresh database per test on SQLite and on PostgreSQL.

PostgreSQL comes from CONFORMANCE_TEST_POSTGRES_URL (``.ci/run`` starts one). Without it the
PostgreSQL cases are skipped; with it set, an unreachable server fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_ENV = "CONFORMANCE_TEST_POSTGRES_URL"
HOSTILE = '<script>alert("x")</script>&<img src=x onerror=alert(1)>"\''
EU_BODY = f"Prüfstelle {HOSTILE} GmbH"
CN_BODY = "中国认证中心"


@dataclass(frozen=True)
class Body:
    name: str
    jurisdiction: str
    private: Path
    public: Path


@pytest.fixture(scope="session")
def bodies(tmp_path_factory) -> dict[str, Body]:
    from conformance import api

    made = {}
    for name, jurisdiction in ((EU_BODY, "EU"), (CN_BODY, "CN")):
        private, public = api.generate_keys(tmp_path_factory.mktemp("keys"))
        made[jurisdiction] = Body(name, jurisdiction, private, public)
    return made


def write_trust(path: Path, bodies: list[Body], jurisdiction: str = "EU", profiles=("*",)) -> Path:
    lines = [f"jurisdiction: {jurisdiction}", "bodies:"]
    for body in bodies:
        lines += [f"  - name: {json.dumps(body.name, ensure_ascii=False)}", f"    jurisdiction: {body.jurisdiction}",
                  "    public_key: |", *("      " + line for line in body.public.read_text().splitlines()),
                  f"    profiles: {json.dumps(list(profiles))}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trust(tmp_path_factory, bodies) -> Path:
    return write_trust(tmp_path_factory.mktemp("trust") / "trust.yaml", list(bodies.values()))


@pytest.fixture(scope="session")
def audit_run(tmp_path_factory, demo_files) -> Path:
    """One real audit of the demo model (unsigned report; the bundle carries the signature)."""
    folder = tmp_path_factory.mktemp("registry_run")
    model, data = demo_files
    shutil.copy(model, folder / "model.skops")
    shutil.copy(data, folder / "test.csv")
    ran = subprocess.run(
        [sys.executable, "-c", "from conformance.cli import main; main()", "run", "--model", "model.skops", "--data",
         "test.csv", "--target", "risk", "--sensitive", "sex", "--profile", "eeoc-four-fifths", "--trust-type",
         "sklearn.tree._tree.Tree", "--output", "out", "--format", "json"],
        cwd=folder, capture_output=True, text=True, timeout=600)
    assert ran.returncode in (0, 1), ran.stderr
    return folder


class Bundles:
    """Distinct bundles of the one audit: each a copy of its report with another run time."""

    def __init__(self, run: Path, folder: Path) -> None:
        self.run, self.folder, self.count = run, folder, 0

    def make(self, body: Body | None, subject: str | None = None, sign: bool = True) -> Path:
        from conformance.evidence.bundle import build_bundle

        self.count += 1
        copy = self.folder / f"r{self.count}"
        copy.mkdir()
        report = json.loads((self.run / "out" / "report.json").read_text())
        report["run"]["started_at"] = f"2026-01-01T00:00:00.{self.count:06d}+00:00"
        if subject is not None:
            report["evidence"]["subject"]["model"] = subject
        (copy / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out = self.folder / f"b{self.count}.bundle"
        build_bundle(copy, out, sign_key=body.private if (sign and body) else None, base=self.run)
        return out


@pytest.fixture(scope="session")
def bundles(audit_run, tmp_path_factory) -> Bundles:
    return Bundles(audit_run, tmp_path_factory.mktemp("bundles"))


def _postgres_database() -> tuple[str, callable]:
    admin = os.environ.get(PG_ENV)
    if not admin:
        pytest.skip(f"PostgreSQL not configured ({PG_ENV} unset; .ci/run starts one)")
    import psycopg
    from psycopg import sql

    name = f"registry_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        pytest.fail(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}")
    url = admin.rsplit("/", 1)[0] + f"/{name}"

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    return url, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    """A fresh, empty registry database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "registry.sqlite")
        return
    url, drop = _postgres_database()
    yield url
    drop()


@pytest.fixture
def registry(database, trust):
    from conformance.registry.serve import open_registry

    opened = open_registry(database, trust)
    yield opened
    opened.close()


@pytest.fixture
def client(registry):
    from fastapi.testclient import TestClient

    from conformance.registry.web import create_app

    with TestClient(create_app(registry)) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real ``conformance registry serve`` (uvicorn) on 127.0.0.1, in its own process."""

    def __init__(self, database: str, trust: Path, log: Path) -> None:
        self.database, self.trust, self.log = database, trust, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Server:
        import urllib.request

        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from conformance.cli import main; main()", "registry", "serve",
                 "--database", self.database, "--trust", str(self.trust), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"registry exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("registry did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL: no shutdown, no flush
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def token_for(database: str, trust: Path, body: str) -> str:
    from conformance import api

    return api.registry_token(database, trust, body)
