"""spares: a request can be cancelled and knows the request it copies; a year-end return is prepared, shipped or cancelled, with the window override

Revision ID: d4e5f6a7b8c9
Revises: c0a7e2f41b93
Create Date: 2026-11-30 13:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "d4e5f6a7b8c9"
down_revision = "c0a7e2f41b93"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inv_spare_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancel_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("copied_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_inv_spare_request_cancelled_by_id_user_account"), "user_account",
                                    ["cancelled_by_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_inv_spare_request_copied_from_id_inv_spare_request"),
                                    "inv_spare_request", ["copied_from_id"], ["id"])
    with op.batch_alter_table("inv_office_return", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("override_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("override_note", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(batch_op.f("fk_inv_office_return_override_by_id_user_account"), "user_account",
                                    ["override_by_id"], ["id"])
    # Returns made before this revision were sent at once: they shipped when they were created.
    op.execute("UPDATE inv_office_return SET shipped_at = created_at WHERE status IN (\x27shipped\x27, \x27received\x27)")


def downgrade():
    with op.batch_alter_table("inv_office_return", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_inv_office_return_override_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("override_note")
        batch_op.drop_column("override_by_id")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("shipped_at")
    with op.batch_alter_table("inv_spare_request", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_inv_spare_request_copied_from_id_inv_spare_request"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_inv_spare_request_cancelled_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("copied_from_id")
        batch_op.drop_column("cancel_note")
        batch_op.drop_column("cancelled_by_id")
        batch_op.drop_column("cancelled_at")
