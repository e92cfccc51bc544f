"""Keyset indexes for the task list, the DOA applications and the DOA held units

Revision ID: c4e9a2f6d813
Revises: b7a3d51e9c20

These lists page by the sort key of the last row shown instead of a page number (an OFFSET and
a count of every row). Each index holds a list's common equality filters (process, status, state,
office) followed by its sort keys, the id last, so a page is one range read of ``per_page`` rows
whatever its depth. The task table's (process, status, due_on) index becomes (process, status,
due_on, id): the overdue report reads the same prefix.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4e9a2f6d813"
down_revision = "b7a3d51e9c20"
branch_labels = None
depends_on = None

NEW = (
    ("ix_task_process_status_due_id", "task", ["process", "status", "due_on", "id"]),
    ("ix_task_status_due_id", "task", ["status", "due_on", "id"]),
    ("ix_task_office_status_due_id", "task", ["office_id", "status", "due_on", "id"]),
    ("ix_doa_application_state_id", "doa_application", ["state", "id"]),
    ("ix_doa_application_office_id_id", "doa_application", ["office_id", "id"]),
    ("ix_doa_application_office_state_id", "doa_application", ["office_id", "state", "id"]),
    ("ix_doa_hold_status_arrived_id", "doa_hold", ["status", "arrived_at", "id"]),
    ("ix_doa_hold_office_status_arrived_id", "doa_hold", ["office_id", "status", "arrived_at", "id"]),
)


def upgrade():
    for name, table, columns in NEW:
        op.create_index(name, table, columns, unique=False)
    op.drop_index("ix_task_process_status_due", table_name="task")


def downgrade():
    op.create_index("ix_task_process_status_due", "task", ["process", "status", "due_on"], unique=False)
    for name, table, _columns in reversed(NEW):
        op.drop_index(name, table_name=table)
