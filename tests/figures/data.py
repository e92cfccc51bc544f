"""A small, hand-computed data set for the figures tests (October 2026, Shanghai time).

Calendar facts used: 2026-10-01..07 are holidays, Saturday 2026-10-10 is a
make-up working day, 2026-10-31 is a Saturday and 2026-11-01 a Sunday.

Units (route FAC promises 7 working days; TW, Taiwan repair, promises none):

=====  ======  =====  =============  ==========  ===========  ==========  ===========  =====
unit   parcel  model  received       disp. due   dispatched   ship due    shipped      route
=====  ======  =====  =============  ==========  ===========  ==========  ===========  =====
U1     P1/D1   X1     09-30          10-09       10-10 LATE   10-15       10-15 ok     FAC
U2     P1/D1   X1     09-30          10-09       10-09 ok     10-15       10-16 LATE   FAC
U3     P2/D2   Y2     10-12          10-14       10-13 ok     10-21       10-21 ok     FAC
U4     P2/D2   Y2     10-12          10-14       10-14 ok     —           (at factory) TW
U5     P3/D1   X1     10-13          10-15       —            —           —            FAC
U6     P3/D1   Y2     10-31 23:30    11-03       —            —           —            FAC
U7     P4/D1   Y2     11-01 00:30    11-03       —            —           —            FAC
=====  ======  =====  =============  ==========  ===========  ==========  ===========  =====

U1 is the unit late by one working day across the National Day holiday:
received Wednesday 09-30, due two working days later on Friday 10-09 (10-01..07
are off, 10-08 and 10-09 count), sent on the make-up Saturday 10-10.

Turnaround (receipt to return): U1 7, U2 8, U3 7 working days.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def sh(y, m, d, hh=12, mm=0) -> datetime:
    """A Shanghai wall-clock time as an aware UTC datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(timezone.utc)


def seed() -> dict:
    """Insert the data set (inside an app context) and commit; returns ids by name."""
    from core.directory.models import Dealer, Factory, Office, RepairRoute
    from core.extensions import db
    from inventory.models import Balance, Location, Movement, Part, StockCount
    from repairs.models import RepairUnit, ReturnParcel
    from shipments.models import Shipment

    bj = Office(code="BJ", name="Beijing office")
    sho = Office(code="SH", name="Shanghai office")
    db.session.add_all([bj, sho])
    db.session.flush()
    d1 = Dealer(code="D1", name="Dealer One", office_id=bj.id)
    d2 = Dealer(code="D2", name="Dealer Two", office_id=sho.id)
    fac = Factory(code="F1", name="Factory")
    db.session.add_all([d1, d2, fac])
    db.session.flush()
    r_fac = RepairRoute(code="FAC", name="Factory repair", factory_id=fac.id, promise_days=7, dispatch_days=2)
    r_tw = RepairRoute(code="TW", name="Taiwan repair", factory_id=fac.id, promise_days=None, dispatch_days=2)
    db.session.add_all([r_fac, r_tw])
    db.session.flush()

    def parcel(rma, dealer, arrived):
        p = ReturnParcel(rma_number=rma, dealer_id=dealer.id, office_id=dealer.office_id, arrived_at=arrived)
        db.session.add(p)
        db.session.flush()
        return p

    p1 = parcel("RMA2609-0001", d1, sh(2026, 9, 30, 10))
    p2 = parcel("RMA2610-0001", d2, sh(2026, 10, 12, 9))
    p3 = parcel("RMA2610-0002", d1, sh(2026, 10, 13, 9))
    p4 = parcel("RMA2611-0001", d1, sh(2026, 11, 1, 0, 30))

    def unit(parcel_, serial, model, fault, route, state, received, dispatch_due, inspected=None, ship_due=None,
             dispatched=None, returned=None, shipped=None):
        u = RepairUnit(parcel_id=parcel_.id, serial=serial, model=model, fault=fault, route_id=route.id, state=state,
                       received_at=received, dispatch_due=dispatch_due, inspected_at=inspected, ship_due=ship_due,
                       dispatched_at=dispatched, returned_at=returned, shipped_at=shipped)
        db.session.add(u)
        return u

    unit(p1, "U1", "X1", "no power", r_fac, "shipped", sh(2026, 9, 30, 10), date(2026, 10, 9), sh(2026, 9, 30, 11),
         date(2026, 10, 15), sh(2026, 10, 10, 9), sh(2026, 10, 14), sh(2026, 10, 15, 16))
    unit(p1, "U2", "X1", "no power", r_fac, "shipped", sh(2026, 9, 30, 10), date(2026, 10, 9), sh(2026, 9, 30, 11),
         date(2026, 10, 15), sh(2026, 10, 9, 17), sh(2026, 10, 15), sh(2026, 10, 16, 10))
    unit(p2, "U3", "Y2", "bad sector", r_fac, "shipped", sh(2026, 10, 12, 9), date(2026, 10, 14), sh(2026, 10, 12, 10),
         date(2026, 10, 21), sh(2026, 10, 13, 15), sh(2026, 10, 20), sh(2026, 10, 21, 11))
    unit(p2, "U4", "Y2", "", r_tw, "at_factory", sh(2026, 10, 12, 9), date(2026, 10, 14), sh(2026, 10, 12, 10),
         None, sh(2026, 10, 14, 15))
    unit(p3, "U5", "X1", "bad sector", r_fac, "received", sh(2026, 10, 13, 9), date(2026, 10, 15))
    unit(p3, "U6", "Y2", "bad sector", r_fac, "received", sh(2026, 10, 31, 23, 30), date(2026, 11, 3))
    unit(p4, "U7", "Y2", "bad sector", r_fac, "received", sh(2026, 11, 1, 0, 30), date(2026, 11, 3))

    # Spares: 10 in on 10-05, 3 out on 10-20, 2 in on 10-25, 4 more in on 11-03 (after October):
    # 9 held at the end of October (450.00), 13 now; October's ledger: 2 lines in, 1 out.
    part = Part(sku="SP-A", model="X1", unit_cost=Decimal("50.00"))
    hq = Location(code="HQ", name="HQ store", kind="hq_store")
    dealer_loc = Location(code="DEALERS", name="Dealers", kind="dealer")
    off_bj = Location(code="OFF-BJ", name="Beijing office", kind="office", office_id=bj.id)
    off_sh = Location(code="OFF-SH", name="Shanghai office", kind="office", office_id=sho.id)
    fs = Location(code="FS", name="Factory shipping", kind="factory_shipping")
    db.session.add_all([part, hq, dealer_loc, off_bj, off_sh, fs])
    db.session.flush()
    for at, src, dst, qty in ((sh(2026, 10, 5), hq, off_bj, 10), (sh(2026, 10, 20), off_bj, dealer_loc, 3),
                              (sh(2026, 10, 25), hq, off_bj, 2), (sh(2026, 11, 3), hq, off_bj, 4)):
        db.session.add(Movement(at=at, part_id=part.id, from_location_id=src.id, to_location_id=dst.id,
                                quantity=qty, reason="test"))
    db.session.add(Balance(location_id=off_bj.id, part_id=part.id, quantity=13))

    # Counts (weeks ending in October: Mondays 09-28, 10-05, 10-12, 10-19) plus the monthly count.
    def count(number, loc, kind, counted, created, status="submitted", accepted=None, short="0", surplus="0",
              party=None, liable_office=None):
        db.session.add(StockCount(number=number, location_id=loc.id, kind=kind, counted_at=counted, created_at=created,
                                  status=status, accepted_at=accepted, shortfall_value=Decimal(short),
                                  surplus_value=Decimal(surplus), variance_value=Decimal(short) + Decimal(surplus),
                                  liable_party=party, liable_office_id=liable_office))

    count("CNT-1", off_bj, "weekly", sh(2026, 9, 30, 17), sh(2026, 9, 30, 17))          # week 09-28: on time
    count("CNT-2", off_bj, "weekly", sh(2026, 10, 16, 17), sh(2026, 10, 16, 17), status="accepted",
          accepted=sh(2026, 10, 16, 18), short="100.00", party="office", liable_office=bj.id)  # week 10-12: on time
    count("CNT-3", off_bj, "weekly", sh(2026, 10, 23, 17), sh(2026, 10, 27, 9))         # week 10-19: late
    count("CNT-4", off_bj, "monthly", sh(2026, 10, 31, 10), sh(2026, 10, 31, 11))       # October: on time
    count("CNT-5", fs, "spot", sh(2026, 10, 20), sh(2026, 10, 20), status="accepted", accepted=sh(2026, 10, 21),
          short="20.00", surplus="5.00", party="factory_shipping")
    count("CNT-6", off_bj, "spot", sh(2026, 11, 2), sh(2026, 11, 2), status="accepted", accepted=sh(2026, 11, 2),
          short="999.00", party="office", liable_office=bj.id)                              # November: not counted

    # Freight: October cs 30.00 + 25.50 (+ one without a cost), sales 40.00; November's 99.00 is outside.
    for number, leg, account, cost, office, shipped in (
        ("S1", "hq_factory", "cs", "30.00", None, sh(2026, 10, 9, 17)),
        ("S2", "factory_dealer", "cs", "25.50", bj.id, sh(2026, 10, 15, 16)),
        ("S3", "fg_dealer", "sales", "40.00", sho.id, sh(2026, 10, 22)),
        ("S4", "hq_factory", "cs", None, None, sh(2026, 10, 31, 23, 59)),
        ("S5", "hq_factory", "cs", "99.00", None, sh(2026, 11, 1, 0, 30)),
    ):
        db.session.add(Shipment(number=number, leg=leg, paying_account=account, status="shipped",
                                freight_cost=Decimal(cost) if cost else None, office_id=office, shipped_at=shipped))
    seed_doa(d1, d2)
    db.session.commit()
    return {"bj": bj.id, "sh": sho.id}


def seed_doa(d1, d2) -> None:
    """Three DOA applications.

    A1 (D1, refund): applied 10-08, approved 10-09 (due 10-09: on time, 1 working day),
       received 10-12, credited 10-15 (3 working days).
    A2 (D2, replacement): applied 09-30, approved 10-09 (due 10-08: late, 2 working days),
       received 10-09, due 10-19, shipped 10-21 (late, 9 working days).
    A3 (D1, replacement): applied 10-20, refused by channel 10-21.
    """
    from core.extensions import db
    from doa.models import DoaApplication, DoaEvent

    def app_(number, dealer, request, created, due, state, **values):
        a = DoaApplication(number=number, dealer_id=dealer.id, office_id=dealer.office_id, request=request,
                           purchase_date=date(2026, 9, 1), created_at=created, approval_due=due, state=state, **values)
        db.session.add(a)
        db.session.flush()
        return a

    a1 = app_("DOA2610-001", d1, "refund", sh(2026, 10, 8, 9), date(2026, 10, 9), "refunded",
              approved_at=sh(2026, 10, 9, 10), channel_decision="approved", channel_at=sh(2026, 10, 9, 9),
              product_decision="approved", product_at=sh(2026, 10, 9, 10), received_at=sh(2026, 10, 12, 10),
              refund_product_at=sh(2026, 10, 13), refund_finance_at=sh(2026, 10, 14), credit_at=sh(2026, 10, 15),
              credit_number="CR-1")
    a2 = app_("DOA2609-001", d2, "replacement", sh(2026, 9, 30, 10), date(2026, 10, 8), "replacement_shipped",
              approved_at=sh(2026, 10, 9, 11), channel_decision="approved", channel_at=sh(2026, 10, 8, 9),
              product_decision="approved", product_at=sh(2026, 10, 9, 11), received_at=sh(2026, 10, 9, 14),
              replacement_due=date(2026, 10, 19), replacement_shipped_at=sh(2026, 10, 21, 15))
    a3 = app_("DOA2610-002", d1, "replacement", sh(2026, 10, 20, 9), date(2026, 10, 21), "refused",
              channel_decision="refused", channel_at=sh(2026, 10, 21, 9))
    for a, state, at in ((a1, "refunded", sh(2026, 10, 15)), (a2, "replacement_shipped", sh(2026, 10, 21, 15)),
                         (a3, "refused", sh(2026, 10, 21, 9))):
        db.session.add(DoaEvent(application_id=a.id, action="test", to_state=state, at=at))
