"""doa_application: DOA window flag, closing papers waiver and close, refund amount and currency

Revision ID: 7d0a15c3e9b2
Revises: a7c3d9e1f2b4
Create Date: 2026-11-30 16:55:00

"""
import sqlalchemy as sa
from alembic import op

from core.types import UTCDateTime

revision = "7d0a15c3e9b2"
down_revision = "a7c3d9e1f2b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("doa_application") as batch:
        batch.add_column(sa.Column("window_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("outside_window", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("refund_amount", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("refund_currency", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("closing_waived_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("closing_waived_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("closing_waiver_reason", sa.String(length=500), server_default="", nullable=False))
        batch.add_column(sa.Column("closed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("doa_application") as batch:
        for name in ("closed_at", "closed_by", "closing_waiver_reason", "closing_waived_at", "closing_waived_by",
                     "refund_currency", "refund_amount", "outside_window", "window_days"):
            batch.drop_column(name)
