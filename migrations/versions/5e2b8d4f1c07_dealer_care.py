"""Dealer care: new dealers' onboarding (welcome call, welcome pack, hand-off) and the policy documents

Revision ID: 5e2b8d4f1c07
Revises: 71a4510b5403
Create Date: 2026-12-01 04:40:00

"""
import sqlalchemy as sa
from alembic import op

import core.types

revision = "5e2b8d4f1c07"
down_revision = "71a4510b5403"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dealer_onboarding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("call_task_id", sa.Integer(), nullable=True),
        sa.Column("started_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("pack_sent_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pack_sent_by", sa.String(length=64), nullable=True),
        sa.Column("pack_sent_to", sa.String(length=200), nullable=True),
        sa.Column("handed_off_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handed_off_by", sa.String(length=64), nullable=True),
        sa.Column("handed_off_to", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealer.id"], name=op.f("fk_dealer_onboarding_dealer_id_dealer")),
        sa.ForeignKeyConstraint(["call_task_id"], ["task.id"], name=op.f("fk_dealer_onboarding_call_task_id_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer_onboarding")),
        sa.UniqueConstraint("dealer_id", name=op.f("uq_dealer_onboarding_dealer_id")),
    )
    op.create_table(
        "dealer_policy_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("uploaded_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer_policy_document")),
        sa.UniqueConstraint("sha256", name=op.f("uq_dealer_policy_document_sha256")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_dealer_policy_document_stored_name")),
    )


def downgrade():
    op.drop_table("dealer_policy_document")
    op.drop_table("dealer_onboarding")
