"""The certificate registry service: issues certificate ids for verified bundles of recognised
bodies, publishes a look-up page and JSON, and keeps an append-only status history.

It reads bundles and result models only; it never runs checks. Needs the ``registry`` extra
(FastAPI, uvicorn, SQLAlchemy, Alembic); PostgreSQL also the ``postgres`` extra (psycopg 3).
"""
