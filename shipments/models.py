"""Shipments (every leg a unit or a spare travels), their receipts and freight bills.

A :class:`Shipment` is one parcel consignment with one waybill; its
:class:`ShipmentLine` rows are the declared contents (repair units by serial,
parts by part id and quantity). Receiving writes a :class:`ShipmentReceipt`
with one :class:`ReceiptFinding` per difference (missing, extra, wrong) and
updates each line's received quantity and state.

A :class:`FreightBill` is an imported monthly logistics bill: its
:class:`FreightBillLine` rows are the bill as imported and its
:class:`FreightFinding` rows are the reconciliation result kept as a record.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.roles import Role
from core.extensions import db
from core.types import UTCDateTime, utcnow
from core.workflow import LabelledEnum, Workflow

import inventory.models  # noqa: F401  (the location and part tables referenced below)

# Legs: who sends to whom (DOMAIN.md A, B, C, D).
LEGS = (
    "dealer_hq", "hq_factory", "factory_hq", "factory_dealer", "hq_office",
    "office_hq", "hq_vendor", "vendor_factory", "fg_dealer",
)
# Legs the factory (repair shipping dept or finished-goods store) ships: these
# must be reported with their waybill by the next working day (D.4, B.4) and
# appear on the factory's monthly logistics bill (manual 2.1.4).
FACTORY_LEGS = ("factory_hq", "factory_dealer", "fg_dealer")
OFFICE_LEGS = ("hq_office", "office_hq")
DEALER_LEGS = ("dealer_hq", "factory_dealer", "fg_dealer")
VENDOR_LEGS = ("hq_vendor", "vendor_factory")



class ShipmentStatus(LabelledEnum):
    """Where a shipment is; each member carries its words."""

    PACKED = "packed", _l("packed")  # declared, no waybill yet
    SHIPPED = "shipped", _l("shipped")  # left with its waybill
    RECEIVED = "received", _l("received")  # checked in at its destination


STATUSES = tuple(ShipmentStatus)
# A shipment may be received before anyone reported it shipped (the parcel came first).
SHIPMENT_TRANSITIONS: dict[str, dict[str, str]] = {
    ShipmentStatus.PACKED: {"ship": ShipmentStatus.SHIPPED, "receive": ShipmentStatus.RECEIVED},
    ShipmentStatus.SHIPPED: {"receive": ShipmentStatus.RECEIVED},
    ShipmentStatus.RECEIVED: {},
}
# No event table: the audited flush records each change of status (who and when are on the shipment).
SHIPMENT_WORKFLOW = Workflow(
    states=ShipmentStatus, transitions=SHIPMENT_TRANSITIONS,
    action_labels={"ship": _l("ship"), "receive": _l("receive")},
    column="status", name_attr="number", stamp=None)
PAYING_ACCOUNTS = ("cs", "sales")
LINE_KINDS = ("unit", "part")
# Receive state of a line: pending until a receipt; then ok, short (some
# missing), missing (none arrived) or wrong (arrived but not as declared).
LINE_STATES = ("pending", "ok", "short", "missing", "wrong")
FINDING_KINDS = ("missing", "extra", "wrong")
FREIGHT_FINDING_KINDS = ("matched", "amount_diff", "no_shipment", "unbilled", "duplicate", "rebilled")


class BillStatus(LabelledEnum):
    """Where a freight bill is; each member carries its words."""

    OPEN = "open", _l("open")
    PAID = "paid", _l("paid")


class LineReview(LabelledEnum):
    """The supervisor's view of one bill line; each member carries its words."""

    ACCEPTED = "accepted", _l("payable")
    PENDING = "pending", _l("awaiting your decision")
    DISPUTED = "disputed", _l("disputed")


# A bill is open until the supervisor pays it; a paid bill is closed for decisions. Deciding a
# line holds the open bill (a guarded no-op step), so decisions and payment take turns. Paying
# also needs every line decided: a guard that reads the lines, attached in shipments.freight.
BILL_STATUSES = tuple(BillStatus)
BILL_WORKFLOW = Workflow(
    states=BillStatus,
    transitions={BillStatus.OPEN: {"pay": BillStatus.PAID, "decide_line": BillStatus.OPEN}, BillStatus.PAID: {}},
    action_labels={"pay": _l("pay the bill"), "decide_line": _l("decide a line")},
    column="status", name_attr="label", roles={"pay": (Role.SUPERVISOR,), "decide_line": (Role.SUPERVISOR,)},
    stamp=None)
# The supervisor's view of one bill line: ``accepted`` lines are payable;
# ``pending`` lines bill a waybill billed before (on another bill or earlier on
# the same one) and wait for a decision; ``disputed`` lines are not paid. A
# decision can be changed while the bill is open.
LINE_REVIEWS = tuple(LineReview)
LINE_WORKFLOW = Workflow(
    states=LineReview,
    transitions={
        LineReview.PENDING: {"accept": LineReview.ACCEPTED, "dispute": LineReview.DISPUTED},
        LineReview.ACCEPTED: {"dispute": LineReview.DISPUTED},
        LineReview.DISPUTED: {"accept": LineReview.ACCEPTED},
    },
    action_labels={"accept": _l("accept the line"), "dispute": _l("dispute the line")},
    column="review", name_attr="reference", roles={"accept": (Role.SUPERVISOR,), "dispute": (Role.SUPERVISOR,)},
    stamp=None)


class Shipment(db.Model):
    """One consignment on one leg, with one waybill."""

    __tablename__ = "shipment"
    __audited__ = True
    __table_args__ = (
        Index("ix_shipment_status_leg", "status", "leg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    leg: Mapped[str] = mapped_column(String(20), index=True)
    carrier: Mapped[str] = mapped_column(String(60), default="")
    # Stored normalised (trimmed, upper case) so a scanned waybill always matches.
    waybill: Mapped[str | None] = mapped_column(String(60), index=True)
    pieces: Mapped[int | None] = mapped_column()
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    freight_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    paying_account: Mapped[str] = mapped_column(String(10), default="cs")
    status: Mapped[str] = mapped_column(String(12), default=ShipmentStatus.PACKED.value, index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id"), index=True)
    # The repair site a unit shipment goes to (hq_factory): the destination of a box packed for it.
    factory_id: Mapped[int | None] = mapped_column(ForeignKey("factory.id"), index=True)
    # While the shipment is an open box filled at the scan station: its destination (one open
    # box per destination, the unique value guards that); empty once the box is closed.
    box_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    # Inventory locations (inventory.models.Location); set when parts travel.
    from_location_id: Mapped[int | None] = mapped_column(ForeignKey("inv_location.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("inv_location.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the waybill reached us (the factory's report, DOMAIN.md D.4).
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last day the report is due (factory legs only): next working day after shipping.
    report_due: Mapped[date | None] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    shipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", order_by="ShipmentLine.id", cascade="all, delete-orphan"
    )

    @property
    def is_packed(self) -> bool:
        """Packed, not shipped yet (no waybill reported)."""
        return self.status == ShipmentStatus.PACKED

    @property
    def is_shipped(self) -> bool:
        """On its way."""
        return self.status == ShipmentStatus.SHIPPED

    @property
    def is_received(self) -> bool:
        """Arrived and received."""
        return self.status == ShipmentStatus.RECEIVED
    dealer = relationship("Dealer", lazy="joined")
    office = relationship("Office", lazy="joined")
    vendor = relationship("Vendor", lazy="joined")
    factory = relationship("Factory")
    created_by = relationship("User", foreign_keys=[created_by_id])

    @property
    def is_factory_leg(self) -> bool:
        return self.leg in FACTORY_LEGS

    @property
    def unit_count(self) -> int:
        return sum(1 for line in self.lines if line.kind == "unit")

    @property
    def part_quantity(self) -> int:
        return sum(line.quantity for line in self.lines if line.kind == "part")

    def __repr__(self) -> str:
        return f"<Shipment {self.number} {self.leg} {self.status}>"


class ShipmentLine(db.Model):
    """One declared item: a repair unit (by serial) or a part with a quantity."""

    __tablename__ = "shipment_line"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    serial: Mapped[str | None] = mapped_column(String(80), index=True)
    model: Mapped[str] = mapped_column(String(80), default="")
    part_id: Mapped[int | None] = mapped_column(ForeignKey("inv_part.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    # What the line stands for elsewhere (e.g. "repair_unit", 12).
    ref_type: Mapped[str | None] = mapped_column(String(40))
    ref_id: Mapped[int | None] = mapped_column()
    received_quantity: Mapped[int] = mapped_column(default=0)
    receive_state: Mapped[str] = mapped_column(String(10), default="pending")
    receive_note: Mapped[str] = mapped_column(String(200), default="")

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    part = relationship("Part", lazy="joined")

    __table_args__ = (Index("ix_shipment_line_ref", "ref_type", "ref_id"),)


class ShipmentReceipt(db.Model):
    """The receipt check of one shipment: who received it, when, and what scanned."""

    __tablename__ = "shipment_receipt"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id"), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The scans as the clerk entered them, kept for disputes with the sender.
    scans: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")

    findings: Mapped[list[ReceiptFinding]] = relationship(
        back_populates="receipt", order_by="ReceiptFinding.id", cascade="all, delete-orphan"
    )
    received_by = relationship("User", foreign_keys=[received_by_id])
    shipment = relationship("Shipment")

    @property
    def clean(self) -> bool:
        return not self.findings


class ReceiptFinding(db.Model):
    """A difference found on receipt: missing, extra or wrong item."""

    __tablename__ = "shipment_receipt_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("shipment_receipt.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("shipment_line.id"))
    code: Mapped[str] = mapped_column(String(80), default="")
    expected: Mapped[str] = mapped_column(String(200), default="")
    received: Mapped[str] = mapped_column(String(200), default="")
    quantity: Mapped[int] = mapped_column(default=1)

    receipt: Mapped[ShipmentReceipt] = relationship(back_populates="findings")


class FreightBill(db.Model):
    """A factory logistics bill for one month, as imported."""

    __tablename__ = "freight_bill"
    __audited__ = True
    # The list of bills, newest month first (then id): the keyset order of its pages.
    __table_args__ = (Index("ix_freight_bill_period_id", "period", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # BILL-00001: what the supervisor and the findings name a bill by.
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    period: Mapped[str] = mapped_column(String(7), index=True)  # "2026-10"
    filename: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the file: the same file is never imported twice.
    checksum: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the bill's lines as read (waybill, amount, date, ...), in
    # sorted order: the same lines are one bill whatever file they came in.
    content_key: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    paid_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    line_count: Mapped[int] = mapped_column(default=0)
    total_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    # Totals per paying account, e.g. {"cs": {"billed": "12.00", "recorded": "10.00"}, ...}
    totals: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list[FreightBillLine]] = relationship(
        back_populates="bill", order_by="FreightBillLine.line_no", cascade="all, delete-orphan",
        foreign_keys="FreightBillLine.bill_id",
    )
    findings: Mapped[list[FreightFinding]] = relationship(
        back_populates="bill", order_by="FreightFinding.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        """Still being checked: lines may change."""
        return self.status == BillStatus.OPEN

    @property
    def is_paid(self) -> bool:
        """Paid: the bill is closed."""
        return self.status == BillStatus.PAID
    imported_by = relationship("User", foreign_keys=[imported_by_id])
    paid_by = relationship("User", foreign_keys=[paid_by_id])

    @property
    def label(self) -> str:
        """The bill's name for people: its number (older bills: their id)."""
        return self.number or f"#{self.id}"


class FreightBillLine(db.Model):
    """One line of an imported bill (line_no is the file's line/row number)."""

    __tablename__ = "freight_bill_line"
    __table_args__ = (UniqueConstraint("bill_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("freight_bill.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column()
    waybill: Mapped[str] = mapped_column(String(60), index=True)
    ship_date: Mapped[date | None] = mapped_column()
    carrier: Mapped[str] = mapped_column(String(60), default="")
    destination: Mapped[str] = mapped_column(String(200), default="")
    pieces: Mapped[int | None] = mapped_column()
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipment.id"), index=True)
    review: Mapped[str] = mapped_column(String(10), default="accepted", server_default="accepted", index=True)
    # The bill that billed this waybill first (this bill itself for a repeat within the file).
    billed_before_id: Mapped[int | None] = mapped_column(ForeignKey("freight_bill.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_note: Mapped[str] = mapped_column(String(500), default="", server_default="")

    bill: Mapped[FreightBill] = relationship(back_populates="lines", foreign_keys=[bill_id])
    billed_before = relationship("FreightBill", foreign_keys=[billed_before_id])
    shipment = relationship("Shipment")

    @property
    def payable(self) -> bool:
        return self.review == LineReview.ACCEPTED

    @property
    def reference(self) -> str:
        """The line's name for people: its bill and line number."""
        return _("%(bill)s line %(n)s", bill=self.bill.label, n=self.line_no)


class FreightFinding(db.Model):
    """One row of a bill's reconciliation result."""

    __tablename__ = "freight_finding"
    # A bill's lines of one kind in id order (the bill page's keyset pages): one range of this index.
    __table_args__ = (Index("ix_freight_finding_bill_kind_id", "bill_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("freight_bill.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    bill_line_id: Mapped[int | None] = mapped_column(ForeignKey("freight_bill_line.id"))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipment.id"))
    waybill: Mapped[str] = mapped_column(String(60), default="")
    paying_account: Mapped[str | None] = mapped_column(String(10))
    billed: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    recorded: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    difference: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    bill: Mapped[FreightBill] = relationship(back_populates="findings")
    bill_line = relationship("FreightBillLine")
    shipment = relationship("Shipment")
