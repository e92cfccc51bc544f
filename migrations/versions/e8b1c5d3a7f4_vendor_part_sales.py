"""Monthly sales of the vendor-managed parts (the vendor pool is topped up in line with them)

Revision ID: e8b1c5d3a7f4
Revises: 7ca93adf5a6e
"""
import sqlalchemy as sa
from alembic import op

import core.types

revision = "e8b1c5d3a7f4"
down_revision = "7ca93adf5a6e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inv_vendor_sales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["part_id"], ["inv_part.id"], name=op.f("fk_inv_vendor_sales_part_id_inv_part")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inv_vendor_sales")),
        sa.UniqueConstraint("part_id", "month", name="uq_inv_vendor_sales_part_month"),
    )


def downgrade():
    op.drop_table("inv_vendor_sales")
