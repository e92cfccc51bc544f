"""A serial is one code whatever case it is typed or scanned in (stored upper case, like shipments and DOA)."""
from __future__ import annotations


def test_a_lower_case_list_and_a_lower_case_scan_meet_the_label_in_upper_case(app, world, api_as):
    desk, clerk = api_as("service"), api_as("clerk")
    parcel = desk.post("/api/v1/repairs/parcels", json={
        "dealer_id": world.dealer_bj, "lines": [{"model": "SSD A400 240G", "serial": " sn-case-01 ", "fault": "掉盘"}]})
    assert parcel.status_code == 201, parcel.json
    assert parcel.json["units"][0]["serial"] == "SN-CASE-01"
    scanned = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "sn-case-01"})
    assert scanned.status_code == 200, scanned.json
    assert scanned.json["unit"]["serial"] == "SN-CASE-01" and scanned.json["unit"]["state"] == "received"
    found = desk.get("/api/v1/repairs/units", query_string={"q": "Sn-Case-01"}).json
    assert [u["serial"] for u in found] == ["SN-CASE-01"]
    # The same unit, scanned again in another case, is the same unit (a double trigger).
    again = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "SN-CASE-01"})
    assert again.status_code == 200 and again.json["status"] == "already_done"


def test_the_migration_upper_cases_serials_already_stored(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from core import create_app
    from core.extensions import db
    from tests.dbsetup import create_test_database

    url, drop = create_test_database(str(tmp_path))
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="68f56e7b7243")
            # Rows as an earlier Depot stored them, written as SQL: today's models have columns
            # that did not exist at that revision.
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO dealer (id, code, name, contact, phone, region, address, "
                                  "channel_rep, active, created_at) VALUES (1, 'D1', 'D', '', '', '', '', '', true, "
                                  "CURRENT_TIMESTAMP)"))
                conn.execute(text("INSERT INTO return_parcel (id, rma_number, dealer_id, inbound_carrier, source, "
                                  "note, created_at, created_by) VALUES (1, 'RMA2611-0001', 1, '', 'form', '', "
                                  "CURRENT_TIMESTAMP, '')"))
                conn.execute(text("INSERT INTO repair_unit (id, parcel_id, line_no, serial, model, fault, "
                                  "warranty_claimed, declared, state, human_damage, no_stock, out_of_warranty, "
                                  "inspection_note, replacement_serial, updated_at) VALUES (1, 1, 1, 'sn-old-1', "
                                  "'M', '', true, true, 'declared', false, false, false, '', 'rep-2', "
                                  "CURRENT_TIMESTAMP)"))
            upgrade()
            with db.engine.connect() as conn:
                row = conn.execute(text("SELECT serial, replacement_serial FROM repair_unit WHERE id = 1")).one()
            assert tuple(row) == ("SN-OLD-1", "REP-2")
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
