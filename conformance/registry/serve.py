"""Start the registry: migrate the database, then serve the app with uvicorn."""

from __future__ import annotations

from pathlib import Path

from conformance.errors import ConfigError


def require_extra() -> None:
    """Refuse with one line when the ``registry`` extra is not installed."""
    try:
        import alembic  # noqa: F401
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"the registry needs the 'registry' extra ({exc.name} is missing)",
                          "pip install 'conformance[registry]' (and 'conformance[postgres]' for PostgreSQL)") from exc


def open_registry(database: str, trust_path: Path):
    """The migrated registry of ``database`` with the trust list at ``trust_path``."""
    require_extra()
    from conformance.evidence.trust import load_trust_list
    from conformance.registry.db import normalise_url
    from conformance.registry.service import Registry, migrate

    trust = load_trust_list(trust_path)
    url = normalise_url(database)
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise ConfigError("PostgreSQL needs the 'postgres' extra (psycopg is missing)",
                              "pip install 'conformance[postgres]'") from exc
    from sqlalchemy.exc import SQLAlchemyError

    try:
        migrate(url)
    except (SQLAlchemyError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot open the registry database {database}: {first}",
                          "check --database (a SQLite file path or postgresql://USER@HOST:PORT/DB)") from exc
    return Registry(url, trust)


def serve(database: str, trust_path: Path, host: str, port: int, announce=None) -> None:
    """Open (and migrate) the registry, call ``announce()``, then serve until stopped."""
    registry = open_registry(database, trust_path)
    if announce is not None:
        announce()
    import uvicorn

    from conformance.registry.web import create_app

    uvicorn.run(create_app(registry), host=host, port=port, log_level="warning", access_log=False)
