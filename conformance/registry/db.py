"""Database tables (SQLAlchemy 2 ORM) and the engine for a database URL (SQLite or PostgreSQL).

The schema is created and upgraded by the Alembic migrations in ``migrations/``, never by
``create_all``; no SQL text is built from input (every query goes through the ORM).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STATUSES = ("valid", "suspended", "revoked")


class Base(DeclarativeBase):
    pass


class Certificate(Base):
    """One certificate: a verified bundle of a recognised body."""

    __tablename__ = "certificates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bundle_sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    evidence_sha256: Mapped[str] = mapped_column(String(64))
    model_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    data_sha256: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    profiles: Mapped[list] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(40))
    issuer_name: Mapped[str] = mapped_column(String(200))
    issuer_fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    issuer_jurisdiction: Mapped[str] = mapped_column(String(64))
    recognised: Mapped[bool] = mapped_column(Boolean)
    audited_at: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    bundle: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    history: Mapped[list[StatusChange]] = relationship(order_by="StatusChange.seq", back_populates="certificate")

    @property
    def status(self) -> str:
        """The latest entry of the history (the history is never rewritten)."""
        return self.history[-1].status if self.history else "valid"


class StatusChange(Base):
    """An entry of a certificate's status history: appended, never updated or deleted."""

    __tablename__ = "status_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    certificate: Mapped[Certificate] = relationship(back_populates="history")


class ApiToken(Base):
    """A body's API token, stored as its SHA-256 only (tokens are 256 random bits)."""

    __tablename__ = "api_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_name: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def normalise_url(url: str) -> str:
    """A database URL for SQLAlchemy: ``postgresql://`` uses psycopg 3; a bare path is a SQLite file."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:  # durable and concurrent: WAL, full sync, foreign keys
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
