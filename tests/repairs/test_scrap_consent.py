"""Scrapping a unit needs the dealer's recorded consent, whichever way the clerk asks for it.

The consent is the dealer's answer "scrap" to a dealer task, or an explicit note
of who agreed. The scan station cannot say who agreed, so it never assumes it:
it refuses (not green) and says the consent is missing, as the API and the unit
page do.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.authz import SYSTEM
from core.tasks import service as task_service


@pytest.fixture()
def at_factory(app, world, shipments_ready, api_as):
    """One unit (Z1) received, accepted and sent to the factory; returns the clerk's API client and its id."""
    desk, clerk = api_as("service"), api_as("clerk")
    resp = desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "SSD A400 240G", "serial": "Z1", "fault": "无法识别"}]})
    assert resp.status_code == 201, resp.json
    for mode in ("receive", "inspect", "to_factory"):
        r = clerk.post("/api/v1/repairs/scan", json={"mode": mode, "code": "Z1"})
        assert r.status_code == 200 and r.json["status"] == "done", r.json
    # The unit leaves with its box, closed with the waybill.
    closed = clerk.post(f"/api/v1/repairs/boxes/{r.json['box']['id']}/close", json={"waybill": "SF-Z1-0001",
                                                                                     "carrier": "顺丰"})
    assert closed.status_code == 200, closed.json
    unit = clerk.get("/api/v1/repairs/units?q=Z1").json[0]
    assert unit["state"] == "at_factory"
    return clerk, unit["id"]


def _state_and_events(app, unit_id):
    from core.extensions import db
    from repairs.models import RepairEvent, RepairUnit

    with app.app_context():
        unit = db.session.get(RepairUnit, unit_id)
        events = db.session.scalar(select(func.count(RepairEvent.id)).where(RepairEvent.unit_id == unit_id))
        return unit.state, events


def test_the_scan_station_does_not_scrap_without_consent_and_says_so(app, at_factory):
    clerk, unit_id = at_factory
    before = _state_and_events(app, unit_id)
    # What the page sends after the OUTCOME-SCRAP barcode and the unit's serial.
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "from_factory", "code": "Z1", "outcome": "unrepairable",
                                                  "scrap": True})
    # A refusal (4xx: shown red, low beep), never "done".
    assert r.status_code == 422, r.json
    assert r.json["code"] == "scrap_consent_missing"
    assert "consent" in r.json["message"] and "Z1" in r.json["message"]
    assert r.json["unit"]["serial"] == "Z1" and r.json["unit"]["state"] == "at_factory"
    assert _state_and_events(app, unit_id) == before  # nothing changed, no consent note written
    # The same unit can still be reported unrepairable and go back as is.
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "from_factory", "code": "Z1", "outcome": "unrepairable"})
    assert r.status_code == 200 and r.json["unit"]["state"] == "ready_to_ship"


def test_the_scan_station_answers_in_chinese_too(app, at_factory):
    clerk, _unit_id = at_factory
    r = clerk.post("/api/v1/repairs/scan", json={"mode": "from_factory", "code": "Z1", "outcome": "unrepairable",
                                                  "scrap": True}, headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 422 and "同意" in r.json["message"], r.json["message"]


def test_the_api_refuses_without_consent_and_scraps_with_a_note_of_who_agreed(app, at_factory):
    clerk, unit_id = at_factory
    url = f"/api/v1/repairs/units/{unit_id}/factory-return"
    for note in ("", "   "):
        r = clerk.post(url, json={"outcome": "unrepairable", "scrap": True, "note": note})
        assert r.status_code == 422 and r.json["code"] == "scrap_consent_missing", r.json
    assert _state_and_events(app, unit_id)[0] == "at_factory"
    r = clerk.post(url, json={"outcome": "unrepairable", "scrap": True, "note": "代理商王伟 11-30 电话同意报废"})
    assert r.status_code == 200 and r.json["state"] == "scrapped"
    timeline = clerk.get(f"/api/v1/repairs/units/{unit_id}").json["timeline"]
    assert timeline[-1]["action"] == "factory_scrapped" and "王伟" in timeline[-1]["note"]


def test_the_unit_page_refuses_without_consent_and_scraps_with_a_note(app, at_factory, login):
    _clerk, unit_id = at_factory
    page = login("clerk", username="clerk-page")
    form = f"/repairs/units/{unit_id}"
    resp = page.submit(f"/repairs/units/{unit_id}/factory-return",
                       {"outcome": "unrepairable", "scrap": "1", "note": ""}, form_page=form, follow_redirects=True)
    assert resp.history[0].status_code == 303 and resp.request.path == form
    assert "no consent from the dealer" in resp.get_data(as_text=True)
    assert _state_and_events(app, unit_id)[0] == "at_factory"
    resp = page.submit(f"/repairs/units/{unit_id}/factory-return",
                       {"outcome": "unrepairable", "scrap": "1", "note": "代理商同意报废（王伟）"}, form_page=form)
    assert resp.status_code == 302
    assert _state_and_events(app, unit_id)[0] == "scrapped"


def test_the_service_guard_counts_a_task_answer_or_a_note_as_consent(app, world, ctx):
    from core.errors import ValidationFailed
    from core.extensions import db
    from core.tasks.models import Task
    from repairs import factory, inspection, intake, receiving

    parcel = intake.create_parcel(SYSTEM, dealer_id=world.dealer_bj, lines=[
        {"model": "U盘 DT 32G", "serial": "Y1", "fault": "写保护"},
        {"model": "U盘 DT 32G", "serial": "Y2", "fault": "写保护"}])
    y1 = receiving.receive_unit(SYSTEM, "Y1", parcel)
    y2 = receiving.receive_unit(SYSTEM, "Y2", parcel)
    db.session.flush()
    assert not factory.can_scrap(y1) and factory.scrap_consent(y1) is None
    assert factory.scrap_consent(y1, "  ") is None
    assert factory.scrap_consent(y1, "王伟电话同意") == "note"
    with pytest.raises(ValidationFailed) as refused:
        factory.ensure_can_scrap(y1)
    assert refused.value.code == "scrap_consent_missing"
    # The dealer answers a task "scrap" for Y2 (human damage, held): their answer is the consent.
    inspection.inspect_unit(SYSTEM, y2, human_damage=True)
    task = db.session.scalar(select(Task).where(Task.process == "repairs").where(Task.subject_type == "repair_unit", Task.subject_id == y2.id))
    task_service.answer(SYSTEM, task, "scrap", note="代理商同意报废")
    db.session.flush()
    assert y2.state == "scrapped" and factory.scrap_consent(y2) == "answer"
    assert not factory.can_scrap(y1)  # one unit's answer is not another's consent
    db.session.rollback()
