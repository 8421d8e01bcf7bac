"""What the registry does, apart from the web: submit, look up, change status, issue tokens.

A submission is verified against the trust list (integrity, DSSE signature, signer listed and
allowed to certify every profile of the report) before anything is stored; a refused bundle
leaves no trace. The certificate id derives from the bundle digest, which is unique in the
database: two concurrent submissions of one bundle both get the one id (the loser of the race
reads the winner's row). Status changes are appended to the history in the same transaction
that checks the token, and only the issuing body's token may change a certificate's status.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from conformance.errors import ConformanceError
from conformance.evidence.bundle import Limits
from conformance.evidence.bundle_verify import verify_bundle
from conformance.evidence.trust import TrustList
from conformance.registry.db import STATUSES, ApiToken, Certificate, StatusChange, make_engine

# Registry uploads are bounded tighter than local bundles: evidence, not models and data sets.
UPLOAD_LIMITS = Limits(file_bytes=64 << 20, total_bytes=256 << 20, members=2_000, ratio=100.0, json_bytes=32 << 20)


class Refused(Exception):
    """A request the registry refuses, with the HTTP status and one line saying why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def certificate_id(bundle_sha256: str) -> str:
    """The certificate id of a bundle: its digest's first 80 bits, in groups (stable, unguessable-enough, unique in the table)."""
    head = bundle_sha256[:20].upper()
    return "C-" + "-".join(head[i:i + 5] for i in range(0, 20, 5))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def migrate(url: str) -> None:
    """Create or upgrade the database schema with the Alembic migrations shipped here."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")


@dataclass
class Submitted:
    certificate: dict
    created: bool


class Registry:
    def __init__(self, url: str, trust: TrustList, limits: Limits = UPLOAD_LIMITS) -> None:
        self.url = url
        self.trust = trust
        self.limits = limits
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # --- tokens -------------------------------------------------------------------------------------

    def issue_token(self, body_name: str) -> str:
        """A new API token for a body of the trust list; only its SHA-256 is stored."""
        if self.trust.by_name(body_name) is None:
            raise Refused(404, f"no body named '{body_name}' in the trust list")
        token = secrets.token_urlsafe(32)
        with self.sessions.begin() as session:
            session.add(ApiToken(token_sha256=token_hash(token), body_name=body_name, created_at=_now()))
        return token

    def _body_of(self, session: Session, token: str | None) -> str:
        if not token:
            raise Refused(401, "no API token: send 'Authorization: Bearer TOKEN' (conformance registry token BODY)")
        row = session.get(ApiToken, token_hash(token))
        if row is None or self.trust.by_name(row.body_name) is None:
            raise Refused(401, "unknown API token")
        return row.body_name

    # --- submissions --------------------------------------------------------------------------------

    def submit(self, content: bytes, token: str | None) -> Submitted:
        """Verify a bundle and issue (or return the existing) certificate."""
        with self.sessions() as session:
            submitter = self._body_of(session, token)
        if len(content) > self.limits.file_bytes:
            raise Refused(413, f"the bundle is {len(content)} bytes, over the limit of {self.limits.file_bytes}")
        try:
            check = verify_bundle(content, self.trust, limits=self.limits, name="the bundle")
        except ConformanceError as exc:
            raise Refused(400, str(exc)) from exc
        if not check.ok:
            failed = [f.message for f in check.verification.findings if not f.ok]
            raise Refused(422, "refused: " + "; ".join(failed))
        body = check.body
        assert body is not None and check.result is not None
        ev = check.result.evidence
        inputs = {i.role: i.sha256 for i in ev.manifest.inputs}
        cid = certificate_id(check.digest)
        with self.sessions() as session:
            existing = self._by_bundle(session, check.digest)
            if existing is not None:
                return Submitted(self.describe(existing), False)
            now = _now()
            certificate = Certificate(
                id=cid, bundle_sha256=check.digest, evidence_sha256=_evidence(check),
                model_sha256=inputs.get("model"), data_sha256=inputs.get("data"), subject=ev.subject.model,
                profiles=[{"id": p.id, "title": p.title, "version": p.version} for p in ev.profiles],
                outcome=ev.outcome, issuer_name=body.name, issuer_fingerprint=body.fingerprint,
                issuer_jurisdiction=body.jurisdiction,
                recognised=self.trust.jurisdiction is not None and body.jurisdiction != self.trust.jurisdiction,
                audited_at=check.result.run.started_at, issued_at=now, bundle=content,
            )
            certificate.history.append(StatusChange(status="valid", reason=f"issued on submission by {submitter}",
                                                    by=body.name, at=now))
            session.add(certificate)
            try:
                session.commit()
            except IntegrityError:  # the same bundle committed by a concurrent submission: return its certificate
                session.rollback()
                existing = self._by_bundle(session, check.digest)
                if existing is None:
                    raise
                return Submitted(self.describe(existing), False)
            return Submitted(self.describe(self._get(session, cid)), True)

    # --- look-ups -----------------------------------------------------------------------------------

    def _get(self, session: Session, cid: str) -> Certificate | None:
        return session.scalars(select(Certificate).options(selectinload(Certificate.history))
                               .where(Certificate.id == cid)).first()

    def _by_bundle(self, session: Session, digest: str) -> Certificate | None:
        return session.scalars(select(Certificate).options(selectinload(Certificate.history))
                               .where(Certificate.bundle_sha256 == digest)).first()

    def get(self, cid: str) -> dict | None:
        with self.sessions() as session:
            found = self._get(session, cid)
            return None if found is None else self.describe(found)

    def by_model(self, model_sha256: str) -> list[dict]:
        with self.sessions() as session:
            rows = session.scalars(select(Certificate).options(selectinload(Certificate.history))
                                   .where(Certificate.model_sha256 == model_sha256.lower())
                                   .order_by(Certificate.issued_at, Certificate.id)).all()
            return [self.describe(r) for r in rows]

    def bundle(self, cid: str) -> bytes | None:
        with self.sessions() as session:
            found = session.get(Certificate, cid)
            return None if found is None else found.bundle

    def all_ids(self) -> list[str]:
        with self.sessions() as session:
            return list(session.scalars(select(Certificate.id).order_by(Certificate.id)))

    # --- status -------------------------------------------------------------------------------------

    def change_status(self, cid: str, status: str, reason: str, token: str | None) -> dict:
        """Append a status change; only the body that issued the certificate may make it."""
        if status not in STATUSES:
            raise Refused(400, f"unknown status '{status}': one of {', '.join(STATUSES)}")
        if not reason or not reason.strip():
            raise Refused(400, "a status change needs a reason")
        with self.sessions() as session, session.begin():
            body = self._body_of(session, token)
            certificate = self._get(session, cid)
            if certificate is None:
                raise Refused(404, f"no certificate {cid}")
            if certificate.issuer_name != body:
                raise Refused(403, f"only the issuing body ({certificate.issuer_name}) may change the status of {cid}")
            if certificate.status == "revoked":
                raise Refused(409, f"{cid} is revoked: a revocation is final")
            certificate.history.append(StatusChange(status=status, reason=reason.strip()[:2000], by=body, at=_now()))
        with self.sessions() as session:
            return self.describe(self._get(session, cid))

    # --- the public view ----------------------------------------------------------------------------

    @staticmethod
    def describe(c: Certificate) -> dict[str, Any]:
        return {
            "id": c.id,
            "status": c.status,
            "subject": c.subject,
            "model_sha256": c.model_sha256,
            "data_sha256": c.data_sha256,
            "evidence_sha256": c.evidence_sha256,
            "bundle_sha256": c.bundle_sha256,
            "profiles": c.profiles,
            "outcome": c.outcome,
            "issuer": {"name": c.issuer_name, "jurisdiction": c.issuer_jurisdiction, "fingerprint": c.issuer_fingerprint},
            "recognised": c.recognised,
            "audited_at": c.audited_at,
            "issued_at": _iso(c.issued_at),
            "history": [{"status": h.status, "reason": h.reason, "by": h.by, "at": _iso(h.at)} for h in c.history],
        }


def _evidence(check) -> str:
    from conformance.evidence.signing import stored_evidence_sha256

    return stored_evidence_sha256(check.stored)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite returns naive datetimes: they were stored in UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()
