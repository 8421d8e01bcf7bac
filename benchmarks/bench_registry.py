"""Registry look-ups at 100,000 certificates on SQLite: latency of GET by id (JSON), by model
SHA-256 (JSON) and of the HTML page, through a real uvicorn on 127.0.0.1, one request at a time
over a kept-alive connection. Target: p95 under 20 ms.

    python benchmarks/bench_registry.py [--certificates 100000] [--lookups 2000] [--database FILE|postgresql://…]

The certificates are inserted directly (bulk ORM insert after the Alembic migrations), each with
its first status-history entry, as submissions would leave them; look-ups go through the app.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fill(url: str, count: int) -> tuple[list[str], list[str]]:
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from conformance.registry.db import Certificate, StatusChange, make_engine
    from conformance.registry.service import certificate_id, migrate

    migrate(url)
    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    ids, models = [], []
    batch = 5000
    with Session(engine) as session:
        for start in range(0, count, batch):
            certs, history = [], []
            for i in range(start, min(start + batch, count)):
                digest = hashlib.sha256(f"bundle {i}".encode()).hexdigest()
                model = hashlib.sha256(f"model {i // 2}".encode()).hexdigest()  # two certificates per model
                cid = certificate_id(digest)
                ids.append(cid)
                models.append(model)
                certs.append(dict(id=cid, bundle_sha256=digest, evidence_sha256=digest, model_sha256=model, data_sha256=digest,
                                  subject=f"model {i}", profiles=[{"id": "eeoc-four-fifths", "title": "EEOC", "version": "1978"}],
                                  outcome="conformant", issuer_name="Example Body", issuer_fingerprint="0" * 64,
                                  issuer_jurisdiction="EU", recognised=False, audited_at=now.isoformat(), issued_at=now,
                                  bundle=b""))
                history.append(dict(certificate_id=cid, status="valid", reason="issued", by="Example Body", at=now))
            session.execute(insert(Certificate), certs)
            session.execute(insert(StatusChange), history)
            session.commit()
    engine.dispose()
    return ids, models


def timed(connection: http.client.HTTPConnection, paths: list[str]) -> list[float]:
    took = []
    for path in paths:
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        took.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, (path, response.status)
    return took


def describe(name: str, took: list[float]) -> str:
    ordered = sorted(took)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (f"{name:<28} n={len(took):>5}  p50 {statistics.median(took):6.2f} ms  p95 {p(0.95):6.2f} ms  "
            f"p99 {p(0.99):6.2f} ms  max {max(took):6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()

    import subprocess

    from conformance.registry.db import normalise_url

    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        database = args.database or str(Path(tmp) / "registry.sqlite")
        started = time.perf_counter()
        ids, models = fill(normalise_url(database), args.certificates)
        print(f"inserted {len(ids):,} certificates in {time.perf_counter() - started:.1f} s ({database})")
        from conformance.evidence.signing import generate_keys

        _, public = generate_keys(Path(tmp) / "keys")
        pem = "\n".join("      " + line for line in public.read_text().splitlines())
        (Path(tmp) / "trust.yaml").write_text(
            f"bodies:\n  - name: Example Body\n    jurisdiction: EU\n    public_key: |\n{pem}\n    profiles: ['*']\n")
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-c", "from conformance.cli import main; main()", "registry", "serve",
                                   "--database", database, "--trust", str(Path(tmp) / "trust.yaml"), "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    probe.request("GET", "/healthz")
                    probe.getresponse().read()
                    break
                except OSError:
                    time.sleep(0.1)
            rng = random.Random(0)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            timed(connection, ["/healthz"] * 50)  # warm up
            by_id = timed(connection, [f"/api/v1/certificates/{rng.choice(ids)}" for _ in range(args.lookups)])
            by_model = timed(connection, [f"/api/v1/certificates?model_sha256={rng.choice(models)}" for _ in range(args.lookups)])
            page = timed(connection, [f"/certificates/{rng.choice(ids)}?lang={rng.choice(['en', 'zh'])}"
                                      for _ in range(args.lookups // 2)])
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(describe("GET by id (JSON)", by_id))
        print(describe("GET by model SHA-256 (JSON)", by_model))
        print(describe("GET page (HTML, en/zh)", page))
        worst = max(sorted(t)[int(0.95 * len(t))] for t in (by_id, by_model, page))
        print(f"target p95 < 20 ms: {'met' if worst < 20 else 'NOT met'} (worst p95 {worst:.2f} ms)")


if __name__ == "__main__":
    main()
