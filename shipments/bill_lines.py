"""A freight bill's reconciliation lines a page at a time, and its counts read by the database.

A month's bill runs to thousands of lines: the bill page and the API show one
page of them (differences first, as the supervisor works through them), while
the counts and totals above the list stay those of the whole bill.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.pagination import Key, KeysetPage, keyset, keyset_order
from shipments.freight import KIND_ORDER
from shipments.models import LINE_REVIEWS, FreightBill, FreightBillLine, FreightFinding

PER_PAGE = 50


def _kind_order():
    return case(KIND_ORDER, value=FreightFinding.kind, else_=len(KIND_ORDER))


KEYS = (Key(_kind_order(), "int"), Key(FreightFinding.id, "int"))


def findings_query(bill: FreightBill, kind: str | None = None):
    """A select of the bill's reconciliation lines (of one ``kind`` if given), differences first (KIND_ORDER)."""
    stmt = (select(FreightFinding).where(FreightFinding.bill_id == bill.id)
            .order_by(*keyset_order(KEYS))
            .options(selectinload(FreightFinding.bill_line).selectinload(FreightBillLine.billed_before),
                     selectinload(FreightFinding.shipment)))
    if kind:
        stmt = stmt.where(FreightFinding.kind == kind)
    return stmt


def findings_page(bill: FreightBill, kind: str | None = None, after=None, per_page=PER_PAGE) -> KeysetPage:
    """One page of the bill's reconciliation lines after the cursor ``after`` (the request's arguments; checked)."""
    return keyset(findings_query(bill, kind), KEYS, after, per_page, default_per_page=PER_PAGE)


def finding_counts(bill: FreightBill) -> dict[str, int]:
    """How many reconciliation lines of each kind the whole bill has."""
    counts = dict(db_rows(select(FreightFinding.kind, func.count()).where(FreightFinding.bill_id == bill.id)
                          .group_by(FreightFinding.kind)))
    return {kind: counts.get(kind, 0) for kind in KIND_ORDER}


def finding_counts_of(bills) -> dict[int, dict[str, int]]:
    """:func:`finding_counts` of several bills (a page of the bill list) in one grouped statement."""
    ids = [bill.id for bill in bills]
    found: dict[int, dict[str, int]] = {bill_id: dict.fromkeys(KIND_ORDER, 0) for bill_id in ids}
    if ids:
        for bill_id, kind, n in db_rows(select(FreightFinding.bill_id, FreightFinding.kind, func.count())
                                        .where(FreightFinding.bill_id.in_(ids))
                                        .group_by(FreightFinding.bill_id, FreightFinding.kind)):
            if kind in found[bill_id]:
                found[bill_id][kind] = n
    return found


def review_counts(bill: FreightBill) -> dict[str, int]:
    """How many lines of the whole bill are accepted, pending a decision, disputed."""
    counts = dict(db_rows(select(FreightBillLine.review, func.count()).where(FreightBillLine.bill_id == bill.id)
                          .group_by(FreightBillLine.review)))
    return {review: counts.get(review, 0) for review in LINE_REVIEWS}


def db_rows(stmt) -> list:
    return db.session.execute(stmt).all()


@dataclass
class BillWithLines:
    """A bill as the API shows it: the bill's own fields, one page of its lines, and where that page is."""

    bill: FreightBill
    page: KeysetPage
    kind: str | None = None

    def __getattr__(self, name):
        if name in ("bill", "page", "kind"):  # not yet set (copying): no recursion
            raise AttributeError(name)
        return getattr(self.bill, name)

    @property
    def findings(self) -> list[FreightFinding]:
        return self.page.items

    @property
    def findings_page(self) -> dict:
        counts = finding_counts(self.bill)
        total = counts.get(self.kind, 0) if self.kind else sum(counts.values())
        return {"per_page": self.page.per_page, "next": self.page.next, "total": total}


def with_lines_page(bill: FreightBill, kind: str | None = None, after=None, per_page=PER_PAGE) -> BillWithLines:
    """The bill with one page of its reconciliation lines."""
    return BillWithLines(bill, findings_page(bill, kind, after, per_page), kind)
