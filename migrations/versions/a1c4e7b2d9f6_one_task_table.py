"""One task table for every process: dealer_task (repairs) and doa_task (DOA) become task

Revision ID: a1c4e7b2d9f6
Revises: d2f7a4c9b1e3
Create Date: 2026-11-30 20:20:00

Every row of both old tables is copied: a repairs task points at its return parcel
(case) and unit (subject), and is addressed to the parcel's dealer; a DOA task at its
application (case) and held unit (subject). An office id of a repairs task that names
no office (the old column had no foreign key) is left empty. Task ids are new; the
audit entries of the old rows keep their old table names. Downgrade puts the rows
back (a task of another process, or a repairs task without a parcel, has no place there).
"""
import sqlalchemy as sa
from alembic import op

import core.types

revision = "a1c4e7b2d9f6"
down_revision = "d2f7a4c9b1e3"
branch_labels = None
depends_on = None

COPIED = ("kind, detail, due_on, status, resolution, note, created_at, closed_at, closed_by")


def upgrade():
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("case_type", sa.String(length=30), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=30), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("dealer_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealer.id"], name=op.f("fk_task_dealer_id_dealer")),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name=op.f("fk_task_department_id_department")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_task_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_dealer_id"), ["dealer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_office_id"), ["office_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_status"), ["status"], unique=False)
        batch_op.create_index("ix_task_case", ["case_type", "case_id"], unique=False)
        batch_op.create_index("ix_task_subject", ["subject_type", "subject_id"], unique=False)
        batch_op.create_index("ix_task_process_status_due", ["process", "status", "due_on"], unique=False)

    op.execute(sa.text(f"""
        INSERT INTO task (process, case_type, case_id, subject_type, subject_id, dealer_id, office_id, {COPIED})
        SELECT 'repairs', 'return_parcel', t.parcel_id,
               CASE WHEN t.unit_id IS NULL THEN NULL ELSE 'repair_unit' END, t.unit_id,
               p.dealer_id, (SELECT o.id FROM office o WHERE o.id = t.office_id),
               t.kind, t.detail, t.due_on, t.status, t.resolution, t.note, t.created_at, t.closed_at, t.closed_by
        FROM dealer_task t JOIN return_parcel p ON p.id = t.parcel_id
        ORDER BY t.id
    """))
    op.execute(sa.text(f"""
        INSERT INTO task (process, case_type, case_id, subject_type, subject_id, dealer_id, office_id, {COPIED})
        SELECT 'doa', CASE WHEN t.application_id IS NULL THEN NULL ELSE 'doa_application' END, t.application_id,
               CASE WHEN t.hold_id IS NULL THEN NULL ELSE 'doa_hold' END, t.hold_id, t.dealer_id, t.office_id,
               t.kind, t.detail, t.due_on, t.status, t.resolution, t.note, t.created_at, t.closed_at, t.closed_by
        FROM doa_task t
        ORDER BY t.id
    """))
    _drop_old()


def _drop_old():
    with op.batch_alter_table("dealer_task", schema=None) as batch_op:
        for column in ("office_id", "parcel_id", "status", "unit_id"):
            batch_op.drop_index(batch_op.f(f"ix_dealer_task_{column}"))
    op.drop_table("dealer_task")
    with op.batch_alter_table("doa_task", schema=None) as batch_op:
        for column in ("application_id", "dealer_id", "hold_id", "office_id", "status"):
            batch_op.drop_index(batch_op.f(f"ix_doa_task_{column}"))
    op.drop_table("doa_task")


def _common_columns():
    return [
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
    ]


def downgrade():
    op.create_table(
        "dealer_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        *_common_columns(),
        sa.ForeignKeyConstraint(["parcel_id"], ["return_parcel.id"], name=op.f("fk_dealer_task_parcel_id_return_parcel")),
        sa.ForeignKeyConstraint(["unit_id"], ["repair_unit.id"], name=op.f("fk_dealer_task_unit_id_repair_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer_task")),
    )
    with op.batch_alter_table("dealer_task", schema=None) as batch_op:
        for column in ("office_id", "parcel_id", "status", "unit_id"):
            batch_op.create_index(batch_op.f(f"ix_dealer_task_{column}"), [column], unique=False)
    op.create_table(
        "doa_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("dealer_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        *_common_columns(),
        sa.ForeignKeyConstraint(["application_id"], ["doa_application.id"],
                                name=op.f("fk_doa_task_application_id_doa_application")),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealer.id"], name=op.f("fk_doa_task_dealer_id_dealer")),
        sa.ForeignKeyConstraint(["hold_id"], ["doa_hold.id"], name=op.f("fk_doa_task_hold_id_doa_hold")),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], name=op.f("fk_doa_task_office_id_office")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doa_task")),
    )
    with op.batch_alter_table("doa_task", schema=None) as batch_op:
        for column in ("application_id", "dealer_id", "hold_id", "office_id", "status"):
            batch_op.create_index(batch_op.f(f"ix_doa_task_{column}"), [column], unique=False)

    op.execute(sa.text(f"""
        INSERT INTO dealer_task (parcel_id, unit_id, office_id, {COPIED})
        SELECT t.case_id, CASE WHEN t.subject_type = 'repair_unit' THEN t.subject_id END, t.office_id,
               SUBSTR(t.kind, 1, 20), SUBSTR(t.detail, 1, 300), t.due_on, t.status, t.resolution, t.note,
               t.created_at, t.closed_at, t.closed_by
        FROM task t
        WHERE t.process = 'repairs' AND t.case_type = 'return_parcel' AND t.case_id IS NOT NULL
        ORDER BY t.id
    """))
    op.execute(sa.text(f"""
        INSERT INTO doa_task (application_id, hold_id, dealer_id, office_id, {COPIED})
        SELECT CASE WHEN t.case_type = 'doa_application' THEN t.case_id END,
               CASE WHEN t.subject_type = 'doa_hold' THEN t.subject_id END, t.dealer_id, t.office_id,
               SUBSTR(t.kind, 1, 20), t.detail, t.due_on, t.status, t.resolution, t.note,
               t.created_at, t.closed_at, t.closed_by
        FROM task t
        WHERE t.process = 'doa'
        ORDER BY t.id
    """))
    with op.batch_alter_table("task", schema=None) as batch_op:
        for name in ("ix_task_process_status_due", "ix_task_subject", "ix_task_case"):
            batch_op.drop_index(name)
        for column in ("status", "office_id", "department_id", "dealer_id"):
            batch_op.drop_index(batch_op.f(f"ix_task_{column}"))
    op.drop_table("task")
