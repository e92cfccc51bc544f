"""Demo repairs: parcels and units in realistic states spread over recent weeks (some overdue)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from core.accounts.service import get_user
from core.calendar import SHANGHAI, add_working_days, local_today
from core.demo import register_demo_loader
from core.directory.models import Dealer
from core.errors import Conflict
from core.extensions import db
from core.tasks import service as task_service
from repairs import factory, inspection, intake, prices, receiving

MODELS = ["U盘 DataTraveler 32G", "U盘 DataTraveler 64G", "SSD A400 240G", "SSD A400 480G",
          "SSD NV2 1TB", "TF卡 Canvas 64G", "SD卡 Canvas 128G", "移动硬盘 XS1000 1TB"]
FAULTS = ["无法识别", "读写速度慢", "写保护", "容量显示错误", "掉盘", "外壳破裂", "接口松动", "数据丢失"]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 30), SHANGHAI)


def load_repairs(rng, echo) -> None:
    """~40 parcels over the last six weeks, each unit stopped at a realistic step."""

    clerk, desk, boss = get_user("clerk"), get_user("service"), get_user("supervisor")
    for model in MODELS:  # the price list is the supervisor's
        prices.add_price(boss, model=model, effective_from=date(2025, 1, 1), amount=rng.choice([60, 80, 120, 150]),
                         notice="2025 价目表")
    prices.add_price(boss, model="*", effective_from=date(2025, 1, 1), amount=100, notice="2025 价目表")
    today = local_today()
    prices.apply_price_notice(boss, effective_from=today - timedelta(days=20), delta=-10,
                              notice="每项维修下降人民币10元整")
    dealers = list(db.session.scalars(select(Dealer).order_by(Dealer.id)))
    shipments_ok = True
    n_units = 0
    serial_no = 100000
    for i in range(40):
        age = rng.randint(0, 42)
        created = today - timedelta(days=age)
        dealer = rng.choice(dealers)
        lines = []
        for _ in range(rng.randint(1, 5)):
            serial_no += rng.randint(1, 50)
            lines.append({"model": rng.choice(MODELS), "serial": f"SN{created:%y%m}{serial_no}",
                          "fault": rng.choice(FAULTS), "warranty_claimed": rng.random() > 0.15})
        parcel = intake.create_parcel(desk, dealer_id=dealer.id, inbound_waybill=f"SF{rng.randint(10**11, 10**12 - 1)}",
                                       inbound_carrier="顺丰", lines=lines, source="form", at=_at(created, 9))
        if age == 0 and rng.random() < 0.5:
            continue  # announced today, not arrived yet
        arrive = add_working_days(created, 1) if age > 2 else created
        if arrive > today:
            arrive = today
        units = list(parcel.units)
        missing = len(units) > 2 and rng.random() < 0.2
        for unit in units[:-1] if missing else units:
            receiving.receive_unit(clerk, unit.serial, parcel, at=_at(arrive, 10))
        if rng.random() < 0.1:
            serial_no += 7
            receiving.receive_unit(clerk, f"SNX{serial_no}", parcel, at=_at(arrive, 10))
        receiving.complete_receipt(clerk, parcel, at=_at(arrive, 11))
        for unit in parcel.units:
            n_units += 1
            if unit.state != "received" or not unit.model:
                continue
            # How far along a unit is depends on how long ago it arrived, with some lagging behind.
            days_in = (today - arrive).days
            inspect_day = min(today, arrive + timedelta(days=rng.choice([0, 0, 1, 3])))
            if days_in < 1 and rng.random() < 0.5:
                continue
            roll = rng.random()
            inspection.inspect_unit(clerk, unit, human_damage=roll < 0.07, no_stock=0.07 <= roll < 0.1,
                                 out_of_warranty=not unit.warranty_claimed, at=_at(inspect_day, 14))
            if unit.state == "awaiting_dealer":
                if days_in > 3:
                    task = unit_task(unit)
                    decision = rng.choice(["repair", "repair", "return", "dispute"])
                    # The dealer answers the same day (the manual's same-day contact).
                    task_service.answer(desk, task, decision, note="电话沟通", at=_at(inspect_day, 16))
                if unit.state != "inspected":
                    continue
            if rng.random() < 0.15 or days_in < 2:
                continue  # still waiting to go out (some of these are overdue)
            dispatch_day = min(today, add_working_days(inspect_day, rng.choice([0, 1, 1, 2, 4])))
            try:
                factory.dispatch_to_factory(clerk, [unit], carrier="顺丰", waybill=f"SF{rng.randint(10**11, 10**12 - 1)}",
                                            at=_at(dispatch_day, 16))
            except Conflict:
                shipments_ok = False
                continue
            back_day = add_working_days(dispatch_day, rng.choice([3, 4, 5, 6, 9]))
            if back_day > today:
                continue
            r = rng.random()
            if r < 0.75:
                factory.receive_from_factory(clerk, unit, "repaired", at=_at(back_day, 10))
            elif r < 0.92:
                serial_no += 3
                factory.receive_from_factory(clerk, unit, "replaced", replacement_serial=f"SNR{serial_no}",
                                             at=_at(back_day, 10))
            else:
                factory.receive_from_factory(clerk, unit, "unrepairable", at=_at(back_day, 10))
            ship_day = add_working_days(back_day, 1)
            if ship_day > today or rng.random() < 0.1:
                continue
            factory.ship_to_dealer(clerk, [unit], carrier="顺丰", waybill=f"SF{rng.randint(10**11, 10**12 - 1)}",
                                   at=_at(ship_day, 15))
    db.session.flush()
    echo(f"repairs: 40 parcels, {n_units} units" + ("" if shipments_ok else " (shipments package missing: none dispatched)"))


def unit_task(unit):
    """The unit's open task, if any."""
    return next((t for t in task_service.about(subject=("repair_unit", unit.id)) if t.status == "open"), None)


register_demo_loader("repairs", 40, load_repairs)
