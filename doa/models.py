"""DOA new-unit exchanges (新品换货, DOMAIN.md B): applications, units, history, holds, tasks, attachments.

``DoaApplication.state`` changes only through the DOA service modules (``doa.service._transition``)
(the table is :mod:`doa.states`); each change appends a
:class:`DoaEvent` in the same transaction.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Numeric, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.stored_files import StoredFileColumns
from core.types import UTCDateTime, utcnow
from core.workflow import EventColumns
from doa.states import APPROVAL_CLOCK, REPLACEMENT_CLOCK


class DoaApplication(db.Model):
    """A dealer's DOA application (one DOA number): units, request, approvals, receipt, outcome."""

    __tablename__ = "doa_application"
    __audited__ = True
    __table_args__ = (
        Index("ix_doa_application_state_approval_due", "state", "approval_due"),
        Index("ix_doa_application_state_replacement_due", "state", "replacement_due"),
        # The list's keyset order (newest id first) after each common equality filter.
        Index("ix_doa_application_state_id", "state", "id"),
        Index("ix_doa_application_office_id_id", "office_id", "id"),
        Index("ix_doa_application_office_state_id", "office_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), index=True)
    # Copied from the dealer so office scoping is one indexed column.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    request: Mapped[str] = mapped_column(String(12))  # replacement, refund
    purchase_date: Mapped[date] = mapped_column()
    # The DOA window in force when the dealer applied, and whether the purchase lay beyond it:
    # such an application is flagged for the approvers, not refused.
    window_days: Mapped[int | None] = mapped_column()
    outside_window: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    fault: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(120), default="")
    source: Mapped[str] = mapped_column(String(10), default="staff")  # staff, dealer, api
    state: Mapped[str] = mapped_column(String(24), default="submitted", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    # CS gets the internal approval done within one working day (B.1).
    approval_due: Mapped[date] = mapped_column()

    channel_decision: Mapped[str | None] = mapped_column(String(10))  # approved, refused
    channel_by: Mapped[str | None] = mapped_column(String(64))
    channel_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel_reason: Mapped[str] = mapped_column(String(500), default="")
    product_decision: Mapped[str | None] = mapped_column(String(10))
    product_by: Mapped[str | None] = mapped_column(String(64))
    product_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    product_reason: Mapped[str] = mapped_column(String(500), default="")
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by: Mapped[str | None] = mapped_column(String(64))
    receipt_findings: Mapped[list] = mapped_column(JSON, default=list)
    inbound_shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipment.id"))
    # The sales head signs for receipt: DOA freight is the sales department's cost (B.3).
    sales_signed_by: Mapped[str | None] = mapped_column(String(64))
    sales_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Replacement path: due 7 working days after receipt (B.5).
    replacement_due: Mapped[date | None] = mapped_column()
    purchasing_by: Mapped[str | None] = mapped_column(String(64))
    purchasing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replacement_shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipment.id"))
    replacement_shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Refund path (B.6): product, finance, then commerce's sales return / credit.
    refund_product_by: Mapped[str | None] = mapped_column(String(64))
    refund_product_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_finance_by: Mapped[str | None] = mapped_column(String(64))
    refund_finance_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credit_number: Mapped[str | None] = mapped_column(String(40), index=True)
    credit_by: Mapped[str | None] = mapped_column(String(64))
    credit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    refund_currency: Mapped[str | None] = mapped_column(String(3))

    # Closing needs the sales head's sign-off and the scanned signed application (B.3, B.7),
    # unless the supervisor waived what is missing, with a reason.
    closing_waived_by: Mapped[str | None] = mapped_column(String(64))
    closing_waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_waiver_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    closed_reason: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dealer = relationship("Dealer", lazy="joined")
    units: Mapped[list["DoaUnit"]] = relationship(
        back_populates="application", order_by="DoaUnit.line_no", lazy="selectin"
    )
    inbound_shipment = relationship("Shipment", foreign_keys=[inbound_shipment_id])
    replacement_shipment = relationship("Shipment", foreign_keys=[replacement_shipment_id])

    @property
    def declared_units(self) -> list["DoaUnit"]:
        return [u for u in self.units if u.declared]

    @property
    def next_due(self) -> date | None:
        """The deadline running now: internal approval, then the replacement's shipping."""
        if self.state in APPROVAL_CLOCK:
            return self.approval_due
        if self.state in REPLACEMENT_CLOCK and self.request == "replacement":
            return self.replacement_due
        return None

    def is_overdue(self, today: date) -> bool:
        due = self.next_due
        return due is not None and due < today


class DoaUnit(db.Model):
    """One unit of an application (declared by the dealer, or an extra one found on receipt)."""

    __tablename__ = "doa_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("doa_application.id"), index=True)
    line_no: Mapped[int] = mapped_column(default=0)
    serial: Mapped[str] = mapped_column(String(64), index=True)
    model: Mapped[str] = mapped_column(String(80), default="")
    # The model's brand when the unit was applied for (core.directory.brands), for the figures.
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id"), index=True)
    # Loaded when a page shows it (a detail page), never joined: units are locked FOR UPDATE.
    brand = relationship("Brand", lazy="select")
    fault: Mapped[str] = mapped_column(String(300), default="")
    declared: Mapped[bool] = mapped_column(Boolean, default=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    human_damage: Mapped[bool] = mapped_column(Boolean, default=False)
    # Purchasing's outcome: repaired (the same unit goes back) or swapped (a new unit).
    outcome: Mapped[str | None] = mapped_column(String(10))
    replacement_serial: Mapped[str | None] = mapped_column(String(64), index=True)

    application: Mapped[DoaApplication] = relationship(back_populates="units", lazy="joined")

    @property
    def outgoing_serial(self) -> str | None:
        """The serial that travels back to the dealer."""
        if self.outcome == "swapped":
            return self.replacement_serial
        if self.outcome == "repaired":
            return self.serial
        return None


class DoaEvent(EventColumns, db.Model):
    """Append-only history of an application (``unit_id`` set for a unit-level step)."""

    __tablename__ = "doa_event"
    __table_args__ = (Index("ix_doa_event_application_id_id", "application_id", "id"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("doa_application.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("doa_unit.id"))


class DoaHold(db.Model):
    """A unit that arrived as DOA without an approved application (先申请后发货, B.1).

    It is recorded, not accepted as a DOA, and waits for the clerk's decision:
    an ordinary repair (``parcel_id`` set) or set aside (kept for the dealer).
    """

    __tablename__ = "doa_hold"
    __audited__ = True
    __table_args__ = (
        # The list's keyset order (oldest arrival, then id) after its status and office filters.
        Index("ix_doa_hold_status_arrived_id", "status", "arrived_at", "id"),
        Index("ix_doa_hold_office_status_arrived_id", "office_id", "status", "arrived_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), index=True)
    model: Mapped[str] = mapped_column(String(80), default="")
    application_id: Mapped[int | None] = mapped_column(ForeignKey("doa_application.id"), index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))  # not_approved, refused, closed, no_application
    status: Mapped[str] = mapped_column(String(12), default="held", index=True)  # held, repair, set_aside
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    arrived_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("return_parcel.id"))
    note: Mapped[str] = mapped_column(String(500), default="")

    application = relationship("DoaApplication", lazy="joined")
    dealer = relationship("Dealer", lazy="joined")
    parcel = relationship("ReturnParcel", lazy="joined")

    @property
    def is_held(self) -> bool:
        """Still held: to be turned into a repair or set aside."""
        return self.status == "held"


class DoaAttachment(StoredFileColumns, db.Model):
    """A scanned, signed application (B.7) stored under UPLOAD_FOLDER with a generated name."""

    __tablename__ = "doa_attachment"
    __audited__ = True

    application_id: Mapped[int] = mapped_column(ForeignKey("doa_application.id"), index=True)
