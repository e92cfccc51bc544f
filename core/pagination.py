"""Paginating long lists on pages and in the API."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

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


def paginate(stmt: Select, page: int = 1, per_page: int = 50, *, scalars: bool = True) -> Page:
    """One page of ``stmt`` and the total count (page numbers start at 1)."""
    page = max(1, int(page or 1))
    per_page = min(MAX_PER_PAGE, max(1, int(per_page or 50)))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    paged = stmt.limit(per_page).offset((page - 1) * per_page)
    result = db.session.scalars(paged) if scalars else db.session.execute(paged)
    return Page(list(result), page, per_page, total)
