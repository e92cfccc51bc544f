"""The repair unit's chase_due: the earliest due day of the clocks running in its state, indexed

Revision ID: c4d8e2f6a1b3
Revises: c4e9a2f6d813

The overdue list was sorted on a due day computed per row (no index covers it): at a million
units the database computed and sorted every overdue unit for each page. The earliest running
clock's day is now stored (repairs.states.chase_due, written with every state or due-day change)
and indexed with the id, so a page is one range read in the index's order. Existing rows are
filled here by the same rule, in SQL: received (dispatch clock), accepted (dispatch and promise),
at the factory (promise and the factory's clock), ready to ship (promise); any other state: none.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4d8e2f6a1b3"
down_revision = "c4e9a2f6d813"
branch_labels = None
depends_on = None


def _earliest(a: str, b: str) -> str:
    """SQL: the earlier of two nullable date columns (the other one when one is empty)."""
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} <= {b} THEN {a} ELSE {b} END"


FILL = f"""
UPDATE repair_unit SET chase_due = CASE
    WHEN state = 'received' THEN dispatch_due
    WHEN state = 'inspected' THEN {_earliest('dispatch_due', 'ship_due')}
    WHEN state = 'at_factory' THEN {_earliest('ship_due', 'factory_due')}
    WHEN state = 'ready_to_ship' THEN ship_due
END
WHERE state IN ('received', 'inspected', 'at_factory', 'ready_to_ship')
"""


def upgrade():
    op.add_column("repair_unit", sa.Column("chase_due", sa.Date(), nullable=True))
    op.execute(FILL)
    op.create_index("ix_repair_unit_chase_due", "repair_unit", ["chase_due", "id"],
                    sqlite_where=sa.text("chase_due IS NOT NULL"), postgresql_where=sa.text("chase_due IS NOT NULL"))


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite drops a column by rebuilding the table, and dropping the old copy of a table other rows
    point at (a unit's events) fails while foreign keys are enforced; the switch only works outside a
    transaction, so it gets its own autocommit block."""
    if op.get_bind().dialect.name == "sqlite":
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def downgrade():
    op.drop_index("ix_repair_unit_chase_due", table_name="repair_unit")
    _sqlite_foreign_keys(False)
    with op.batch_alter_table("repair_unit") as batch:
        batch.drop_column("chase_due")
    _sqlite_foreign_keys(True)
