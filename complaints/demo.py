"""Demo complaints: one of each tier at a different step, and one ordinary complaint gone late."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from complaints import documents, handling, letters, registering
from core.authz import SYSTEM
from core.calendar import local_day
from core.demo import register_demo_loader
from core.directory.models import Brand, Dealer, Department
from core.extensions import db
from core.types import utcnow


def _attach_letter(complaint) -> None:
    """The dealer's written complaint letter on file: the printed form 附件6 stands in for the signed scan."""
    pdf, name = documents.render(SYSTEM, complaint, "dealer-letter")
    letters.attach_letter(SYSTEM, complaint, io.BytesIO(pdf), name)


def load_complaints(rng, echo) -> None:
    dealers = list(db.session.scalars(select(Dealer).where(Dealer.active.is_(True)).order_by(Dealer.code).limit(4)))
    brands = list(db.session.scalars(select(Brand).order_by(Brand.code)))
    product = db.session.scalar(select(Department).order_by(Department.code).limit(1))
    if len(dealers) < 4 or product is None:
        echo("complaints: skipped (no dealers or departments)")
        return
    now = utcnow()
    today = local_day(now)

    def brand(n):
        return brands[n % len(brands)].id if brands else None

    # Ordinary, answered the same day, fixed: its return visit is due in two weeks.
    answered = registering.register(SYSTEM, tier="ordinary", subject="返修品寄回时包装破损", dealer_id=dealers[0].id,
                                    brand_id=brand(0), received_on=today - timedelta(days=3), at=now)
    handling.answer(SYSTEM, answered, text="已向快递公司索赔,并补寄新包装。", at=now)
    handling.record_fix(SYSTEM, answered, text="补寄包装已签收。", at=now)
    # Ordinary, received a week ago and not answered: late, on the overdue page.
    registering.register(SYSTEM, tier="ordinary", subject="热线电话多次无人接听", dealer_id=dealers[1].id,
                         received_on=today - timedelta(days=7), at=now)
    # Serious: the internal letter is with the department, its written answer due in one working day.
    serious = registering.register(SYSTEM, tier="serious", subject="同一批次SSD返修三次仍有故障",
                                   dealer_id=dealers[2].id, brand_id=brand(1), received_on=today, at=now)
    _attach_letter(serious)
    handling.refer(SYSTEM, serious, department_id=product.id, letter="请产品部核查该批次的故障原因并书面答复。", at=now)
    # Very serious, with compensation: the report is signed off and waits for the GM's assistant.
    grave = registering.register(SYSTEM, tier="very_serious", subject="U盘故障导致客户数据丢失,要求赔偿",
                                 dealer_id=dealers[3].id, brand_id=brand(2), received_on=today, at=now)
    handling.set_due(SYSTEM, grave, due_on=today + timedelta(days=10), note="需工厂检测", at=now)
    _attach_letter(grave)
    handling.refer(SYSTEM, grave, department_id=product.id, letter="请检测故障U盘并书面说明原因。", at=now)
    handling.department_answer(SYSTEM, grave, text="检测结果:主控芯片批次缺陷。", at=now)
    handling.write_report(SYSTEM, grave, text="同意赔偿客户数据恢复费用。", compensation=Decimal("800.00"), at=now)
    handling.sign_off(SYSTEM, grave, at=now)
    echo("complaints: 4 complaints (ordinary answered and late, serious referred, very serious awaiting approval)")


register_demo_loader("complaints", 85, load_complaints)
