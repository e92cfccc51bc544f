"""Return parcels (RMA), repair units, their append-only history, dealer tasks and repair prices."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text, event, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, utcnow
from core.workflow import EventColumns
from repairs import clocks


class ReturnParcel(db.Model):
    """A dealer's parcel of defective units (one RMA number), with the declared list."""

    __tablename__ = "return_parcel"
    __audited__ = True
    # An office's parcel list, newest first, a keyset page at a time: one range of this index.
    __table_args__ = (Index("ix_return_parcel_office_id_id", "office_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rma_number: Mapped[str] = mapped_column(String(20), unique=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), index=True)
    # Copied from the dealer when the parcel is made, so office scoping is one indexed column.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    inbound_waybill: Mapped[str | None] = mapped_column(String(60), index=True)
    inbound_carrier: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[str] = mapped_column(String(20), default="form")  # form, api, import, arrival
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dealer = relationship("Dealer", lazy="joined")
    units: Mapped[list["RepairUnit"]] = relationship(back_populates="parcel", order_by="RepairUnit.line_no")


class RepairUnit(db.Model):
    """One unit of a parcel: declared, received, inspected, at the factory, shipped back.

    ``state`` changes only through the repairs service modules (see ``repairs.states``);
    every change is mirrored by a :class:`RepairEvent` row.
    """

    __tablename__ = "repair_unit"
    __table_args__ = (
        Index("ix_repair_unit_state_dispatch_due", "state", "dispatch_due"),
        Index("ix_repair_unit_state_ship_due", "state", "ship_due"),
        Index("ix_repair_unit_state_factory_due", "state", "factory_due"),
        # The overdue list: a range of chase_due read in (chase_due, id) order; finished units are left out.
        Index("ix_repair_unit_chase_due", "chase_due", "id", sqlite_where=text("chase_due IS NOT NULL"),
              postgresql_where=text("chase_due IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parcel_id: Mapped[int] = mapped_column(ForeignKey("return_parcel.id"), index=True)
    line_no: Mapped[int] = mapped_column(default=0)
    serial: Mapped[str] = mapped_column(String(64), index=True)
    model: Mapped[str] = mapped_column(String(80), default="")
    # The model's brand when the unit was declared or received (core.directory.brands), for the figures.
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brand.id"), index=True)
    # Loaded when a page shows it (a detail page), never joined: units are locked FOR UPDATE.
    brand = relationship("Brand", lazy="select")
    fault: Mapped[str] = mapped_column(String(300), default="")
    warranty_claimed: Mapped[bool] = mapped_column(Boolean, default=True)
    declared: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(20), default="declared")
    route_id: Mapped[int | None] = mapped_column(ForeignKey("repair_route.id"), index=True)

    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inspected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatch_due: Mapped[date | None] = mapped_column()
    ship_due: Mapped[date | None] = mapped_column()
    # The factory's (or a promise-free repairer's) chase day, and the dealer promise's pause
    # (repairs.clocks): the day the running pause began, and the working days paused so far.
    factory_due: Mapped[date | None] = mapped_column()
    promise_paused_on: Mapped[date | None] = mapped_column()
    # The earliest due day of the clocks running now (repairs.clocks.chase_due), None while paused or
    # finished: written with the state and the due days (a transition through repairs.states.WORKFLOW,
    # an insert, an ORM change), so the overdue list is one index range in its order.
    chase_due: Mapped[date | None] = mapped_column(default=lambda context: _chase_due_of_row(context))
    paused_days: Mapped[int] = mapped_column(default=0, server_default="0")

    # Intake findings (验收核对).
    human_damage: Mapped[bool] = mapped_column(Boolean, default=False)
    no_stock: Mapped[bool] = mapped_column(Boolean, default=False)
    out_of_warranty: Mapped[bool] = mapped_column(Boolean, default=False)
    inspection_note: Mapped[str] = mapped_column(String(300), default="")
    quote_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    quote_price_id: Mapped[int | None] = mapped_column(ForeignKey("repair_price.id"))
    dealer_decision: Mapped[str | None] = mapped_column(String(20))  # see repairs.outcomes
    # A no-stock unit's outcome: the model sent instead (with the list's price difference) or a credit note.
    substitute_model: Mapped[str | None] = mapped_column(String(80))
    price_difference: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    credit_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Why a quoted charge is not charged (quote_amount is then 0).
    quote_waived_reason: Mapped[str | None] = mapped_column(String(200))

    # Factory outcome: repaired, replaced, unrepairable.
    outcome: Mapped[str | None] = mapped_column(String(20))
    replacement_serial: Mapped[str | None] = mapped_column(String(64), index=True)
    factory_shipment_id: Mapped[int | None] = mapped_column()
    return_shipment_id: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Plain lazy loads: the scan path reads one unit and must not drag five joins
    # along; list queries ask for selectinload explicitly.
    parcel: Mapped[ReturnParcel] = relationship(back_populates="units")
    route = relationship("RepairRoute")

    @property
    def next_due(self) -> date | None:
        """The earliest due date of the clocks running now (repairs.clocks)."""
        return clocks.next_due(self)

    def is_overdue(self, today: date) -> bool:
        """Has one of the unit's clocks run out (repairs.clocks.late_clock)?"""
        return clocks.late_clock(self, today) is not None


CHASE_COLUMNS = ("state", "dispatch_due", "ship_due", "factory_due")


def _chase_due_of_row(context) -> date | None:
    """An inserted row's chase_due from its own values (bulk inserts of seeders and benches too)."""
    row = context.get_current_parameters()
    return clocks.chase_due(row.get("state") or "declared", row.get("dispatch_due"), row.get("ship_due"),
                            row.get("factory_due"))


@event.listens_for(RepairUnit, "before_update")
def _keep_chase_due(_mapper, _connection, unit: RepairUnit) -> None:
    """A unit whose state or a due day was changed on the object gets its chase_due again at the flush."""
    state = inspect(unit)
    if any(state.attrs[name].history.has_changes() for name in CHASE_COLUMNS):
        unit.chase_due = clocks.next_due(unit)


class RepairEvent(EventColumns, db.Model):
    """Append-only history of a unit (and of parcel-level steps with ``unit_id`` empty)."""

    __tablename__ = "repair_event"
    __table_args__ = (Index("ix_repair_event_unit_at", "unit_id", "id"),)
    # The widths repair_event was created with.
    state_length = 20
    note_length = 300

    parcel_id: Mapped[int] = mapped_column(ForeignKey("return_parcel.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("repair_unit.id"))


class RepairPrice(db.Model):
    """One line of the dated paid-repair price list: the price of a model from a day on.

    ``model`` "*" is the default for models without their own line. A notice
    ("every repair 10 RMB cheaper from 2012-02-06") adds new rows from its date;
    quotes already made keep the row they used.
    """

    __tablename__ = "repair_price"
    __audited__ = True
    __table_args__ = (Index("ix_repair_price_model_from", "model", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(80))
    effective_from: Mapped[date] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    notice: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SerialPattern(db.Model):
    """What a serial of a model (or of a brand: the start of the model names) looks like.

    The department keeps this table on the serial patterns page. ``mask`` uses
    ``#`` for a digit, ``@`` for a letter, ``*`` for either, anything else as
    itself; ``applies_to`` "*" is for every model without rows of its own and
    for units whose model is not known yet (a unit that arrived without being
    on the list). Removed rows stay, inactive.
    """

    __tablename__ = "serial_pattern"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    applies_to: Mapped[str] = mapped_column(String(80), index=True)
    mask: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")
