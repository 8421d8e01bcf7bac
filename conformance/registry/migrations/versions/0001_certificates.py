"""Certificates, their append-only status history, and hashed API tokens.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("bundle_sha256", sa.String(64), nullable=False),
        sa.Column("evidence_sha256", sa.String(64), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=True),
        sa.Column("data_sha256", sa.String(64), nullable=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("profiles", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("issuer_name", sa.String(200), nullable=False),
        sa.Column("issuer_fingerprint", sa.String(64), nullable=False),
        sa.Column("issuer_jurisdiction", sa.String(64), nullable=False),
        sa.Column("recognised", sa.Boolean, nullable=False),
        sa.Column("audited_at", sa.String(40), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bundle", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_certificates_bundle_sha256", "certificates", ["bundle_sha256"], unique=True)
    op.create_index("ix_certificates_model_sha256", "certificates", ["model_sha256"])
    op.create_index("ix_certificates_issuer_fingerprint", "certificates", ["issuer_fingerprint"])
    op.create_table(
        "status_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("certificate_id", sa.String(32), sa.ForeignKey("certificates.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_status_changes_certificate_id", "status_changes", ["certificate_id"])
    op.create_table(
        "api_tokens",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("body_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_api_tokens_body_name", "api_tokens", ["body_name"])


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_table("status_changes")
    op.drop_table("certificates")
