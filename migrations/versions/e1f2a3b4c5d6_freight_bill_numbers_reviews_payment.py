"""freight bills: numbers, content fingerprint, payment; lines: the supervisor's review

Revision ID: e1f2a3b4c5d6
Revises: d4e5f6a7b8c9
Create Date: 2026-11-30 13:50:00

"""
import sqlalchemy as sa
from alembic import op

import core.types

revision = "e1f2a3b4c5d6"
down_revision = "d4e5f6a7b8c9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("freight_bill") as batch:
        batch.add_column(sa.Column("number", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("content_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=10), server_default="open", nullable=False))
        batch.add_column(sa.Column("paid_at", core.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paid_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("paid_amount", sa.Numeric(precision=14, scale=2), nullable=True))
        batch.create_unique_constraint("uq_freight_bill_number", ["number"])
        batch.create_index("ix_freight_bill_content_key", ["content_key"], unique=False)
        batch.create_foreign_key("fk_freight_bill_paid_by_id", "user_account", ["paid_by_id"], ["id"])
    with op.batch_alter_table("freight_bill_line") as batch:
        batch.add_column(sa.Column("review", sa.String(length=10), server_default="accepted", nullable=False))
        batch.add_column(sa.Column("billed_before_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decided_at", core.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decision_note", sa.String(length=500), server_default="", nullable=False))
        batch.create_index("ix_freight_bill_line_review", ["review"], unique=False)
        batch.create_foreign_key("fk_freight_bill_line_billed_before_id", "freight_bill", ["billed_before_id"], ["id"])
        batch.create_foreign_key("fk_freight_bill_line_decided_by_id", "user_account", ["decided_by_id"], ["id"])
    # Bills imported before numbering get one in import order.
    bills = sa.table("freight_bill", sa.column("id", sa.Integer), sa.column("number", sa.String))
    conn = op.get_bind()
    for (bill_id,) in conn.execute(sa.select(bills.c.id).order_by(bills.c.id)).fetchall():
        conn.execute(bills.update().where(bills.c.id == bill_id).values(number=f"BILL-{bill_id:05d}"))


def downgrade():
    with op.batch_alter_table("freight_bill_line") as batch:
        batch.drop_constraint("fk_freight_bill_line_decided_by_id", type_="foreignkey")
        batch.drop_constraint("fk_freight_bill_line_billed_before_id", type_="foreignkey")
        batch.drop_index("ix_freight_bill_line_review")
        for name in ("decision_note", "decided_by_id", "decided_at", "billed_before_id", "review"):
            batch.drop_column(name)
    with op.batch_alter_table("freight_bill") as batch:
        batch.drop_constraint("fk_freight_bill_paid_by_id", type_="foreignkey")
        batch.drop_index("ix_freight_bill_content_key")
        batch.drop_constraint("uq_freight_bill_number", type_="unique")
        for name in ("paid_amount", "paid_by_id", "paid_at", "status", "content_key", "number"):
            batch.drop_column(name)
