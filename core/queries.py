"""Helpers for queries over many values at once."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

# ``column.in_(values)`` sends one bind parameter per value: PostgreSQL takes at
# most 65,535 in a statement and SQLite 32,766. Lists that long are queried in
# chunks of this size.
IN_CHUNK = 10_000


def in_chunks(values: Iterable, size: int = IN_CHUNK) -> Iterator[list]:
    """``values`` without repeats or None, in lists of at most ``size`` (for ``column.in_(chunk)``)."""
    unique = list(dict.fromkeys(v for v in values if v is not None))
    for start in range(0, len(unique), size):
        yield unique[start:start + size]
