"""counts: recount reason and note, superseded-by link, value relocated from other locations

Revision ID: c0a7e2f41b93
Revises: 3b9e1c4d2a70
Create Date: 2026-11-30 13:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "c0a7e2f41b93"
down_revision = "3b9e1c4d2a70"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inv_count", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recount_reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("recount_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("relocated_value", sa.Numeric(precision=14, scale=2), nullable=False,
                                      server_default="0"))
        batch_op.create_foreign_key(batch_op.f("fk_inv_count_superseded_by_id_inv_count"), "inv_count",
                                    ["superseded_by_id"], ["id"])
    # Counts already waiting for a recount were all sent back by the threshold rule.
    op.execute("UPDATE inv_count SET recount_reason = \x27threshold\x27 WHERE status = \x27recount_required\x27")


def downgrade():
    with op.batch_alter_table("inv_count", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_inv_count_superseded_by_id_inv_count"), type_="foreignkey")
        batch_op.drop_column("relocated_value")
        batch_op.drop_column("superseded_by_id")
        batch_op.drop_column("recount_note")
        batch_op.drop_column("recount_reason")
