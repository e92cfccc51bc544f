"""A freight bill's reconciliation lines a page at a time, and its counts read by the database.

A month's bill runs to thousands of lines: the bill page and the API show one
page of them (differences first, as the supervisor works through them), while
the counts and totals above the list stay those of the whole bill.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.pagination import Key, KeysetPage, keyset, keyset_order
from shipments import freight
from shipments.freight import KIND_ORDER
from shipments.models import LINE_REVIEWS, FreightBill, FreightBillLine, FreightFinding, LineReview

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


def _counted_by_bill(bills, bill_column, value_column, values) -> dict[int, dict[str, int]]:
    """How many rows each of ``bills`` has of each of ``values`` in ``value_column``: one grouped statement."""
    ids = [bill.id for bill in bills]
    found: dict[int, dict[str, int]] = {bill_id: dict.fromkeys(values, 0) for bill_id in ids}
    if ids:
        for bill_id, value, n in db_rows(select(bill_column, value_column, func.count())
                                         .where(bill_column.in_(ids)).group_by(bill_column, value_column)):
            if value in found[bill_id]:
                found[bill_id][value] = n
    return found


def finding_counts_of(bills) -> dict[int, dict[str, int]]:
    """:func:`finding_counts` of several bills (a page of the bill list) in one grouped statement."""
    return _counted_by_bill(bills, FreightFinding.bill_id, FreightFinding.kind, KIND_ORDER)


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


# --- the list of bills ------------------------------------------------------------------------

BILL_KEYS = (Key(FreightBill.period, "str", desc=True), Key(FreightBill.id, "int", desc=True))
BILLS_PER_PAGE = 50


def bills_page(actor, after=None, per_page=BILLS_PER_PAGE) -> KeysetPage:
    """One page of the imported bills (newest month first) after the cursor ``after`` (raw arguments; checked)."""
    stmt = freight.bills_query(actor).options(selectinload(FreightBill.imported_by))
    return keyset(stmt, BILL_KEYS, after, per_page, default_per_page=BILLS_PER_PAGE)


def review_counts_of(bills) -> dict[int, dict[str, int]]:
    """:func:`review_counts` of several bills in one grouped statement."""
    return _counted_by_bill(bills, FreightBillLine.bill_id, FreightBillLine.review, LINE_REVIEWS)


def payable_totals_of(bills) -> dict[int, Decimal]:
    """:func:`shipments.freight.payable_total` of several bills in one grouped statement."""
    ids = [bill.id for bill in bills]
    found = dict.fromkeys(ids, Decimal("0.00"))
    if ids:
        for bill_id, total in db_rows(select(FreightBillLine.bill_id, func.sum(FreightBillLine.amount))
                                      .where(FreightBillLine.bill_id.in_(ids),
                                             FreightBillLine.review == LineReview.ACCEPTED)
                                      .group_by(FreightBillLine.bill_id)):
            found[bill_id] = Decimal(total or 0).quantize(Decimal("0.01"))
    return found


@dataclass
class BillSummary:
    """A bill in the list as the API shows it: its fields and its counts, read for the whole page at once."""

    bill: FreightBill
    counts: dict
    reviews: dict
    payable: Decimal

    def __getattr__(self, name):
        if name in ("bill", "counts", "reviews", "payable"):  # not yet set (copying): no recursion
            raise AttributeError(name)
        return getattr(self.bill, name)


def bill_summaries(page: KeysetPage) -> KeysetPage:
    """The page with each bill's line counts and payable total (three statements for the page, none per bill)."""
    counts, reviews, payable = finding_counts_of(page.items), review_counts_of(page.items), payable_totals_of(page.items)
    items = [BillSummary(bill, counts[bill.id], reviews[bill.id], payable[bill.id]) for bill in page.items]
    return KeysetPage(items, page.per_page, page.after, page.next)
