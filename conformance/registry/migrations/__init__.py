"""Alembic migrations of the registry database (run by ``conformance registry serve`` at start)."""
