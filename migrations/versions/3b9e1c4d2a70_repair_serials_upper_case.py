"""repair unit serials in the one stored form (upper case, as shipments and DOA keep them)

Revision ID: 3b9e1c4d2a70
Revises: 68f56e7b7243
Create Date: 2026-11-23 08:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '3b9e1c4d2a70'
down_revision = '68f56e7b7243'
branch_labels = None
depends_on = None


def upgrade():
    # core.codes.normalise_serial: trimmed (they always were) and upper case.
    op.execute("UPDATE repair_unit SET serial = UPPER(serial) WHERE serial <> UPPER(serial)")
    op.execute("UPDATE repair_unit SET replacement_serial = UPPER(replacement_serial) "
               "WHERE replacement_serial <> UPPER(replacement_serial)")


def downgrade():
    # The original case is not kept; upper-case serials are valid before this revision too.
    pass
