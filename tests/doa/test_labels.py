"""DOA cases print labels like repairs do: the application, then one label per unit."""
from tests.doa.conftest import PASSWORD, new_application
from tests.labels.decoding import decode_page, page_count, page_text


def _sign_in(app, username):
    c = app.test_client()
    assert c.login(username, PASSWORD).status_code == 302
    return c


def test_doa_labels_decode_to_the_number_and_each_serial(app, world):
    from core.extensions import db

    with app.app_context():
        number = new_application(serials=("DOA-SN-0001", "doa-sn-0002")).number
        db.session.commit()
    c = _sign_in(app, "service")
    detail = c.get(f"/doa/{number}")
    assert f"/labels/doa/{number}" in detail.get_data(as_text=True)
    resp = c.get(f"/labels/doa/{number}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pdf = resp.data
    assert page_count(pdf) == 3
    assert [decode_page(pdf, i, 203) for i in range(3)] == [[number], ["DOA-SN-0001"], ["DOA-SN-0002"]]  # DOA stores serials upper-cased
    assert "Not approved yet" in page_text(pdf, 0)  # the notice wraps over two lines


def test_doa_labels_are_for_hq_staff_only(app, world):
    from core.extensions import db

    with app.app_context():
        number = new_application().number
        db.session.commit()
    assert _sign_in(app, "office-bj").get(f"/labels/doa/{number}").status_code == 403
    assert _sign_in(app, "service").get("/labels/doa/DOA0000-9999").status_code == 404
