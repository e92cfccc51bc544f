"""One chase notice table for everything with a deadline (replaces overdue_notice).

Revision ID: c4a5e0d2b7f1
Revises: b8e4f2a6c1d9
"""
import sqlalchemy as sa
from alembic import op

import core.types

revision = "c4a5e0d2b7f1"
down_revision = "b8e4f2a6c1d9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "chase_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("owner_key", sa.String(length=60), nullable=False),
        sa.Column("recipients", sa.String(length=400), nullable=False),
        sa.Column("sent_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chase_notice")),
        sa.UniqueConstraint("kind", "item_id", "day", name=op.f("uq_chase_notice_kind_item_id_day")),
    )
    with op.batch_alter_table("chase_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chase_notice_day"), ["day"], unique=False)
    # The units already mailed keep their record: no second mail about them on the same day.
    op.execute(
        "INSERT INTO chase_notice (kind, item_id, day, owner_key, recipients, sent_at) "
        "SELECT \x27repair_unit\x27, unit_id, day, \x27\x27, recipients, sent_at FROM overdue_notice"
    )
    op.drop_table("overdue_notice")


def downgrade():
    op.create_table(
        "overdue_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recipients", sa.String(length=400), nullable=False),
        sa.Column("sent_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["repair_unit.id"], name=op.f("fk_overdue_notice_unit_id_repair_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overdue_notice")),
        sa.UniqueConstraint("unit_id", "day", name=op.f("uq_overdue_notice_unit_id_day")),
    )
    op.execute(
        "INSERT INTO overdue_notice (unit_id, day, recipients, sent_at) "
        "SELECT item_id, day, recipients, sent_at FROM chase_notice WHERE kind = \x27repair_unit\x27 "
        "AND item_id IN (SELECT id FROM repair_unit)"
    )
    with op.batch_alter_table("chase_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chase_notice_day"))
    op.drop_table("chase_notice")
