"""The unit's model is its own field (with a pick list of known models), not the first word after the serial."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.doa.conftest import DEALER_CODE, PHONE_LAST4

LONG_MODEL = "U盘 DataTraveler 64G"


@pytest.fixture()
def catalogue(app, world):
    """Two stocked parts and one priced model Depot knows; the price list's default row is not a model."""
    from core.extensions import db
    from inventory.models import Part
    from repairs.models import RepairPrice

    with app.app_context():
        db.session.add_all([Part(sku="SKU-DT64", model=LONG_MODEL), Part(sku="SKU-A400", model="SSD A400 240G"),
                            Part(sku="SKU-OLD", model="Retired 8G", active=False),
                            RepairPrice(model="TF卡 Canvas 64G", effective_from=date(2026, 1, 1), amount=Decimal("30")),
                            RepairPrice(model="*", effective_from=date(2026, 1, 1), amount=Decimal("50"))])
        db.session.commit()


def _units(app):
    from core.extensions import db
    from doa.models import DoaUnit

    with app.app_context():
        return [(u.serial, u.model, u.fault) for u in db.session.scalars(select(DoaUnit).order_by(DoaUnit.id))]


def _count(app):
    from core.extensions import db
    from doa.models import DoaApplication

    with app.app_context():
        return db.session.scalar(select(func.count(DoaApplication.id)))


PUBLIC = {"dealer_code": DEALER_CODE, "phone_last4": PHONE_LAST4, "request": "replacement",
          "purchase_date": "2026-09-01", "fault": "开箱无法识别"}


def test_known_models_are_the_stocked_parts_and_the_priced_models(ctx, catalogue):
    from doa import applications

    assert applications.known_models() == sorted(["SSD A400 240G", "TF卡 Canvas 64G", LONG_MODEL])


def test_the_dealer_picks_a_model_with_spaces_and_it_is_kept_whole(app, catalogue, client):
    form = client.get("/doa-apply").get_data(as_text=True)
    # The pick list offers what Depot knows; the model input uses it.
    assert '<datalist id="doa-models">' in form and f'<option value="{LONG_MODEL}">' in form
    assert 'name="units-0-model"' in form and 'list="doa-models"' in form and 'name="units-0-fault"' in form
    resp = client.submit("/doa-apply", {**PUBLIC, "units-0-serial": "SN77", "units-0-model": LONG_MODEL,
                                        "units-0-fault": "插上无反应"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert _units(app) == [("SN77", LONG_MODEL, "插上无反应")]


def test_a_pasted_line_keeps_the_model_whole_too(app, catalogue, client):
    resp = client.submit("/doa-apply", {**PUBLIC, "units": f"SN77 {LONG_MODEL}\nSN78\tSSD A400 240G\t开箱掉盘"})
    assert resp.status_code == 200
    assert _units(app) == [("SN77", LONG_MODEL, ""), ("SN78", "SSD A400 240G", "开箱掉盘")]


def test_a_model_not_in_the_list_is_accepted_and_marked_for_cs(app, catalogue, client, signed_in):
    # The list holds what Depot stocks or prices, not every product sold; CS checks the unit on arrival.
    resp = client.submit("/doa-apply", {**PUBLIC, "units-0-serial": "SN80", "units-0-model": "移动硬盘 XS1000 1TB"})
    assert resp.status_code == 200
    assert _units(app) == [("SN80", "移动硬盘 XS1000 1TB", "")]
    number = resp.get_data(as_text=True).split("Application ")[1].split(" ")[0]
    page = signed_in("channel").get(f"/doa/{number}").get_data(as_text=True)
    assert "移动硬盘 XS1000 1TB" in page and "not in the model list" in page


def test_a_line_without_a_model_is_refused_on_its_line_and_the_input_kept(app, catalogue, client):
    resp = client.submit("/doa-apply", {**PUBLIC, "units-0-serial": "SN81", "units-0-model": LONG_MODEL,
                                        "units-1-serial": "SN82", "units-1-model": "", "units-1-fault": "不识别"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Unit 2: Model is required." in page
    assert 'value="SN82"' in page and f'value="{LONG_MODEL}"' in page and 'value="不识别"' in page
    assert _count(app) == 0


def test_more_lines_adds_empty_lines_and_applies_for_nothing(app, catalogue, client):
    resp = client.submit("/doa-apply", {**PUBLIC, "units-0-serial": "SN83", "units-0-model": LONG_MODEL,
                                        "more_rows": "1"})
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'name="units-9-serial"' in page and 'value="SN83"' in page
    assert _count(app) == 0


def test_service_staff_enter_separate_model_and_fault_on_their_page(app, catalogue, signed_in):
    client = signed_in("service")
    assert '<datalist id="doa-models">' in client.get("/doa/new").get_data(as_text=True)
    resp = client.submit("/doa/new", {"dealer_code": DEALER_CODE, "request": "refund", "purchase_date": "2026-09-02",
                                      "fault": "掉盘", "units-0-serial": "SN90", "units-0-model": LONG_MODEL,
                                      "units-0-fault": "写保护"})
    assert resp.status_code == 302
    assert _units(app) == [("SN90", LONG_MODEL, "写保护")]
    bad = client.submit("/doa/new", {"dealer_code": DEALER_CODE, "request": "refund", "purchase_date": "2026-09-02",
                                     "fault": "掉盘", "units-0-serial": "SN91"})
    assert bad.status_code == 422 and "Unit 1: Model is required." in bad.get_data(as_text=True)


def test_the_api_keeps_the_model_whole_and_names_a_missing_one(app, catalogue, bearer):
    api = bearer("service")
    body = {"dealer_code": DEALER_CODE, "request": "replacement", "purchase_date": "2026-09-01", "fault": "坏",
            "units": [{"serial": "SN95", "model": LONG_MODEL, "fault": "不识别"}]}
    resp = api.post("/api/v1/doa/applications", json=body)
    assert resp.status_code == 201
    assert [(u["model"], u["fault"]) for u in resp.get_json()["units"]] == [(LONG_MODEL, "不识别")]
    missing = api.post("/api/v1/doa/applications", json={**body, "units": [{"serial": "SN96", "model": " "}]})
    assert missing.status_code == 422 and "units.0" in missing.get_json()["errors"]


def test_the_pick_list_is_labelled_in_chinese(app, catalogue, client):
    page = client.get("/doa-apply", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "型号" in page and "更多行" in page
