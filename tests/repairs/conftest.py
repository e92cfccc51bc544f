"""Repairs fixtures: a small directory (offices, dealers, factory and Taiwan routes) and prices."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import pytest

from core.authz import SYSTEM
from core.calendar import SHANGHAI


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """An aware timestamp at ``hour`` Shanghai time on ``day``."""
    return datetime.combine(day, time(hour, minute), SHANGHAI)


@dataclass
class World:
    office_bj: int
    office_sh: int
    dealer_bj: int
    dealer_sh: int
    fac_route: int
    tw_route: int


@pytest.fixture()
def world(app) -> World:
    from core.directory.models import Dealer, Factory, Office, RepairRoute
    from core.extensions import db

    with app.app_context():
        bj = Office(code="BJ", name="北京办事处", region="华北")
        sh = Office(code="SH", name="上海办事处", region="华东")
        db.session.add_all([bj, sh])
        db.session.flush()
        fac = Factory(code="FAC", name="东莞工厂维修部", contact="林工", email="repair@factory.example")
        tw = Factory(code="TW", name="台湾返修中心", email="rma@tw.example")
        db.session.add_all([fac, tw])
        db.session.flush()
        r1 = RepairRoute(code="FAC", name="工厂维修", factory_id=fac.id, promise_days=7, dispatch_days=2)
        r2 = RepairRoute(code="TW", name="台湾返修", factory_id=tw.id, promise_days=None, dispatch_days=2)
        d1 = Dealer(code="D0001", name="北京数码科技有限公司", contact="王伟", phone="138-1234-5678", office_id=bj.id)
        d2 = Dealer(code="D0002", name="上海存储商行", contact="李娜", phone="13955554321", office_id=sh.id)
        db.session.add_all([r1, r2, d1, d2])
        db.session.commit()
        return World(bj.id, sh.id, d1.id, d2.id, r1.id, r2.id)


@pytest.fixture()
def prices(app, world):
    """Model A400 at 120 RMB and every other model at 100 RMB, from 2026-01-01."""
    from core.extensions import db
    from repairs import prices

    with app.app_context():
        prices.add_price(SYSTEM, model="SSD A400 240G", effective_from=date(2026, 1, 1), amount="120")
        prices.add_price(SYSTEM, model="*", effective_from=date(2026, 1, 1), amount="100")
        db.session.commit()


def five_lines():
    return [
        {"model": "SSD A400 240G", "serial": "SN0001", "fault": "无法识别"},
        {"model": "SSD A400 240G", "serial": "SN0002", "fault": "掉盘"},
        {"model": "U盘 DT 32G", "serial": "SN0003", "fault": "写保护", "warranty_claimed": False},
        {"model": "TF卡 64G", "serial": "SN0004", "fault": "容量错误"},
        {"model": "TF卡 64G", "serial": "SN0005", "fault": "读写慢"},
    ]


@pytest.fixture()
def shipments_ready():
    """Skip tests that need the shipments package until it offers create_shipment."""
    try:
        from shipments import service as shipments_service
    except ImportError:
        pytest.skip("shipments.service is not available yet")
    if not hasattr(shipments_service, "create_shipment"):
        pytest.skip("shipments.service.create_shipment is not available yet")
