"""Serial patterns: what the serials of a model or brand look like, kept by the department

Revision ID: d2f7a4c9b1e3
Revises: f3a8c1d5e7b2
Create Date: 2026-11-30 17:20:00

"""
import sqlalchemy as sa
from alembic import op

import core.types

revision = "d2f7a4c9b1e3"
down_revision = "f3a8c1d5e7b2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "serial_pattern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applies_to", sa.String(length=80), nullable=False),
        sa.Column("mask", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serial_pattern")),
    )
    with op.batch_alter_table("serial_pattern", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_serial_pattern_applies_to"), ["applies_to"], unique=False)


def downgrade():
    with op.batch_alter_table("serial_pattern", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_serial_pattern_applies_to"))
    op.drop_table("serial_pattern")
