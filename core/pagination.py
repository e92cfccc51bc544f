"""Paginating long lists on pages and in the API."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select

from core.errors import ValidationFailed
from core.extensions import db

MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # far past any real list; larger numbers are refused, not overflowed


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# The words a page shows for its paging arguments when one is refused.
_ARG_LABELS = {"page": _l("Page"), "per_page": _l("Items per page")}


def page_number(value, *, field: str = "page", high: int = MAX_PAGE, default: int = 1) -> int:
    """A page argument as a page or the API sends it (``"2"``, 2, None or ``""``: the default).

    Anything else (``"x"``, 0, past ``high``) is refused with a 422 naming
    ``field``, on pages as in the API (where ``core.schemas.PageArgs`` says the same).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        number = int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not 1 <= number <= high:
        message = _l("Must be a whole number between %(low)s and %(high)s.", low=1, high=high)
        label = _ARG_LABELS.get(field)
        raise ValidationFailed(str(message), errors={field: [str(message)]},
                               labels={field: str(label)} if label else None)
    return number


def paginate(stmt: Select, page: int = 1, per_page: int = 50, *, scalars: bool = True) -> Page:
    """One page of ``stmt`` and the total count (page numbers start at 1).

    ``page`` may be a page's raw query argument: it is checked here, for every list.
    """
    page = page_number(page)
    per_page = page_number(per_page, field="per_page", high=MAX_PER_PAGE, default=50)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    paged = stmt.limit(per_page).offset((page - 1) * per_page)
    result = db.session.scalars(paged) if scalars else db.session.execute(paged)
    return Page(list(result), page, per_page, total)


# --------------------------------------------------------------------------- keyset pages
#
# A page number is an OFFSET: the database walks past every earlier row, so page 2,000 of a
# million-row list costs as much as reading them all, and the count above it reads them all
# too. A keyset page starts after the sort key of the last row shown instead: the cursor
# ``after`` carries that key (opaque to users and clients), the next page is an indexed range
# read of ``per_page`` rows, whatever its depth, and no count is taken.

CURSOR_MAX_LENGTH = 400  # a cursor is a few keys; anything longer was not made here


@dataclass(frozen=True)
class Key:
    """One sort key of a keyset list: the SQL expression, its direction and the kind of its values.

    ``kind`` says how the value travels in the cursor: ``int``, ``str``, ``date`` or
    ``datetime``. Keys must not be NULL on a listed row (the last key is the row's id,
    which makes the order total).
    """

    expr: object
    kind: str = "int"
    desc: bool = False


@dataclass
class KeysetPage:
    """One page of a keyset list: its rows, the page size, and the cursor of the next page (None: last page)."""

    items: list
    per_page: int
    after: str | None = None
    next: str | None = None

    @property
    def has_next(self) -> bool:
        return self.next is not None

    @property
    def is_first(self) -> bool:
        return not self.after


def _bad_cursor(field: str):
    message = _l("This page link is no longer valid; start again from the first page.")
    return ValidationFailed(str(message), errors={field: [str(message)]})


def _encode_value(value, kind: str):
    if kind in ("date", "datetime"):
        return value.isoformat()
    if kind == "int":
        return int(value)
    return str(value)


def _decode_value(value, kind: str):
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**63:
            raise ValueError(value)
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "datetime":
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:  # every stored time is aware (core.types.UTCDateTime)
            raise ValueError(value)
        return moment
    return value


def encode_cursor(values, keys) -> str:
    """The opaque ``after`` cursor of a row whose sort key is ``values``."""
    raw = json.dumps([_encode_value(v, k.kind) for v, k in zip(values, keys)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor, keys, *, field: str = "after") -> tuple | None:
    """The sort key a cursor carries (None for no cursor); a cursor not made by this list is a 422."""
    if cursor is None or (isinstance(cursor, str) and not cursor.strip()):
        return None
    try:
        if not isinstance(cursor, str) or len(cursor) > CURSOR_MAX_LENGTH:
            raise ValueError(cursor)
        text = base64.urlsafe_b64decode(cursor.strip() + "=" * (-len(cursor.strip()) % 4)).decode()
        values = json.loads(text)
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError(values)
        return tuple(_decode_value(v, k.kind) for v, k in zip(values, keys))
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        raise _bad_cursor(field) from None


def after_condition(keys, values):
    """SQL: the row's sort key comes after ``values`` in the order of ``keys``.

    (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ..., each comparison in its key's direction;
    with the keys' index in the same order this is one range read. The OR alone is no
    index bound to PostgreSQL (it filters every earlier row, or reads every later one and
    sorts them), so ``k1 >= v1`` is added: the range starts at the cursor and the OR only
    drops the few rows sharing its first key.
    """
    clauses = []
    for i, key in enumerate(keys):
        step = key.expr < values[i] if key.desc else key.expr > values[i]
        equal = [keys[j].expr == values[j] for j in range(i)]
        clauses.append(and_(*equal, step) if equal else step)
    if len(keys) == 1:
        return clauses[0]
    first = keys[0]
    start = first.expr <= values[0] if first.desc else first.expr >= values[0]
    return and_(start, or_(*clauses))


def keyset_order(keys) -> list:
    """The ORDER BY of a keyset list."""
    return [key.expr.desc() if key.desc else key.expr.asc() for key in keys]


def keyset(stmt: Select, keys, after=None, per_page=50, *, default_per_page: int = 50,
           scalars: bool = True) -> KeysetPage:
    """One page of ``stmt`` in the order of ``keys``, starting after the cursor ``after``.

    ``stmt`` carries the list's filters and no ORDER BY (this adds it); ``after`` and
    ``per_page`` may be the raw query arguments: they are checked here (422 on ``after``
    or ``per_page``). The page reads ``per_page + 1`` rows to know whether there is a next one.
    """
    per_page = page_number(per_page, field="per_page", high=MAX_PER_PAGE, default=default_per_page)
    values = decode_cursor(after, keys)
    labelled = [key.expr.label(f"_keyset_{i}") for i, key in enumerate(keys)]
    paged = stmt.order_by(None).add_columns(*labelled).order_by(*keyset_order(keys))
    if values is not None:
        paged = paged.where(after_condition(keys, values))
    rows = db.session.execute(paged.limit(per_page + 1)).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    width = len(keys)
    items = [row[0] for row in rows] if scalars else rows
    cursor = encode_cursor(tuple(rows[-1])[-width:], keys) if more and rows else None
    return KeysetPage(items, per_page, after if values is not None else None, cursor)
