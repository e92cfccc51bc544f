"""Spare stock: parts, locations, the append-only ledger and the balances kept with it.

``Movement`` rows are never edited or deleted; a correction is a reversing
movement. ``Balance`` (per location and part) and ``SerialPosition`` (where each
serialized unit is now) are written in the same transaction as each movement,
so reading stock never sums the ledger.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.stored_files import StoredFileColumns
from core.types import UTCDateTime, utcnow

# A big integer that still auto-increments on SQLite (INTEGER PRIMARY KEY).
BigId = BigInteger().with_variant(Integer(), "sqlite")

# Location kinds (the contract other packages rely on).
HQ_STORE = "hq_store"
FACTORY_SHIPPING = "factory_shipping"
FINISHED_GOODS = "finished_goods"
OFFICE = "office"
VENDOR = "vendor"
TRANSIT = "transit"
DEALER = "dealer"
SCRAPPED = "scrapped"
COUNT_LOSS = "count_loss"
BIN = "bin"
LOCATION_KINDS = (HQ_STORE, FACTORY_SHIPPING, FINISHED_GOODS, OFFICE, VENDOR, TRANSIT, DEALER, SCRAPPED,
                  COUNT_LOSS, BIN)
# Stock we physically hold and count: it can never go below zero. The other
# kinds are outside parties or bookkeeping sinks (the dealer, the vendor, the
# factory's production stock, scrap, count loss) whose balance is the net flow.
PHYSICAL_KINDS = frozenset({HQ_STORE, FACTORY_SHIPPING, OFFICE, TRANSIT, BIN})


class Part(db.Model):
    """A stocked item: a SKU, counted in bulk or by serial."""

    __tablename__ = "inv_part"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(60), unique=True)
    model: Mapped[str] = mapped_column(String(120), default="")
    family: Mapped[str] = mapped_column(String(60), default="")
    vendor_managed: Mapped[bool] = mapped_column(Boolean, default=False)
    serialized: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id"), index=True)
    # The brand of the product (a unit with this exact model is this brand's: core.directory.brands).
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brand = relationship("Brand", lazy="joined")


class Location(db.Model):
    """Where stock is: a store, an office, an outside party, or a virtual sink; bins sit under a parent."""

    __tablename__ = "inv_location"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("inv_location.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped["Location | None"] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    @property
    def physical(self) -> bool:
        return self.kind in PHYSICAL_KINDS

    def __repr__(self) -> str:
        return f"<Location {self.code}>"


class Movement(db.Model):
    """One line of the ledger: ``quantity`` of ``part`` (one ``serial``) moved from -> to."""

    __tablename__ = "inv_movement"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="positive_quantity"),
        CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
        # "What moved in or out of this location after T": reconciliation's only ledger read.
        # Covering (part and quantity in the key) so it is an index range scan, never a table visit.
        # The id after the time: a location's ledger page (newest first, then id) is a range of it too.
        Index("ix_inv_movement_to_at", "to_location_id", "at", "id", "part_id", "quantity"),
        Index("ix_inv_movement_from_at", "from_location_id", "at", "id", "part_id", "quantity"),
        # The whole ledger newest first (HQ's list, a period's): the keyset order of its pages.
        Index("ix_inv_movement_at_id", "at", "id"),
        # One part's ledger newest first (a SKU looked up over the whole ledger): its own range,
        # however rarely the part moves among everything else.
        Index("ix_inv_movement_part_at", "part_id", "at", "id"),
        Index("ix_inv_movement_serial", "serial", "part_id"),
        Index("ix_inv_movement_ref", "ref_type", "ref_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    part_id: Mapped[int] = mapped_column(ForeignKey("inv_part.id"))
    from_location_id: Mapped[int] = mapped_column(ForeignKey("inv_location.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("inv_location.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    serial: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(40))
    ref_type: Mapped[str | None] = mapped_column(String(40))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    # A reversal points at the movement it undoes; unique: undone at most once.
    reverses_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("inv_movement.id"), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    part: Mapped[Part] = relationship(lazy="joined")
    from_location: Mapped[Location] = relationship(foreign_keys=[from_location_id], lazy="joined")
    to_location: Mapped[Location] = relationship(foreign_keys=[to_location_id], lazy="joined")
    actor = relationship("User", lazy="joined")


class Balance(db.Model):
    """The current quantity of a part at a location, kept in step with the ledger."""

    __tablename__ = "inv_balance"

    location_id: Mapped[int] = mapped_column(ForeignKey("inv_location.id"), primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("inv_part.id"), primary_key=True, index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)

    part: Mapped[Part] = relationship(lazy="joined")
    location: Mapped[Location] = relationship(lazy="joined")


class SerialPosition(db.Model):
    """Where each serialized unit is now (the to-location of its latest movement)."""

    __tablename__ = "inv_serial_position"
    __table_args__ = (UniqueConstraint("part_id", "serial"), Index("ix_inv_serial_position_loc", "location_id", "part_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("inv_part.id"))
    serial: Mapped[str] = mapped_column(String(80), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("inv_location.id"))
    movement_id: Mapped[int] = mapped_column(BigId, ForeignKey("inv_movement.id"))

    part: Mapped[Part] = relationship(lazy="joined")
    location: Mapped[Location] = relationship(lazy="joined")


# --- counts ---------------------------------------------------------------------------------

COUNT_KINDS = ("weekly", "monthly", "spot")
COUNT_METHODS = ("form", "upload", "scan")


class StockCount(db.Model):
    """A physical count of one location at one moment, compared with the ledger as of that moment."""

    __tablename__ = "inv_count"
    __audited__ = True
    __table_args__ = (
        Index("ix_inv_count_location_at", "location_id", "counted_at"),
        # The list of counts, newest first, by location and/or status: one index range per page.
        Index("ix_inv_count_location_status_id", "location_id", "status", "id"),
        Index("ix_inv_count_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("inv_location.id"))
    kind: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10), default="form")
    # Blind: the counter is never shown the ledger's figures (HQ spot checks).
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    # Full: every part the ledger has there is in scope (uncounted = 0); else only the counted SKUs.
    full: Mapped[bool] = mapped_column(Boolean, default=True)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    recount_of_id: Mapped[int | None] = mapped_column(ForeignKey("inv_count.id"), unique=True)
    counted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Filled at submission (for the recount rule) and frozen at acceptance.
    variance_value: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    shortfall_value: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    surplus_value: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    liable_party: Mapped[str | None] = mapped_column(String(20))  # office | factory_shipping | cs
    liable_office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    # Why a recount is wanted: "threshold" (the variance was too large) or "supervisor" (asked, with a note).
    recount_reason: Mapped[str | None] = mapped_column(String(20))
    recount_note: Mapped[str | None] = mapped_column(Text)
    # The later count of the same location whose acceptance made this one moot.
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("inv_count.id"))
    # Value of units this count moved in from another location (that location's loss), frozen at acceptance.
    relocated_value: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))

    location: Mapped[Location] = relationship(lazy="joined")
    counted_by = relationship("User", foreign_keys=[counted_by_id], lazy="joined")
    accepted_by = relationship("User", foreign_keys=[accepted_by_id], lazy="joined")
    superseded_by: Mapped["StockCount | None"] = relationship(foreign_keys=[superseded_by_id], remote_side=[id],
                                                              lazy="select")
    lines: Mapped[list["CountLine"]] = relationship(back_populates="count", cascade="all, delete-orphan",
                                                    order_by="CountLine.id")
    serials: Mapped[list["CountSerial"]] = relationship(back_populates="count", cascade="all, delete-orphan",
                                                        order_by="CountSerial.id")

    @property
    def is_submitted(self) -> bool:
        """Waiting for the supervisor's decision."""
        return self.status == "submitted"

    @property
    def is_accepted(self) -> bool:
        """Accepted: its adjustments are posted."""
        return self.status == "accepted"


class CountLine(db.Model):
    """A counted quantity of one part; the ledger figure is frozen in at acceptance."""

    __tablename__ = "inv_count_line"
    __table_args__ = (UniqueConstraint("count_id", "part_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("inv_count.id", ondelete="CASCADE"))
    part_id: Mapped[int] = mapped_column(ForeignKey("inv_part.id"))
    counted_qty: Mapped[int] = mapped_column(Integer)
    ledger_qty: Mapped[int | None] = mapped_column(Integer)

    count: Mapped[StockCount] = relationship(back_populates="lines")
    part: Mapped[Part] = relationship(lazy="joined")


class CountSerial(db.Model):
    """One scanned serial in a serial count."""

    __tablename__ = "inv_count_serial"
    __table_args__ = (UniqueConstraint("count_id", "serial"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("inv_count.id", ondelete="CASCADE"))
    serial: Mapped[str] = mapped_column(String(80))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("inv_part.id"))

    count: Mapped[StockCount] = relationship(back_populates="serials")
    part: Mapped[Part | None] = relationship(lazy="joined")


# --- office spare cycle ----------------------------------------------------------------------

class SpareRequest(db.Model):
    """An office's request for spares: requested -> approved -> issued -> received; rejected or
    cancelled (both final) any time before it is issued. ``spares.allowed_actions`` lists the ways on."""

    __tablename__ = "inv_spare_request"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="requested", index=True)
    year: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cancel_note: Mapped[str] = mapped_column(Text, default="")
    # A new-year request is a copy of the office's last issued request: at most one copy open at a time.
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("inv_spare_request.id"))
    # The shipments package attaches a waybill later; inventory only keeps the link.
    shipment_id: Mapped[int | None] = mapped_column(Integer)

    office = relationship("Office", lazy="joined")
    lines: Mapped[list["SpareRequestLine"]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                           order_by="SpareRequestLine.id")

    @property
    def is_requested(self) -> bool:
        """Not decided yet."""
        return self.status == "requested"


class SpareRequestLine(db.Model):
    __tablename__ = "inv_spare_request_line"
    __table_args__ = (UniqueConstraint("request_id", "part_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("inv_spare_request.id", ondelete="CASCADE"))
    part_id: Mapped[int] = mapped_column(ForeignKey("inv_part.id"))
    requested_qty: Mapped[int] = mapped_column(Integer)
    approved_qty: Mapped[int | None] = mapped_column(Integer)
    # Serials issued, space separated (serialized parts).
    issued_serials: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[SpareRequest] = relationship(back_populates="lines")
    part: Mapped[Part] = relationship(lazy="joined")


class OfficeReturn(db.Model):
    """Year-end return of everything an office holds: prepared (confirmed, nothing moved yet; may be
    cancelled) -> shipped (office -> in transit) -> received at HQ."""

    __tablename__ = "inv_office_return"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="prepared")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Prepared outside the return window: the supervisor who allowed it, and why.
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    override_note: Mapped[str] = mapped_column(Text, default="")
    shipment_id: Mapped[int | None] = mapped_column(Integer)

    office = relationship("Office", lazy="joined")
    lines: Mapped[list["OfficeReturnLine"]] = relationship(back_populates="office_return",
                                                           cascade="all, delete-orphan",
                                                           order_by="OfficeReturnLine.id")


class OfficeReturnLine(db.Model):
    __tablename__ = "inv_office_return_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("inv_office_return.id", ondelete="CASCADE"))
    part_id: Mapped[int] = mapped_column(ForeignKey("inv_part.id"))
    from_location_id: Mapped[int] = mapped_column(ForeignKey("inv_location.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    serial: Mapped[str | None] = mapped_column(String(80))
    defective: Mapped[bool] = mapped_column(Boolean, default=False)

    office_return: Mapped[OfficeReturn] = relationship(back_populates="lines")
    part: Mapped[Part] = relationship(lazy="joined")


# --- vendor pool ------------------------------------------------------------------------------

class VendorPartSales(db.Model):
    """How many of a vendor-managed part the company sold in a month, as CS enters it from the sales
    figures: the vendor pool is topped up in line with sales (manual 5.2.1)."""

    __tablename__ = "inv_vendor_sales"
    __audited__ = True
    __table_args__ = (UniqueConstraint("part_id", "month", name="uq_inv_vendor_sales_part_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("inv_part.id"))
    month: Mapped[date] = mapped_column(Date)  # the month's first day
    quantity: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    part = relationship("Part", lazy="joined")


class VendorBatch(db.Model):
    """A monthly batch of vendor defectives shipped from HQ; checked in at the factory shipping dept."""

    __tablename__ = "inv_vendor_batch"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    status: Mapped[str] = mapped_column(String(20), default="shipped")  # shipped | checked_in
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    check_note: Mapped[str] = mapped_column(Text, default="")
    shipment_id: Mapped[int | None] = mapped_column(Integer)

    vendor = relationship("Vendor", lazy="joined")
    lines: Mapped[list["VendorBatchLine"]] = relationship(back_populates="batch", cascade="all, delete-orphan",
                                                          order_by="VendorBatchLine.id")

    @property
    def is_shipped(self) -> bool:
        """On its way back from the vendor, not checked in yet."""
        return self.status == "shipped"


class VendorBatchLine(db.Model):
    __tablename__ = "inv_vendor_batch_line"
    __table_args__ = (UniqueConstraint("batch_id", "part_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("inv_vendor_batch.id", ondelete="CASCADE"))
    part_id: Mapped[int] = mapped_column(ForeignKey("inv_part.id"))
    sent_qty: Mapped[int] = mapped_column(Integer)
    sent_serials: Mapped[str] = mapped_column(Text, default="")
    received_qty: Mapped[int | None] = mapped_column(Integer)
    received_serials: Mapped[str] = mapped_column(Text, default="")

    batch: Mapped[VendorBatch] = relationship(back_populates="lines")
    part: Mapped[Part] = relationship(lazy="joined")

    @property
    def difference(self) -> int | None:
        return None if self.received_qty is None else self.received_qty - self.sent_qty


class ShippingStatement(db.Model):
    """The factory shipping dept's own weekly record of vendor-pool receipts and shipments."""

    __tablename__ = "inv_shipping_statement"
    __audited__ = True
    __table_args__ = (UniqueConstraint("week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(Date)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list["ShippingStatementLine"]] = relationship(back_populates="statement",
                                                                cascade="all, delete-orphan",
                                                                order_by="ShippingStatementLine.id")


class ShippingStatementLine(db.Model):
    __tablename__ = "inv_shipping_statement_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("inv_shipping_statement.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    part_id: Mapped[int] = mapped_column(ForeignKey("inv_part.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    serial: Mapped[str | None] = mapped_column(String(80))
    reference: Mapped[str] = mapped_column(String(80), default="")

    statement: Mapped[ShippingStatement] = relationship(back_populates="lines")
    part: Mapped[Part] = relationship(lazy="joined")


# --- signed documents ---------------------------------------------------------------------------

class SignedDocument(StoredFileColumns, db.Model):
    """A signed scan (备品签字版文件, manual 3.5) kept on a spare request, a year-end return or a count.

    Exactly one of the three record columns is set; the file lives under
    ``UPLOAD_FOLDER/spares/`` (``inventory.documents``).
    """

    __tablename__ = "inv_signed_document"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("(CASE WHEN request_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN return_id IS NULL THEN 0 "
                        "ELSE 1 END) + (CASE WHEN count_id IS NULL THEN 0 ELSE 1 END) = 1", name="one_record"),
        # The same file once per record (NULLs never collide): the backstop of the service's check.
        UniqueConstraint("request_id", "sha256"),
        UniqueConstraint("return_id", "sha256"),
        UniqueConstraint("count_id", "sha256"),
    )

    request_id: Mapped[int | None] = mapped_column(ForeignKey("inv_spare_request.id"))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("inv_office_return.id"))
    count_id: Mapped[int | None] = mapped_column(ForeignKey("inv_count.id"))
