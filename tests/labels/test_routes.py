"""Label pages and API through the test client: files, formats, lookups, roles and office scoping."""
from __future__ import annotations

import pytest

from tests.labels.decoding import decode_page, page_count, page_text, zpl_barcodes, zpl_code128_text, zpl_formats

PDF = "application/pdf"


def _pdf(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == PDF
    assert resp.data.startswith(b"%PDF")
    assert "no-store" in resp.headers["Cache-Control"]
    return resp.data


# --- one record -----------------------------------------------------------------------------------

def test_unit_label_carries_the_serial_facts_and_data_wipe_notice(world, login):
    c = login("clerk")
    pdf = _pdf(c.get(f"/labels/unit/{world.serials[0]}"))
    assert page_count(pdf) == 1  # thermal 60x40 by default: one label per page
    assert decode_page(pdf, 0, 203) == [world.serials[0]]
    text = page_text(pdf)
    assert "SSD A400 240G" in text and world.rma in text and "北京数码科技有限公司" in text
    assert "no data is kept" in text and "Back up" in text


def test_unit_label_without_notice_once_the_repair_is_behind(world, app, login):
    from core.extensions import db
    from repairs.models import RepairUnit

    with app.app_context():
        unit = db.session.query(RepairUnit).filter_by(serial=world.serials[1]).one()
        unit.state = "shipped"
        db.session.commit()
    pdf = _pdf(login("service").get(f"/labels/unit/{world.serials[1]}?format=thermal100x50"))
    assert "no data is kept" not in page_text(pdf)
    assert decode_page(pdf, 0, 300) == [world.serials[1]]


def test_rma_labels_parcel_then_one_per_unit(world, login):
    pdf = _pdf(login("clerk").get(f"/labels/rma/{world.rma.lower()}?format=thermal60x40"))
    assert page_count(pdf) == 4  # the parcel and its three declared units
    assert [decode_page(pdf, i, 203) for i in range(4)] == [[world.rma]] + [[s] for s in world.serials]
    parcel = page_text(pdf, 0)
    assert "RMA parcel" in parcel and "3 units" in parcel and "SF100200300" in parcel
    assert "no data is kept" in parcel  # its units go to repair


def test_rma_labels_on_an_a4_sheet(world, login):
    pdf = _pdf(login("clerk").get(f"/labels/rma/{world.rma}?format=a4&cols=2&rows=6&outline=true"))
    assert page_count(pdf) == 1
    assert sorted(decode_page(pdf, 0, 203)) == sorted([world.rma, *world.serials])


def test_shipment_label_one_per_piece_and_packing_slip(world, login):
    c = login("clerk")
    pdf = _pdf(c.get(f"/labels/shipment/{world.shipment}?format=thermal100x50"))
    assert page_count(pdf) == 2
    assert decode_page(pdf, 1, 203) == [world.shipment]
    assert "Piece 2 of 2" in page_text(pdf, 1) and "北京数码科技有限公司" in page_text(pdf, 1)

    slip = _pdf(c.get(f"/labels/shipment/{world.shipment}/packing-slip"))
    assert sorted(decode_page(slip, 0, 203)) == sorted([world.shipment, world.waybill])
    text = page_text(slip)
    # (shipments stores serials upper-cased; the slip prints what the shipment holds)
    assert world.serials[0].upper() in text and "SSD-A400-240" in text and "顺丰速运" in text
    assert "Total: 1 units, 4 parts in 2 lines" in text


def test_shelf_and_part_labels(world, login):
    c = login("clerk")
    pdf = _pdf(c.get(f"/labels/shelf/{world.hq_bin}"))
    assert decode_page(pdf, 0, 203) == [world.hq_bin]
    assert "总部 C 架" in page_text(pdf)
    pdf = _pdf(c.get(f"/labels/part/{world.sku}?format=a4"))
    assert decode_page(pdf, 0, 203) == [world.sku]
    assert "固态硬盘" in page_text(pdf)


def test_zpl_format(world, login):
    resp = login("clerk").get(f"/labels/rma/{world.rma}?format=zpl&dpi=300&size=100x50")
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and ".zpl" in disposition
    formats = zpl_formats(resp.get_data(as_text=True))
    assert [zpl_code128_text(zpl_barcodes(f)[0]) for f in formats] == [world.rma, *world.serials]
    assert all("^PW1181" in f for f in formats)


@pytest.mark.parametrize("path", [
    "/labels/unit/NO-SUCH-1", "/labels/rma/RMA2699-9999", "/labels/shipment/SH2699-99999",
    "/labels/shipment/SH2699-99999/packing-slip", "/labels/shelf/NOPE-1", "/labels/part/NO-SKU",
])
def test_unknown_code_is_404_page(world, login, path):
    resp = login("clerk").get(path)
    assert resp.status_code == 404
    assert resp.mimetype == "text/html"


def test_bad_options_are_a_readable_422(world, login):
    c = login("clerk")
    for query in ("format=png", "format=a4&cols=0", "format=zpl&dpi=600", "format=a4&margin_top=abc"):
        resp = c.get(f"/labels/part/{world.sku}?{query}")
        assert resp.status_code == 422, query
        assert resp.mimetype == "text/html"


def test_a_code_code128_cannot_carry_is_refused_on_the_page(world, login):
    resp = login("clerk").get(f"/labels/shelf/{world.bad_bin}")
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "Code 128" in body and "货" in body


# --- roles and office scoping --------------------------------------------------------------------

def test_anonymous_is_sent_to_login(world, client):
    resp = client.get(f"/labels/part/{world.sku}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_office_user_prints_own_shelves_only(world, login):
    c = login("office", office_id=world.bj)
    assert decode_page(_pdf(c.get(f"/labels/shelf/{world.bj_bin}")), 0, 203) == [world.bj_bin]
    assert c.get(f"/labels/shelf/{world.sh_bin}").status_code == 403
    assert c.get(f"/labels/shelf/{world.hq_bin}").status_code == 403
    _pdf(c.get(f"/labels/part/{world.sku}"))


def test_office_user_and_repair_labels(world, login):
    c = login("office", office_id=world.bj)
    assert c.get(f"/labels/unit/{world.serials[0]}").status_code == 403
    assert c.get(f"/labels/rma/{world.rma}").status_code == 403
    # Shipments: only the office's own (the HQ <-> office legs it packs).
    assert c.get(f"/labels/shipment/{world.sh_shipment}").status_code == 403
    sh = login("office", office_id=world.sh, username="sh-office")
    _pdf(sh.get(f"/labels/shipment/{world.sh_shipment}"))
    _pdf(sh.get(f"/labels/shipment/{world.sh_shipment}/packing-slip"))


def test_department_roles_cannot_print(world, login):
    c = login("finance")
    assert c.get(f"/labels/part/{world.sku}").status_code == 403
    assert c.get("/labels/").status_code == 403


# --- the print page and batches ------------------------------------------------------------------

def test_print_page_and_lookup_redirect(world, login):
    c = login("clerk")
    page = c.get("/labels/")
    assert page.status_code == 200 and 'name="codes"' in page.get_data(as_text=True)
    resp = c.get(f"/labels/print?kind=unit&code={world.serials[2]}&format=zpl")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/labels/unit/{world.serials[2]}?format=zpl")
    assert c.get("/labels/print?kind=&code=").status_code == 422


def test_batch_from_the_print_page(world, login):
    c = login("clerk")
    codes = "\n".join([world.hq_bin, world.bj_bin, "", world.hq_bin, world.sh_bin])
    resp = c.submit("/labels/batch", {"kind": "shelf", "codes": codes, "format": "a4", "cols": "3", "rows": "8"},
                    form_page="/labels/")
    pdf = _pdf(resp)
    assert sorted(decode_page(pdf, 0, 203)) == sorted([world.hq_bin, world.bj_bin, world.sh_bin])


def test_batch_with_repeated_fields_from_a_list_page(world, login):
    c = login("clerk")
    token = c.csrf_token("/labels/")
    resp = c.post("/labels/batch", data={"kind": "unit", "codes": world.serials, "format": "thermal60x40",
                                         "csrf_token": token})
    pdf = _pdf(resp)
    assert [decode_page(pdf, i, 203) for i in range(3)] == [[s] for s in world.serials]


def test_batch_errors_show_on_the_page_and_keep_the_codes(world, login):
    c = login("clerk")
    resp = c.submit("/labels/batch", {"kind": "shelf", "codes": f"{world.hq_bin}\nNOPE-1\nNOPE-2"},
                    form_page="/labels/")
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "2 of the codes were not found" in body and "NOPE-2" in body
    assert world.hq_bin in body  # the codes stay in the form
    resp = c.submit("/labels/batch", {"kind": "shelf", "codes": world.bad_bin}, form_page="/labels/")
    assert resp.status_code == 422 and "Code 128" in resp.get_data(as_text=True)
    resp = c.submit("/labels/batch", {"kind": "gadget", "codes": "X"}, form_page="/labels/")
    assert resp.status_code == 422


def test_batch_needs_csrf(world, login):
    resp = login("clerk").post("/labels/batch", data={"kind": "part", "codes": world.sku})
    assert resp.status_code == 400


def test_office_batch_of_another_offices_shelf_is_403(world, login):
    c = login("office", office_id=world.bj)
    resp = c.submit("/labels/batch", {"kind": "shelf", "codes": f"{world.bj_bin}\n{world.sh_bin}"},
                    form_page="/labels/")
    assert resp.status_code == 403
    resp = c.submit("/labels/batch", {"kind": "unit", "codes": world.serials[0]}, form_page="/labels/")
    assert resp.status_code == 403


# --- API ------------------------------------------------------------------------------------------

def test_api_labels(world, api_as):
    api = api_as("clerk")
    pdf = _pdf(api.get(f"/api/v1/labels/units/{world.serials[0]}"))
    assert decode_page(pdf, 0, 203) == [world.serials[0]]
    pdf = _pdf(api.get(f"/api/v1/labels/rma/{world.rma}?format=a4"))
    assert sorted(decode_page(pdf, 0, 300)) == sorted([world.rma, *world.serials])
    _pdf(api.get(f"/api/v1/labels/shipments/{world.shipment}"))
    _pdf(api.get(f"/api/v1/labels/shipments/{world.shipment}/packing-slip"))
    _pdf(api.get(f"/api/v1/labels/locations/{world.hq_bin}?format=thermal100x50"))
    resp = api.get(f"/api/v1/labels/parts/{world.sku}?format=zpl")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert zpl_code128_text(zpl_barcodes(zpl_formats(resp.get_data(as_text=True))[0])[0]) == world.sku


def test_api_errors_are_json(world, api_as):
    api = api_as("clerk")
    resp = api.get("/api/v1/labels/units/NO-SUCH-1")
    assert resp.status_code == 404 and resp.json["code"] == "not_found"
    resp = api.get(f"/api/v1/labels/parts/{world.sku}?format=png")
    assert resp.status_code == 422 and "format" in resp.json["errors"]
    resp = api.get(f"/api/v1/labels/parts/{world.sku}?colour=red")
    assert resp.status_code == 422
    resp = api.get(f"/api/v1/labels/locations/{world.bad_bin}")
    assert resp.status_code == 422 and resp.json["code"] == "validation_error"
    assert "Code 128" in resp.json["message"] and resp.json["errors"]["codes"]
    office = api_as("office", office_id=world.bj, username="api-bj")
    resp = office.get(f"/api/v1/labels/locations/{world.sh_bin}")
    assert resp.status_code == 403 and resp.json["code"] == "forbidden"
    assert api_as("sales", username="api-sales").get(f"/api/v1/labels/parts/{world.sku}").status_code == 403


def test_api_batch(world, api_as):
    api = api_as("clerk")
    resp = api.post("/api/v1/labels/batch", json={"kind": "part", "codes": [world.sku], "format": "thermal60x40"})
    assert decode_page(_pdf(resp), 0, 203) == [world.sku]
    resp = api.post("/api/v1/labels/batch", json={"kind": "unit", "codes": [*world.serials, "NOPE"]})
    assert resp.status_code == 422 and resp.json["errors"]["codes"] == ["No repair unit with serial NOPE."]
    resp = api.post("/api/v1/labels/batch", json={"kind": "unit", "codes": []})
    assert resp.status_code == 422
    resp = api.post("/api/v1/labels/batch", json={"kind": "part", "codes": [world.sku], "extra": 1})
    assert resp.status_code == 422
    resp = api.post("/api/v1/labels/batch", json={"kind": "part", "codes": ["X"] * 501})
    assert resp.status_code == 422


def test_print_macros_for_other_pages(world, app, make_user):
    from flask import render_template_string
    from flask_login import login_user

    from core.accounts.service import get_user

    template = ('{% from "labels/_print.html" import print_label, print_batch %}'
                "{{ print_label('labels.shelf_label', code=code) }}{{ print_batch('unit', serials) }}")
    make_user("clerk", "clerk")
    with app.test_request_context("/"):
        login_user(get_user("clerk"))
        html = render_template_string(template, code=world.hq_bin, serials=world.serials)
    assert f'action="/labels/shelf/{world.hq_bin}"' in html and 'name="format"' in html
    assert 'action="/labels/batch"' in html and 'name="csrf_token"' in html
    assert all(f'name="codes" value="{s}"' in html for s in world.serials)


def test_openapi_documents_the_label_files(app, client):
    spec = client.get("/api/openapi.json").json
    for path in ("/api/v1/labels/units/{serial}", "/api/v1/labels/rma/{number}", "/api/v1/labels/batch",
                 "/api/v1/labels/shipments/{number}/packing-slip", "/api/v1/labels/locations/{code}"):
        ops = spec["paths"][path]
        op = ops.get("get") or ops.get("post")
        assert "application/pdf" in op["responses"]["200"]["content"]


def test_batch_total_label_limit(world, app, api_as, monkeypatch):
    from labels import sources

    monkeypatch.setattr(sources, "MAX_LABELS", 3)
    api = api_as("clerk")
    resp = api.post("/api/v1/labels/batch", json={"kind": "rma", "codes": [world.rma]})
    assert resp.status_code == 422 and "at most 3" in resp.json["message"]
