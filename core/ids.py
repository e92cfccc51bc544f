"""The one bound on record ids, for paths, query strings and bodies alike.

Ids are 32-bit integer columns (the stock ledger's are 64-bit on PostgreSQL, but no
path or filter reaches past this bound). An id above it names no row: a path is a
404 (the ``<int:...>`` converter stops there), a field a 422, a look-up finds nothing,
so no database ever sees an integer it cannot hold.
"""
from __future__ import annotations

from marshmallow import validate

MAX_ID = 2**31 - 1

# The validator of every id field an API or page takes (``core.schemas.Id`` uses it).
ID_RANGE = validate.Range(min=1, max=MAX_ID)


def is_id(value) -> bool:
    """Whether ``value`` can be a record's id (an int, not a bool, within 1..MAX_ID)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID
