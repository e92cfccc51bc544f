"""A task's detail as words to translate when shown: detail_key and detail_params

Revision ID: 71a4510b5403
Revises: a1c4e7b2d9f6
Create Date: 2026-12-01 04:15:00

New tasks store the message id of their detail and its parameters, translated in
the reader's language when shown. Tasks opened before keep their stored sentence
in ``detail`` with no key, and are shown as written. Downgrade drops the two
columns: a task opened since then is left with no detail.
"""
import sqlalchemy as sa
from alembic import op

revision = "71a4510b5403"
down_revision = "a1c4e7b2d9f6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("detail_key", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("detail_params", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("task") as batch:
        batch.drop_column("detail_params")
        batch.drop_column("detail_key")
