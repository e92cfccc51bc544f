"""Demo DOA cases: a dozen applications stopped at realistic steps (some overdue), and one held unit."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from core.accounts.service import get_user
from core.calendar import SHANGHAI, add_working_days, local_today
from core.demo import register_demo_loader
from core.directory.models import Dealer
from core.errors import NotFound
from core.extensions import db
from doa import applications, approvals, closing, receipt, replacement
from doa.models import DoaApplication

MODELS = ["SSD A400 240G", "SSD NV2 1TB", "U盘 DataTraveler 64G", "TF卡 Canvas 64G", "移动硬盘 XS1000 1TB"]
FAULTS = ["开箱无法识别", "开箱即掉盘", "新品写保护", "容量显示错误", "开箱外壳破裂"]
# (days ago applied, how far it got, request)
PLAN = [
    (0, "submitted", "replacement"),
    (4, "submitted", "replacement"),          # internal approval overdue
    (3, "channel_approved", "refund"),
    (6, "refused", "replacement"),
    (2, "approved", "replacement"),
    (14, "received", "replacement"),          # replacement overdue
    (5, "receipt_problem", "replacement"),
    (9, "replacement_ready", "replacement"),
    (20, "replacement_shipped", "replacement"),
    (8, "refund_product_approved", "refund"),
    (18, "refunded", "refund"),
    (25, "closed", "replacement"),            # papers waived by the supervisor, then closed
]
REFUND_AMOUNTS = ["89.00", "129.00", "259.50", "499.00"]


def _at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 15), SHANGHAI)


def load_doa(rng, echo) -> None:
    """Applications in every common state, entered by the demo users of each department."""
    try:
        users = {name: get_user(name) for name in ("service", "clerk", "channel", "product", "finance", "commerce",
                                                   "sales", "purchasing", "supervisor")}
    except NotFound:
        echo("doa: demo users missing; skipped")
        return
    dealers = list(db.session.scalars(select(Dealer).order_by(Dealer.id).limit(20)))
    if not dealers:
        echo("doa: no dealers; skipped")
        return
    today = local_today()
    serial = 700000
    made = 0
    for index, (days_ago, goal, request) in enumerate(PLAN):
        day = today - timedelta(days=days_ago)
        dealer = dealers[index % len(dealers)]
        units = []
        for _ in range(rng.choice([1, 1, 2])):
            serial += rng.randint(1, 40)
            units.append({"serial": f"DOA{serial}", "model": rng.choice(MODELS), "fault": rng.choice(FAULTS)})
        app = applications.create_application(
            users["service"], dealer_code=dealer.code, request=request, fault=rng.choice(FAULTS),
            purchase_date=day - timedelta(days=rng.randint(2, 20)), units=units, contact=dealer.contact,
            at=_at(day, 9))
        made += 1
        if goal == "submitted":
            continue
        step_day = add_working_days(day, 1) if add_working_days(day, 1) <= today else day
        approvals.decide(users["channel"], app, "channel", "approve", at=_at(day, 11))
        if goal == "channel_approved":
            continue
        if goal == "refused":
            approvals.decide(users["product"], app, "product", "refuse", "非开箱故障,不属于DOA", at=_at(day, 15))
            continue
        approvals.decide(users["product"], app, "product", "approve", at=_at(day, 16))
        if goal == "approved":
            continue
        arrived = [u["serial"] for u in units]
        damage = [arrived[0]] if goal == "receipt_problem" else []
        receipt.receive(users["clerk"], app, arrived, human_damage=damage, waybill=f"SF{rng.randint(10**11, 10**12 - 1)}",
                        carrier="顺丰", freight_cost=rng.choice([12, 15, 18, 23]), at=_at(step_day, 10))
        if goal == "receipt_problem":
            continue
        closing.sales_signoff(users["sales"], app, at=_at(step_day, 14))
        if request == "replacement":
            if goal == "received":
                continue
            replacement.record_purchasing(users["purchasing"], app, [
                {"serial": s, "outcome": "swapped", "replacement_serial": f"N{s}"} for s in arrived])
            if goal == "replacement_ready":
                continue
            replacement.ship_replacement(users["clerk"], app, carrier="德邦", waybill=f"DB{rng.randint(10**9, 10**10 - 1)}",
                                     freight_cost=rng.choice([15, 20, 25]))
            if goal == "closed":
                closing.waive_closing_papers(users["supervisor"], app, "签字申请单原件在办事处,已电话确认")
                closing.close_case(users["service"], app)
            continue
        replacement.refund_decide(users["product"], app, "product", "approve")
        if goal == "refund_product_approved":
            continue
        replacement.refund_decide(users["finance"], app, "finance", "approve")
        replacement.issue_credit(users["commerce"], app, f"XT{today:%y%m}{index:03d}", amount=rng.choice(REFUND_AMOUNTS))
    # A unit sent before approval: held, not accepted as DOA (先申请后发货).
    pending = db.session.scalar(select(DoaApplication).where(DoaApplication.state == "submitted")
                                .order_by(DoaApplication.id).limit(1))
    if pending is not None:
        receipt.hold_unit(users["clerk"], pending.units[0].serial, app=pending)
    echo(f"doa: {made} applications, 1 unit held (arrived before approval)")


register_demo_loader("doa", 50, load_doa)
