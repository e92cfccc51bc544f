"""The mediation agreement's personal data: the ID number encrypted at rest, masked for those without
the need, kept out of lists, the audit log, the event rows and the logs."""
from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import pytest

from tests.complaints.conftest import ID_NUMBER
from tests.dbsetup import is_postgres

AGREEMENT = {"agreement_number": "TJ-2026-01", "customer_name": "张三丰", "id_number": ID_NUMBER,
             "customer_address": "北京市海淀区中关村大街1号", "customer_phone": "13912345678",
             "company_name": "置富科技", "company_address": "深圳市南山区", "company_phone": "0755-12345678",
             "company_contact": "李四", "signed_on": "2026-10-12", "complained_on": "2026-09-30",
             "product": "U盘 64G", "customer_duties": "不再就此投诉", "company_duties": "赔偿 1234.50 元",
             "customer_representative": "张三丰", "company_representative": "王五"}


@pytest.fixture()
def agreement(api, world):
    """A very serious complaint with its mediation agreement, recorded by the GM's assistant."""
    cs = api("service")
    number = cs.post("/api/v1/complaints", json={"dealer_code": "D0001", "tier": "very_serious",
                                                 "subject": "数据丢失索赔"}).get_json()["number"]
    resp = api("gm_assistant").post(f"/api/v1/complaints/{number}/mediation", json=AGREEMENT)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["id_number"] == ID_NUMBER
    return number


def test_id_number_is_not_in_the_database_file(app, agreement):
    if is_postgres():
        pytest.skip("reads the SQLite file")
    from core.extensions import db

    with app.app_context():
        db.session.execute(db.text("PRAGMA wal_checkpoint(FULL)"))
        path = Path(db.engine.url.database)
    # Read by another process: closing a file of the database in this one would drop every
    # POSIX lock this process's SQLite connections hold on it, and later tests that write
    # from several processes would then corrupt it.
    files = [str(p) for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()]
    raw = subprocess.run(["cat", *files], capture_output=True, check=True).stdout
    assert "张三丰".encode() in raw  # the right file: the agreement is there
    assert ID_NUMBER.encode() not in raw
    assert ID_NUMBER[:17].encode() not in raw


def test_masked_for_roles_without_the_need(api, agreement):
    for role in ("service", "office-bj"):
        shown = api(role).get(f"/api/v1/complaints/{agreement}").get_json()["mediation"]
        assert shown["masked"] is True
        assert shown["id_number"] == "*" * 18
        assert shown["customer_name"] == "张**" and shown["customer_phone"] == "139****5678"
        assert "中关村" not in shown["customer_address"]
        assert shown["company_name"] == "置富科技"  # the company's own data is no secret
    for role in ("supervisor", "gm_assistant"):
        shown = api(role).get(f"/api/v1/complaints/{agreement}").get_json()["mediation"]
        assert shown["masked"] is False and shown["id_number"] == ID_NUMBER
        assert shown["customer_address"] == AGREEMENT["customer_address"]


def test_never_in_lists_audit_or_history(app, api, agreement, as_user, caplog):
    caplog.set_level(logging.DEBUG)
    listed = api("supervisor").get("/api/v1/complaints").get_data(as_text=True)
    assert "张三丰" not in listed and ID_NUMBER not in listed
    page = as_user("supervisor").get("/complaints/").get_data(as_text=True)
    assert "张**" in page and "张三丰" not in page
    from complaints.models import ComplaintEvent
    from core.audit.models import AuditEntry
    from core.extensions import db

    with app.app_context():
        audit = json.dumps([e.changes for e in db.session.query(AuditEntry)], ensure_ascii=False)
        events = json.dumps([[e.note, e.data] for e in db.session.query(ComplaintEvent)], ensure_ascii=False)
    for secret in (ID_NUMBER, "张三丰", "13912345678", "中关村"):
        assert secret not in audit and secret not in events
        assert secret not in caplog.text
    assert "complaint_mediation" in audit or "TJ-2026-01" in audit  # the agreement itself is audited


def test_detail_page_masks_for_service_and_shows_the_supervisor(as_user, agreement):
    service_page = as_user("service").get(f"/complaints/{agreement}").get_data(as_text=True)
    assert ID_NUMBER not in service_page and "张三丰" not in service_page and "*" * 18 in service_page
    boss_page = as_user("supervisor").get(f"/complaints/{agreement}").get_data(as_text=True)
    assert ID_NUMBER in boss_page and "张三丰" in boss_page


def test_a_bad_id_number_is_refused_without_repeating_it(api, world):
    cs = api("service")
    number = cs.post("/api/v1/complaints", json={"dealer_code": "D0001", "tier": "very_serious",
                                                 "subject": "x"}).get_json()["number"]
    bad = ID_NUMBER[:-1] + "1"  # wrong check digit
    resp = api("supervisor").post(f"/api/v1/complaints/{number}/mediation", json={**AGREEMENT, "id_number": bad})
    assert resp.status_code == 422 and "id_number" in resp.get_json()["errors"]
    assert bad not in resp.get_data(as_text=True)
    # Only the supervisor and the GM's assistant record it.
    assert cs.post(f"/api/v1/complaints/{number}/mediation", json=AGREEMENT).status_code == 403
    # One agreement per complaint.
    boss = api("supervisor")
    assert boss.post(f"/api/v1/complaints/{number}/mediation", json=AGREEMENT).status_code == 201
    assert boss.post(f"/api/v1/complaints/{number}/mediation", json=AGREEMENT).status_code == 409
