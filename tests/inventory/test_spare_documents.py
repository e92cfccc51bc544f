"""Signed documents (备品签字版文件) on spare requests, year-end returns and counts: pages and API."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x10JFIF" + b"\x00" * 64
KINDS = ("request", "return", "count")
API = {"request": "requests", "return": "returns", "count": "counts"}
PAGE = {"request": "/inventory/requests/{id}", "return": "/inventory/returns/{id}", "count": "/inventory/counts/{id}"}


@pytest.fixture()
def records(app, stock, make_user):
    """BJ's spare request, year-end return and count (made by BJ's office user); their ids by kind."""
    from core.accounts.service import get_user
    from core.extensions import db
    from inventory import counts, service, spares
    from inventory.models import Location, Part

    make_user("bj-docs", "office", office_id=stock.bj)
    with app.app_context():
        office, boss = get_user("bj-docs"), get_user("boss")
        usb = db.session.get(Part, stock.usb)
        service.post_movement(actor=boss, part=usb, from_location=db.session.get(Location, stock.hq),
                              to_location=db.session.get(Location, stock.bj_loc), quantity=3, reason="transfer")
        req = spares.create_request(office, office_id=stock.bj, lines=[("USB-64", 2)])
        count = counts.submit_count(office, location=db.session.get(Location, stock.bj_loc), kind="monthly",
                                    data=counts.CountInput(quantities=[(1, "USB-64", 3)]))
        ret = spares.build_year_end_return(office, office_id=stock.bj, confirm=True,
                                           today=date(date.today().year, 12, 10))
        db.session.commit()
        return {"request": req.id, "return": ret.id, "count": count.id}


def _stored(app):
    """(rows, files) kept: nothing refused may leave either behind."""
    from pathlib import Path

    from sqlalchemy import func, select

    from core.extensions import db
    from inventory.models import SignedDocument

    with app.app_context():
        rows = db.session.scalar(select(func.count(SignedDocument.id)))
    folder = Path(app.config["UPLOAD_FOLDER"]) / "spares"
    return rows, sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def _disposition_name(resp) -> str:
    match = re.search(r'filename="?([^";]+)"?', resp.headers["Content-Disposition"])
    assert resp.headers["Content-Disposition"].startswith("attachment"), resp.headers["Content-Disposition"]
    return match.group(1)


@pytest.mark.parametrize("kind", KINDS)
def test_upload_list_and_download_byte_equal_through_the_page_and_the_api(app, login, api_as, records, kind):
    _through_the_page(app, login, records, kind)
    _through_the_api(app, api_as, records, kind)


def _through_the_page(app, login, records, kind):
    page = PAGE[kind].format(id=records[kind])
    office = login("office", username="bj-page", office_id=_bj(app))
    html = office.get(page).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="idempotency_key"' in html
    form = {"file": (io.BytesIO(PNG), "签字 scan.png"), "idempotency_key": f"page-{kind}"}
    resp = office.submit(f"{page}/attachments", form, form_page=page, content_type="multipart/form-data")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(page)
    html = office.get(page).get_data(as_text=True)
    assert "签字 scan.png" in html
    link = re.search(r'href="(/inventory/attachments/\d+)"', html).group(1)
    got = office.get(link)
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert re.fullmatch(r"[A-Z]+[\w-]*-signed-\d+\.png", _disposition_name(got))
    assert _stored(app)[0] == 1


def _through_the_api(app, api_as, records, kind):
    office = api_as("office", username="bj-api", office_id=_bj(app))
    url = f"/api/v1/inventory/{API[kind]}/{records[kind]}"
    resp = office.post(f"{url}/attachments", data={"file": (io.BytesIO(PDF), "signed.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert doc["content_type"] == "application/pdf" and doc["size"] == len(PDF) and doc["original_name"] == "signed.pdf"
    detail = office.get(url).get_json()
    assert [d["original_name"] for d in detail["attachments"]] == ["签字 scan.png", "signed.pdf"]
    got = office.get(doc["download_url"])
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
    assert _disposition_name(got) == f"{detail['number']}-signed-{doc['id']}.pdf"
    # HQ reads it too; the same file again on the same record is refused.
    clerk = api_as("clerk", username="hq-clerk")
    assert clerk.get(doc["download_url"]).data == PDF
    again = office.post(f"{url}/attachments", data={"file": (io.BytesIO(PDF), "again.pdf")},
                        content_type="multipart/form-data")
    assert again.status_code == 409 and _stored(app)[0] == 2


def _bj(app):
    from sqlalchemy import select

    from core.directory.models import Office
    from core.extensions import db

    with app.app_context():
        return db.session.scalar(select(Office.id).where(Office.code == "BJ"))


def test_wrong_type_empty_and_oversize_are_refused_and_nothing_is_stored(app, api_as, login, records):
    office = api_as("office", username="bj-bad", office_id=_bj(app))
    before = _stored(app)
    url = f"/api/v1/inventory/requests/{records['request']}/attachments"

    def send(data, name="x.pdf"):
        return office.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")

    assert send(b"hello, not a scan", "fake.pdf").status_code == 415
    assert send(b"").status_code == 422
    assert office.post(url, data={}, content_type="multipart/form-data").status_code == 422
    app.config["INVENTORY_MAX_DOCUMENT_BYTES"] = 1024
    try:
        big = send(PDF + b"0" * 2048)
        assert big.status_code == 413 and big.get_json()["errors"]["file"]
        # The page: a readable flash back on the record, nothing kept.
        page = PAGE["count"].format(id=records["count"])
        browser = login("office", username="bj-bad-page", office_id=_bj(app))
        resp = browser.submit(f"{page}/attachments", {"file": (io.BytesIO(JPEG + b"0" * 2048), "big.jpg")},
                              form_page=page, content_type="multipart/form-data")
        assert resp.status_code == 303
        assert "larger than" in browser.get(page).get_data(as_text=True)
        resp = browser.submit(f"{page}/attachments", {"file": (io.BytesIO(b"GIF89a...."), "x.gif")},
                              form_page=page, content_type="multipart/form-data")
        assert resp.status_code == 303
        assert "PDF, JPEG or PNG" in browser.get(page).get_data(as_text=True)
    finally:
        app.config.pop("INVENTORY_MAX_DOCUMENT_BYTES", None)
    assert _stored(app) == before and before[0] == 0


def test_another_office_and_other_roles_are_refused_and_nothing_is_stored(app, api_as, login, records, stock):
    from core.accounts.service import create_token, get_user
    from core.extensions import db
    from tests.conftest import ApiClient

    with app.app_context():
        _, plain = create_token(get_user("sh-user"), "tests")
        db.session.commit()
    sh = ApiClient(app.test_client(), {"Authorization": f"Bearer {plain}"})
    before = _stored(app)
    sh_page = app.test_client()
    assert sh_page.login("sh-user", "sh-user-pass").status_code == 302
    for kind in KINDS:
        api_url = f"/api/v1/inventory/{API[kind]}/{records[kind]}/attachments"
        resp = sh.post(api_url, data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
        assert resp.status_code in (403, 404), (kind, resp.status_code)
        page = PAGE[kind].format(id=records[kind])
        resp = sh_page.submit(f"{page}/attachments", {"file": (io.BytesIO(PDF), "x.pdf")}, form_page="/inventory/",
                              content_type="multipart/form-data")
        assert resp.status_code in (403, 404), (kind, resp.status_code)
    # Roles the record's workflow does not give a step: service on a request, a clerk on an office's count.
    service_user = api_as("service", username="hq-service")
    resp = service_user.post(f"/api/v1/inventory/requests/{records['request']}/attachments",
                             data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 403
    clerk = api_as("clerk", username="hq-clerk2")
    resp = clerk.post(f"/api/v1/inventory/counts/{records['count']}/attachments",
                      data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert resp.status_code == 403
    assert _stored(app) == before and before[0] == 0
    # A BJ document is not readable from SH either.
    bj = api_as("office", username="bj-owner", office_id=stock.bj)
    doc = bj.post(f"/api/v1/inventory/requests/{records['request']}/attachments",
                  data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data").get_json()
    assert sh.get(doc["download_url"]).status_code in (403, 404)
    assert sh_page.get(f"/inventory/attachments/{doc['id']}").status_code in (403, 404)
    # The supervisor and the clerk attach to requests and returns of any office.
    sup = api_as("supervisor", username="hq-sup")
    resp = sup.post(f"/api/v1/inventory/returns/{records['return']}/attachments",
                    data={"file": (io.BytesIO(PNG), "hq.png")}, content_type="multipart/form-data")
    assert resp.status_code == 201


def test_the_same_upload_twice_with_one_idempotency_key_stores_one_file(app, api_as, records):
    office = api_as("office", username="bj-idem", office_id=_bj(app))
    before = _stored(app)[1]
    url = f"/api/v1/inventory/counts/{records['count']}/attachments"
    answers = [office.post(url, data={"file": (io.BytesIO(JPEG), "sheet.jpg")}, content_type="multipart/form-data",
                           headers={"Idempotency-Key": "count-sheet-1"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    assert answers[0].get_json() == answers[1].get_json()
    rows, files = _stored(app)
    assert rows == 1 and len(set(files) - set(before)) == 1


# --- stateful: any order of uploads by anyone keeps exactly the allowed files --------------------

from collections import Counter  # noqa: E402

from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test  # noqa: E402

STATE: dict = {}
CONTENTS = (PDF, PNG, JPEG, PDF + b"%second", b"", b"plain text, not a scan", b"GIF89a-not-allowed")
ACTORS = ("bj", "sh", "clerk", "sup", "service")


class SignedDocuments(RuleBasedStateMachine):
    """BJ's request, return and count and SH's request; the offices' users and HQ staff attach files to them.

    After every step each record keeps exactly the files the rule allows (office users their own
    office's records; clerk and supervisor requests and returns; the office counted, the counter or
    the supervisor counts; PDF/JPEG/PNG only, each file once), and every kept file is on disk.
    """

    @initialize()
    def world(self):
        from core.accounts.service import create_user, get_user
        from core.directory.models import Office
        from core.extensions import db
        from inventory import access, counts, service, spares
        from inventory.models import FINISHED_GOODS, Part

        self.ctx = STATE["app"].app_context()
        self.ctx.push()
        offices = {}
        for code in ("SDA", "SDB"):
            office = Office(code=code, name=f"{code} office", region=f"R-{code}")
            db.session.add(office)
            db.session.flush()
            offices[code] = office.id
        users = {"bj": ("office", offices["SDA"]), "sh": ("office", offices["SDB"]), "clerk": ("clerk", None),
                 "sup": ("supervisor", None), "service": ("service", None)}
        self.users = {}
        for name, (role, office_id) in users.items():
            create_user(f"sd-{name}", "x-pass-1234", [role], office_id=office_id)
            self.users[name] = get_user(f"sd-{name}")
        part = Part(sku="SD-PART")
        db.session.add(part)
        db.session.flush()
        loc_a = access.office_location(offices["SDA"])
        service.post_movement(actor=self.users["sup"], part=part, from_location=service.system_location(FINISHED_GOODS),
                              to_location=loc_a, quantity=2, reason="receipt")
        bj, sh = self.users["bj"], self.users["sh"]
        self.records = [
            ("request", spares.create_request(bj, office_id=offices["SDA"], lines=[("SD-PART", 1)]), offices["SDA"]),
            ("request", spares.create_request(sh, office_id=offices["SDB"], lines=[("SD-PART", 1)]), offices["SDB"]),
            ("return", spares.build_year_end_return(bj, office_id=offices["SDA"], confirm=True,
                                                    today=date(2026, 12, 10)), offices["SDA"]),
            ("count", counts.submit_count(bj, location=loc_a, kind="weekly",
                                          data=counts.CountInput(quantities=[(1, "SD-PART", 2)])), offices["SDA"]),
        ]
        self.expected = [set() for _ in self.records]

    def teardown(self):
        from core.extensions import db

        db.session.rollback()  # also removes the files written (core.stored_files)
        db.session.remove()
        self.ctx.pop()

    def _allowed(self, who: str, index: int) -> bool:
        kind, record, office_id = self.records[index]
        user = self.users[who]
        if who in ("bj", "sh"):
            return user.office_id == office_id
        if kind == "count":
            return who == "sup" or record.counted_by_id == user.id
        return who in ("clerk", "sup")

    @rule(who=st.sampled_from(ACTORS), index=st.integers(0, 3), content=st.integers(0, len(CONTENTS) - 1))
    def attach(self, who, index, content):
        from core.errors import DomainError
        from core.extensions import db
        from core.stored_files import sha256_of
        from inventory import documents

        kind, record, _office = self.records[index]
        data = CONTENTS[content]
        savepoint = db.session.begin_nested()
        try:
            read = documents.KINDS[kind].read(self.users[who], record.id)
            documents.attach(self.users[who], read, io.BytesIO(data), f"f{content}")
            savepoint.commit()
            outcome = "done"
        except DomainError as err:
            savepoint.rollback()
            outcome = err.status
        STATE.setdefault("seen", Counter())[outcome] += 1
        accepted = content < 4 and self._allowed(who, index) and sha256_of(data) not in self.expected[index]
        assert (outcome == "done") == accepted, (who, kind, content, outcome)
        if accepted:
            self.expected[index].add(sha256_of(data))

    @invariant()
    def each_record_keeps_exactly_the_allowed_files(self):
        from core.stored_files import archived_path
        from inventory import documents

        if not hasattr(self, "records"):
            return
        for (_kind, record, _office), expected in zip(self.records, self.expected):
            rows = documents.documents(record)
            assert {row.sha256 for row in rows} == expected and len(rows) == len(expected)
            for row in rows:
                assert archived_path(documents.FOLDER, row.stored_name).read_bytes() in CONTENTS


def test_uploads_in_any_order_keep_exactly_the_allowed_files(app):
    STATE["app"] = app
    try:
        run_state_machine_as_test(SignedDocuments, settings=settings(settings.default, deadline=None))
        seen = STATE.get("seen", Counter())
        assert seen["done"] and seen[403] and seen[415], sorted(seen.items(), key=str)
    finally:
        STATE.clear()
