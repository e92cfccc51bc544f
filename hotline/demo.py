"""Demo hotline data: a few standard answers per brand and a week of logged questions."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.authz import SYSTEM
from core.demo import register_demo_loader
from core.directory.models import Brand, Department
from core.extensions import db
from core.types import utcnow
from hotline import answers, log
from hotline import states as st

STANDARD = [
    (st.Category.WARRANTY, "U盘保修期多久?", "我司U盘自购买之日起提供五年有限保修,凭购买凭证享受保修服务。"),
    (st.Category.WARRANTY, "固态硬盘保修期是多长时间?", "固态硬盘提供三年有限保修或在写入量达到标称TBW之前,以先到者为准。"),
    (st.Category.REPAIR, "返修需要多长时间?", "工厂收到返修品后七个工作日内修好寄回,台湾返修除外。"),
    (st.Category.PRODUCT, "存储卡在相机里无法识别怎么办?", "请先在电脑上备份数据,用相机格式化存储卡;仍无法识别请联系经销商办理返修。"),
    (st.Category.DEALERSHIP, "如何成为代理商?", "请留下姓名、所在城市和联系电话,渠道部将在一个工作日内与您联系。"),
]
QUESTIONS = [
    (st.Asker.END_CUSTOMER, st.Channel.PHONE, st.Category.WARRANTY, "我的U盘保修期多久?"),
    (st.Asker.DEALER, st.Channel.PHONE, st.Category.REPAIR, "上周寄回的三块SSD什么时候修好?"),
    (st.Asker.PROSPECT, st.Channel.EMAIL, st.Category.DEALERSHIP, "想在成都做代理,需要什么条件?"),
    (st.Asker.END_CUSTOMER, st.Channel.EMAIL, st.Category.PRODUCT, "新买的存储卡写入速度只有标称的一半,正常吗?"),
]


def load_hotline(rng, echo) -> None:
    brands = list(db.session.scalars(select(Brand).order_by(Brand.code)))
    product = db.session.scalar(select(Department).where(Department.code == "product"))
    for brand in brands:
        for category, question, answer in STANDARD:
            answers.create(SYSTEM, category=category, question=question, answer=answer, brand_id=brand.id)
    now = utcnow()
    for n, (asker, channel, category, question) in enumerate(QUESTIONS):
        brand = brands[n % len(brands)] if brands else None
        kwargs = {"asker": asker, "channel": channel, "category": category, "question": question,
                  "brand_id": brand.id if brand else None, "asker_name": "张先生" if n % 2 else "李女士",
                  "contact": f"13{rng.randint(100000000, 999999999)}", "asked_at": now - timedelta(days=n)}
        if n == 0:
            kwargs["answer"] = STANDARD[0][2]
        elif n == 3 and product is not None:
            kwargs["department_id"] = product.id
        log.log_question(SYSTEM, **kwargs)
    echo(f"hotline: {len(brands) * len(STANDARD)} standard answers, {len(QUESTIONS)} questions")


register_demo_loader("hotline", 80, load_hotline)
