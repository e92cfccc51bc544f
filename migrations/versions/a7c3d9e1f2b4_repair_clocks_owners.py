"""Repair clocks with owners: the factory's chase day, the dealer promise's pause, route chase settings

Revision ID: a7c3d9e1f2b4
Revises: 5e55a0b1c2d3
Create Date: 2026-11-30 16:30:00

"""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "a7c3d9e1f2b4"
down_revision = "5e55a0b1c2d3"
branch_labels = None
depends_on = None

# Values of the time of writing (core.directory.models keeps the live defaults).
FACTORY_CHASE_DAYS = 7
LONG_OUTSTANDING_DAYS = 30
SHANGHAI = timezone(timedelta(hours=8))


def _local_day(moment):
    """The Shanghai day of a stored UTC timestamp (SQLite hands back text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI).date()


def upgrade():
    with op.batch_alter_table("repair_route") as batch:
        batch.add_column(sa.Column("factory_chase_days", sa.Integer(), server_default=str(FACTORY_CHASE_DAYS),
                                   nullable=False))
        batch.add_column(sa.Column("chase_after_days", sa.Integer(), server_default=str(LONG_OUTSTANDING_DAYS),
                                   nullable=False))
    with op.batch_alter_table("repair_unit") as batch:
        batch.add_column(sa.Column("factory_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("promise_paused_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("paused_days", sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_repair_unit_state_factory_due", ["state", "factory_due"], unique=False)
    # Units at the factory now get their chase day: dispatch day (Shanghai) + the route's days.
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT u.id, u.dispatched_at, r.promise_days FROM repair_unit u "
        "LEFT JOIN repair_route r ON r.id = u.route_id "
        "WHERE u.state = 'at_factory' AND u.dispatched_at IS NOT NULL")).all()
    for unit_id, dispatched_at, promise_days in rows:
        days = FACTORY_CHASE_DAYS if promise_days is not None else LONG_OUTSTANDING_DAYS
        due = _local_day(dispatched_at) + timedelta(days=days)
        conn.execute(sa.text("UPDATE repair_unit SET factory_due = :due WHERE id = :id"), {"due": due, "id": unit_id})
    # Units waiting for the dealer or the supervisor now: their pause began at inspection.
    rows = conn.execute(sa.text(
        "SELECT id, inspected_at FROM repair_unit "
        "WHERE state IN ('awaiting_dealer', 'disputed') AND inspected_at IS NOT NULL")).all()
    for unit_id, inspected_at in rows:
        day = _local_day(inspected_at)
        conn.execute(sa.text("UPDATE repair_unit SET promise_paused_on = :day WHERE id = :id"),
                     {"day": day, "id": unit_id})


def downgrade():
    with op.batch_alter_table("repair_unit") as batch:
        batch.drop_index("ix_repair_unit_state_factory_due")
        batch.drop_column("paused_days")
        batch.drop_column("promise_paused_on")
        batch.drop_column("factory_due")
    with op.batch_alter_table("repair_route") as batch:
        batch.drop_column("chase_after_days")
        batch.drop_column("factory_chase_days")
