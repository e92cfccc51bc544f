"""Demo directory and one user per role."""
from __future__ import annotations

from datetime import date

from core.accounts.service import create_user
from core.demo import register_demo_loader
from core.demo_users import DEMO_USERS, demo_password
from core.directory.models import (
    DISPATCH_DAYS,
    PROMISE_DAYS,
    Brand,
    Dealer,
    Department,
    Factory,
    Office,
    RepairRoute,
    Vendor,
)
from core.extensions import db

OFFICES = [
    ("BJ", "北京办事处", "华北"),
    ("SH", "上海办事处", "华东"),
    ("GZ", "广州办事处", "华南"),
]
CITIES = {
    "华北": ["北京", "天津", "石家庄", "太原", "济南"],
    "华东": ["上海", "杭州", "南京", "苏州", "宁波"],
    "华南": ["广州", "深圳", "东莞", "厦门", "南宁"],
}
SHOP_WORDS = ["数码", "电子", "科技", "存储", "电脑城", "商贸"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇"]
# (code, name, model prefixes): the demo's unit models get their brand from these.
BRANDS = [("MAXELL", "Maxell 麦克赛尔", "MAXELL, MX"), ("TEAMGROUP", "十铨 Team", "SSD, 移动硬盘"),
          ("KINGBOX", "金盒 Kingbox", "U盘, TF卡, SD卡")]
DEPARTMENTS = [
    ("channel", "渠道部"), ("product", "产品部"), ("purchasing", "采购部"),
    ("finance", "财务部"), ("commerce", "商务部"), ("sales", "销售部"),
]

def load_directory(rng, echo) -> None:
    offices = {}
    for code, name, region in OFFICES:
        offices[code] = Office(code=code, name=name, region=region, contact=rng.choice(SURNAMES) + rng.choice(GIVEN),
                               phone=f"0{rng.randint(10, 99)}-{rng.randint(60000000, 89999999)}")
        db.session.add(offices[code])
    factory = Factory(code="FAC", name="东莞工厂维修部", contact="林工", email="repair@factory.example",
                      phone="0769-22880000")
    taiwan = Factory(code="TW", name="台湾返修中心", contact="陈先生", email="rma@tw.example")
    db.session.add_all([factory, taiwan])
    db.session.add_all([
        RepairRoute(code="FAC", name="工厂维修", factory=factory, promise_days=PROMISE_DAYS, dispatch_days=DISPATCH_DAYS),
        RepairRoute(code="TW", name="台湾返修", factory=taiwan, promise_days=None, dispatch_days=DISPATCH_DAYS),
    ])
    db.session.add(Vendor(code="MAXELL", name="Maxell", contact="佐藤", email="spares@maxell.example"))
    for code, name in DEPARTMENTS:
        db.session.add(Department(code=code, name=name))
    for code, name, prefixes in BRANDS:
        db.session.add(Brand(code=code, name=name, model_prefixes=prefixes))
    db.session.flush()
    n = 0
    for office_code, _name, region in OFFICES:
        for city in CITIES[region]:
            for _ in range(2):
                n += 1
                db.session.add(Dealer(
                    code=f"D{n:04d}",
                    name=f"{city}{rng.choice(SHOP_WORDS)}{rng.choice(['有限公司', '商行', '经营部'])}",
                    contact=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    phone=f"1{rng.choice([3, 5, 8])}{rng.randint(100000000, 999999999)}",
                    email=f"dealer{n}@example.com",
                    birthday=date(rng.randint(1965, 1995), rng.randint(1, 12), rng.randint(1, 28)),
                    region=region,
                    address=f"{city}市{rng.randint(1, 300)}号",
                    office_id=offices[office_code].id,
                    channel_rep=rng.choice(SURNAMES) + rng.choice(GIVEN),
                ))
    db.session.flush()
    echo(f"directory: {len(OFFICES)} offices, {n} dealers, 2 repair routes, 1 vendor")
    echo("logins (username / password):")
    for username, roles, office_code in DEMO_USERS:
        create_user(username, demo_password(username), roles, display_name=username,
                    email=f"{username}@depot.example",
                    office_id=offices[office_code].id if office_code else None)
        echo(f"  {username:<12} / {demo_password(username):<18} {', '.join(roles)}{' (' + office_code + ')' if office_code else ''}")


register_demo_loader("directory", 10, load_directory)
