"""user_account.session_version: signing out and password changes end every session

Revision ID: 5e55a0b1c2d3
Revises: e1f2a3b4c5d6
Create Date: 2026-11-30 13:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "5e55a0b1c2d3"
down_revision = "e1f2a3b4c5d6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("session_version")
