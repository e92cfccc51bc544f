"""The supervisor's overdue page and /api/v1/overdue: every kind of late work, in words, with links."""
from __future__ import annotations

import re
from datetime import date
from unittest import mock

from core.authz import SYSTEM
from tests.chase.test_sweep_owners import _everything_late
from tests.repairs.conftest import at, world  # noqa: F401  (fixture)

TODAY = date(2026, 11, 17)


def _page(client, path="/repairs/overdue", **kw) -> str:
    with mock.patch("repairs.overdue.local_today", return_value=TODAY):
        page = client.get(path, **kw).get_data(as_text=True)
    return re.sub(r'value="[^"]*"', "", page)  # random CSRF tokens could contain anything


def test_every_kind_of_late_work_is_on_the_overdue_page(app, world, make_user, login, departments):  # noqa: F811
    shipment = _everything_late(app, world, make_user)
    page = _page(login("supervisor", username="boss2"))
    # The units table stays.
    assert 'href="/repairs/units/1"' in page and "U2" in page
    # The dealer task that was never on the page: the missing unit, in words, linked to its parcel.
    task = page[page.index('id="chase-dealer_task"'):]
    assert "Contact the dealer about “unit on the list but not in the parcel”" in task
    assert 'href="/repairs/parcels/RMA' in task and "U9" in task and "customer service" in task.lower()
    reports = page[page.index('id="chase-factory_report"'):]
    assert shipment in reports and f'href="/shipments/{shipment}"' in reports
    assert "Finished-goods store → dealer" in reports and "fg_dealer" not in page  # no raw codes
    assert "14 day(s)" in reports
    counts = page[page.index('id="chase-office_count"'):]
    assert "上海办事处: no weekly count for 2026-11-09 – 2026-11-15" in counts and "北京办事处" not in counts
    assert "Nothing is overdue." not in page


def test_the_page_in_chinese(app, world, make_user, login, departments):  # noqa: F811
    _everything_late(app, world, make_user)
    page = _page(login("supervisor", username="boss2"), headers={"Accept-Language": "zh-CN"})
    assert "未按时处理的代理商联络任务" in page and "就“清单上有但包裹里没有的产品”联系代理商" in page
    assert "工厂未按时回报的发货" in page and "办事处备品盘点缺失" in page and "个工作日" in page


def test_nothing_overdue_is_said_only_when_every_section_is_empty(app, world, make_user, login):  # noqa: F811
    from core.extensions import db
    from repairs import intake, receiving

    client = login("supervisor", username="boss2")
    assert "Nothing is overdue." in _page(client)
    with app.app_context():
        parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[{"model": "SSD", "serial": "M1"}],
                                       at=at(date(2026, 11, 10), 8))
        receiving.complete_receipt(SYSTEM, parcel, at=at(date(2026, 11, 10), 9))
        db.session.commit()
    page = _page(client)
    assert "Nothing is overdue." not in page and "No repair unit is overdue." in page and "M1" in page


def test_the_api_lists_every_section_and_keeps_the_repairs_list(app, world, make_user, api_as,  # noqa: F811
                                                                departments):
    shipment = _everything_late(app, world, make_user)
    client = api_as("supervisor")
    with mock.patch("core.chase.api.local_today", return_value=TODAY), \
            mock.patch("repairs.overdue.local_today", return_value=TODAY):
        body = client.get("/api/v1/overdue").get_json()
        old = client.get("/api/v1/repairs/overdue")
    assert body["today"] == "2026-11-17"
    sections = {s["kind"]: s["items"] for s in body["sections"]}
    units = {i["reference"]: i for i in sections["repair_unit"]}
    assert set(units) == {"U1", "U2"}
    assert units["U1"]["owner"] == "东莞工厂维修部" and units["U1"]["late_unit"] == "calendar"
    assert units["U1"]["due"] == "2026-11-09" and units["U1"]["late"] == 8 and units["U1"]["link"] == "/repairs/units/1"
    assert units["U2"]["owner_key"] == "cs" and units["U2"]["late_unit"] == "working"
    [report] = sections["factory_report"]
    assert report["reference"] == shipment and report["owner_key"] == "factory_shipping"
    [office] = sections["office_count"]
    assert office["reference"] == "SH" and office["owner"] == "上海办事处"
    [task] = sections["dealer_task"]
    assert "U9" in task["description"] and task["due"] == "2026-11-02"
    assert old.status_code == 200 and {r["unit"]["serial"] for r in old.get_json()["items"]} == {"U1", "U2"}
    assert api_as("clerk").get("/api/v1/overdue").status_code == 403


def test_names_and_notes_on_the_page_are_escaped(app, world, make_user, login, departments):  # noqa: F811
    from sqlalchemy import update

    from core.directory.models import Dealer
    from core.extensions import db

    _everything_late(app, world, make_user)
    with app.app_context():
        # Names are checked on entry now; an older row (or one edited by hand) may still hold markup.
        db.session.execute(update(Dealer).where(Dealer.id == world.dealer_bj).values(name="<script>alert(1)</script>"))
        db.session.commit()
    page = _page(login("supervisor", username="boss2"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
