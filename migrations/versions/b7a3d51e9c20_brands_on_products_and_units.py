"""Brands on products and units: a brand's model prefixes, the catalogue part's brand, and the brand
stored on repair units and DOA units

Revision ID: b7a3d51e9c20
Revises: e8b1c5d3a7f4

No backfill: the rule that gives a unit its brand (core.directory.brands) reads a part's brand or a
brand's model prefixes, and both columns are added empty by this very revision, so no existing unit
could match. Once the brands' prefixes or the parts' brands are filled in, `flask depot fill-brands`
gives the units recorded without a brand theirs by the same rule (core.directory.brands).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7a3d51e9c20"
down_revision = "e8b1c5d3a7f4"
branch_labels = None
depends_on = None

_UNIT_TABLES = ("inv_part", "repair_unit", "doa_unit")


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite adds or drops a foreign key by rebuilding the table, and dropping the old copy of a table
    other rows point at (a repair unit's events, a part's movements) fails while foreign keys are
    enforced; the switch only works outside a transaction, so it gets its own autocommit block."""
    if op.get_bind().dialect.name == "sqlite":
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    _upgrade()
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    _downgrade()
    _sqlite_foreign_keys(True)


def _upgrade():
    with op.batch_alter_table("brand") as batch:
        batch.add_column(sa.Column("model_prefixes", sa.String(length=200), server_default="", nullable=False))
    for table in _UNIT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("brand_id", sa.Integer(), nullable=True))
            batch.create_index(batch.f(f"ix_{table}_brand_id"), ["brand_id"], unique=False)
            batch.create_foreign_key(batch.f(f"fk_{table}_brand_id_brand"), "brand", ["brand_id"], ["id"])


def _downgrade():
    for table in reversed(_UNIT_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(batch.f(f"fk_{table}_brand_id_brand"), type_="foreignkey")
            batch.drop_index(batch.f(f"ix_{table}_brand_id"))
            batch.drop_column("brand_id")
    with op.batch_alter_table("brand") as batch:
        batch.drop_column("model_prefixes")
