"""Keyset list indexes: the ledger, the counts and the freight bills a page at a time

Revision ID: d2b6f4a9e157
Revises: c4d8e2f6a1b3

Each list page starts after the sort key of the previous page's last row (core.pagination.keyset),
so each ordering gets an index in that order, equality filters first: the ledger by time then id
(the whole ledger, and into / out of a location: the reconciliation's covering indexes gain the id
after the time), the counts by location and/or status then id, the bills by month then id.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "d2b6f4a9e157"
down_revision = "c4d8e2f6a1b3"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_inv_movement_to_at", table_name="inv_movement")
    op.drop_index("ix_inv_movement_from_at", table_name="inv_movement")
    op.create_index("ix_inv_movement_to_at", "inv_movement", ["to_location_id", "at", "id", "part_id", "quantity"])
    op.create_index("ix_inv_movement_from_at", "inv_movement", ["from_location_id", "at", "id", "part_id", "quantity"])
    op.create_index("ix_inv_movement_at_id", "inv_movement", ["at", "id"])
    op.create_index("ix_inv_count_location_status_id", "inv_count", ["location_id", "status", "id"])
    op.create_index("ix_inv_count_status_id", "inv_count", ["status", "id"])
    op.create_index("ix_freight_bill_period_id", "freight_bill", ["period", "id"])


def downgrade():
    op.drop_index("ix_freight_bill_period_id", table_name="freight_bill")
    op.drop_index("ix_inv_count_status_id", table_name="inv_count")
    op.drop_index("ix_inv_count_location_status_id", table_name="inv_count")
    op.drop_index("ix_inv_movement_at_id", table_name="inv_movement")
    op.drop_index("ix_inv_movement_from_at", table_name="inv_movement")
    op.drop_index("ix_inv_movement_to_at", table_name="inv_movement")
    op.create_index("ix_inv_movement_to_at", "inv_movement", ["to_location_id", "at", "part_id", "quantity"])
    op.create_index("ix_inv_movement_from_at", "inv_movement", ["from_location_id", "at", "part_id", "quantity"])
