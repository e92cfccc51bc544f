"""Repair units: a no-stock unit's outcome (substitute model, price difference, credit) and a waived quote's reason

Revision ID: b8e4f2a6c1d9
Revises: 7d0a15c3e9b2
Create Date: 2026-11-30 17:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "b8e4f2a6c1d9"
down_revision = "7d0a15c3e9b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("repair_unit") as batch:
        batch.add_column(sa.Column("substitute_model", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("price_difference", sa.Numeric(precision=12, scale=2), nullable=True))
        batch.add_column(sa.Column("credit_amount", sa.Numeric(precision=12, scale=2), nullable=True))
        batch.add_column(sa.Column("quote_waived_reason", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("repair_unit") as batch:
        batch.drop_column("quote_waived_reason")
        batch.drop_column("credit_amount")
        batch.drop_column("price_difference")
        batch.drop_column("substitute_model")
