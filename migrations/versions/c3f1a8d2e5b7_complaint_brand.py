"""A complaint's brand (the desk's figures split complaints by brand)

Revision ID: c3f1a8d2e5b7
Revises: 86e9508997d4
"""
import sqlalchemy as sa
from alembic import op

revision = "c3f1a8d2e5b7"
down_revision = "86e9508997d4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("brand_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_complaint_brand_id_brand"), "brand", ["brand_id"], ["id"])
        batch.create_index(batch.f("ix_complaint_brand_id"), ["brand_id"])


def downgrade():
    with op.batch_alter_table("complaint") as batch:
        batch.drop_index(batch.f("ix_complaint_brand_id"))
        batch.drop_constraint(batch.f("fk_complaint_brand_id_brand"), type_="foreignkey")
        batch.drop_column("brand_id")
