"""Label pages read their forms through the API's schemas: a wrong value names the field in words
(English and Chinese) back on the form, and nothing is kept."""
from __future__ import annotations

import html

ZH = {"Accept-Language": "zh-CN"}


def _defaults(app):
    from core.extensions import db
    from labels.models import PrinterDefault

    with app.app_context():
        return db.session.query(PrinterDefault).count()


def test_a_wrong_default_printer_form_names_the_field(app, world, login):
    page = login("admin", username="forms-admin")
    before = _defaults(app)
    for headers, words in (({}, "User: Not a valid integer."), (ZH, "用户: ")):
        resp = page.submit("/labels/printers/defaults", {"user_id": "x1", "printer_id": ""},
                           form_page="/labels/printers", headers=headers)
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/labels/printers")
        shown = html.unescape(page.get(resp.headers["Location"], headers=headers).get_data(as_text=True))
        assert words in shown
    assert _defaults(app) == before


def test_a_batch_with_no_codes_keeps_the_form(app, world, login):
    page = login("clerk", username="forms-clerk")
    resp = page.submit("/labels/batch", {"kind": "part", "codes": "  \n ", "format": "a4"}, form_page="/labels/")
    assert resp.status_code == 422 and 'name="codes"' in resp.get_data(as_text=True)


def _printers(app):
    from core.extensions import db
    from labels.models import Printer

    with app.app_context():
        db.session.expire_all()
        return {p.name: (p.kind, p.host, p.port, p.uri, p.active) for p in db.session.query(Printer)}


def test_a_wrong_printer_names_every_field_once_and_registers_nothing(app, world, login):
    page = login("admin", username="printer-admin")
    before = _printers(app)
    for headers, words in (({"Accept-Language": "en"}, ("Give the printer's host name or IP address.",
                                                        "Not a valid integer.")),
                           (ZH, ("不是有效的整数。",))):
        resp = page.submit("/labels/printers", {"name": "Desk", "kind": "zpl", "host": "", "port": "ninety"},
                           form_page="/labels/printers", headers=headers)
        assert resp.status_code == 422
        shown = html.unescape(resp.get_data(as_text=True))
        for message in words:
            assert shown.count(message) == 1, message  # beside its field, not flashed again
        assert "port:" not in shown and "host:" not in shown
    assert _printers(app) == before
    resp = page.submit("/labels/printers", {"name": "Desk", "kind": "zpl", "host": "10.0.0.9", "port": "9100"},
                       form_page="/labels/printers")
    assert resp.status_code == 302
    assert _printers(app)["Desk"] == ("zpl", "10.0.0.9", 9100, None, True)


def test_a_wrong_printer_change_names_the_field_and_changes_nothing(app, world, login):
    page = login("admin", username="printer-admin2")
    page.submit("/labels/printers", {"name": "Laser", "kind": "ipp", "uri": "ipp://10.0.0.5:631/p"},
                form_page="/labels/printers")
    from core.extensions import db
    from labels.models import Printer

    with app.app_context():
        pid = db.session.query(Printer).filter_by(name="Laser").one().id
    before = _printers(app)
    for headers, words in (({"Accept-Language": "en"}, "IPP address: Give the printer's IPP address"),
                           (ZH, "IPP 地址: ")):
        resp = page.submit(f"/labels/printers/{pid}", {"name": "Laser 2", "kind": "ipp", "uri": "nope",
                                                       "active": "on"}, form_page="/labels/printers", headers=headers)
        assert resp.status_code == 303
        shown = html.unescape(page.get(resp.headers["Location"], headers=headers).get_data(as_text=True))
        assert words in shown, shown[:3000]
    assert _printers(app) == before
    resp = page.submit(f"/labels/printers/{pid}", {"name": "Laser 2", "kind": "ipp", "uri": "ipp://10.0.0.6:631/p"},
                       form_page="/labels/printers")
    assert resp.status_code == 302
    assert _printers(app)["Laser 2"] == ("ipp", None, None, "ipp://10.0.0.6:631/p", False)


def test_the_api_registers_and_changes_a_printer_through_the_same_schema(app, world, api_as):
    api = api_as("admin")
    bad = api.post("/api/v1/labels/printers", json={"name": "", "kind": "zpl", "port": 70000})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"name", "host", "port"}
    made = api.post("/api/v1/labels/printers", json={"name": "Api Zebra", "kind": "zpl", "host": "10.0.0.7"})
    assert made.status_code == 201 and made.get_json()["target"]
    changed = api.put(f"/api/v1/labels/printers/{made.get_json()['id']}",
                      json={"name": "Api Zebra", "kind": "zpl", "host": "10.0.0.8", "active": False})
    assert changed.status_code == 200 and changed.get_json()["active"] is False
