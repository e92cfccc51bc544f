"""One part's ledger by its own index: a SKU looked up over the whole ledger reads that part's range

Revision ID: e7c3b9a1d245
Revises: d2b6f4a9e157
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "e7c3b9a1d245"
down_revision = "d2b6f4a9e157"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_inv_movement_part_at", "inv_movement", ["part_id", "at", "id"])


def downgrade():
    op.drop_index("ix_inv_movement_part_at", table_name="inv_movement")
