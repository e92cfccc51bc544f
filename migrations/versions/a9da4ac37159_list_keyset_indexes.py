"""Indexes for the keyset list pages: an office's parcels newest first, a bill's lines by kind

Revision ID: a9da4ac37159
Revises: b7e3d91c4a26
Create Date: 2026-12-01 04:40:00

The parcel list pages by id (newest first) within an office's scope; the freight bill
page by kind and id within one bill. Each page is then one range of an index, at any depth.
"""
from alembic import op

revision = "a9da4ac37159"
down_revision = "b7e3d91c4a26"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_return_parcel_office_id_id", "return_parcel", ["office_id", "id"], unique=False)
    op.create_index("ix_freight_finding_bill_kind_id", "freight_finding", ["bill_id", "kind", "id"], unique=False)


def downgrade():
    op.drop_index("ix_freight_finding_bill_kind_id", table_name="freight_finding")
    op.drop_index("ix_return_parcel_office_id_id", table_name="return_parcel")
