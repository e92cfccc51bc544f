"""Paginating long lists on pages and in the API."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

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
        raise ValidationFailed(str(message), errors={field: [str(message)]})
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
