"""The task table's single-column status and office indexes go: the keyset indexes lead with those columns

Revision ID: f4001670b4ed
Revises: e7c3b9a1d245
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "f4001670b4ed"
down_revision = "e7c3b9a1d245"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("task") as batch_op:
        batch_op.drop_index("ix_task_office_id")
        batch_op.drop_index("ix_task_status")


def downgrade():
    with op.batch_alter_table("task") as batch_op:
        batch_op.create_index("ix_task_status", ["status"], unique=False)
        batch_op.create_index("ix_task_office_id", ["office_id"], unique=False)
