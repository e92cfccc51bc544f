"""A unit's card: what the scan station and the lookup show of one unit.

The scan station's receive step reads the card straight from the tables (see
``repairs.receiving.receive_card``) instead of loading the unit, its parcel and
its dealer as ORM objects: at the station's pace that load costs more than the
scan itself. Every other step makes the card from the loaded unit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from repairs import clocks


@dataclass(frozen=True)
class UnitCard:
    id: int
    serial: str
    model: str
    state: str
    declared: bool
    rma_number: str
    dealer: str
    dispatch_due: date | None
    ship_due: date | None
    replacement_serial: str | None
    quote_amount: Decimal | None
    parcel_id: int | None = None
    factory_due: date | None = None
    # The same serial still open elsewhere, when the receive step let it pass (declared there only).
    elsewhere: dict | None = None

    @classmethod
    def of(cls, unit) -> "UnitCard":
        """The card of a loaded :class:`repairs.models.RepairUnit`."""
        parcel = unit.parcel
        return cls(id=unit.id, serial=unit.serial, model=unit.model, state=unit.state, declared=unit.declared,
                   rma_number=parcel.rma_number, dealer=parcel.dealer.name if parcel.dealer else "",
                   dispatch_due=unit.dispatch_due, ship_due=unit.ship_due,
                   replacement_serial=unit.replacement_serial, quote_amount=unit.quote_amount,
                   parcel_id=unit.parcel_id, factory_due=unit.factory_due)

    @property
    def next_due(self) -> date | None:
        """The earliest due date of the clocks running now, as on the unit page (repairs.clocks)."""
        return clocks.next_due(self)

    def is_overdue(self, today: date) -> bool:
        """Has one of the running clocks (the factory's included) run out before ``today``?"""
        due = self.next_due
        return due is not None and due < today
