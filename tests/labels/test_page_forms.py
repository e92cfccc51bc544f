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
