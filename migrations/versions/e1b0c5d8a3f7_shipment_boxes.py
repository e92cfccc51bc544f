"""Boxes: a shipment packed at the scan station knows its destination factory and is one open box per destination

Revision ID: e1b0c5d8a3f7
Revises: c4a5e0d2b7f1
Create Date: 2026-11-30 17:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e1b0c5d8a3f7"
down_revision = "c4a5e0d2b7f1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shipment") as batch:
        batch.add_column(sa.Column("factory_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("box_key", sa.String(length=80), nullable=True))
        batch.create_index(batch.f("ix_shipment_factory_id"), ["factory_id"], unique=False)
        batch.create_unique_constraint(batch.f("uq_shipment_box_key"), ["box_key"])
        batch.create_foreign_key(batch.f("fk_shipment_factory_id_factory"), "factory", ["factory_id"], ["id"])


def downgrade():
    with op.batch_alter_table("shipment") as batch:
        batch.drop_constraint(batch.f("fk_shipment_factory_id_factory"), type_="foreignkey")
        batch.drop_constraint(batch.f("uq_shipment_box_key"), type_="unique")
        batch.drop_index(batch.f("ix_shipment_factory_id"))
        batch.drop_column("box_key")
        batch.drop_column("factory_id")
