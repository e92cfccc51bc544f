"""The scanned signed application: PDF, JPEG or PNG by content, size-limited, stored outside the web root."""
from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import func, select

from tests.doa.conftest import new_application

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture()
def number(app, world):
    from core.extensions import db

    with app.app_context():
        row = new_application()
        db.session.commit()
        return row.number


def _upload(client, number, data: bytes, name="申请单.pdf", content_type="application/pdf"):
    return client.post(f"/api/v1/doa/applications/{number}/attachments",
                       data={"file": (io.BytesIO(data), name, content_type)}, content_type="multipart/form-data")


def _stored(app):
    from core.extensions import db
    from doa.models import DoaAttachment

    with app.app_context():
        return db.session.scalar(select(func.count(DoaAttachment.id)))


def _files(app):
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "doa")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.mark.parametrize(("data", "content_type"), [(PDF, "application/pdf"), (PNG, "image/png"),
                                                    (JPEG, "image/jpeg")])
def test_a_scan_is_stored_with_a_generated_name_and_downloaded_as_an_attachment(app, bearer, number, data,
                                                                               content_type):
    before = set(_files(app))
    resp = _upload(bearer("service"), number, data, name="../../etc/passwd.txt",
                   content_type="text/plain")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    # The type comes from the content, not from the name or the client's content type.
    assert body["content_type"] == content_type and body["size"] == len(data)
    assert body["original_name"] == "passwd.txt"
    new = set(_files(app)) - before
    assert len(new) == 1
    stored = new.pop()
    assert "passwd" not in stored and not stored.endswith(".txt")
    # The upload folder is not under any static folder.
    assert "static" not in app.config["UPLOAD_FOLDER"]
    download = bearer("channel").get(f"/api/v1/doa/attachments/{body['id']}")
    assert download.status_code == 200
    assert download.data == data
    assert download.mimetype == content_type
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert number in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_that_is_not_pdf_jpeg_or_png_is_refused_whatever_its_name(app, bearer, number):
    before = _files(app)
    html = b"<html><script>alert(1)</script></html>"
    resp = _upload(bearer("service"), number, html, name="scan.pdf", content_type="application/pdf")
    assert resp.status_code == 415
    assert resp.get_json()["errors"]["file"]
    gif = _upload(bearer("service"), number, b"GIF89a" + b"\x00" * 20, name="scan.png", content_type="image/png")
    assert gif.status_code == 415
    assert _stored(app) == 0 and _files(app) == before


def test_an_empty_file_is_refused(app, bearer, number):
    resp = _upload(bearer("service"), number, b"")
    assert resp.status_code == 422
    assert resp.get_json()["message"] == "The file is empty."
    assert _stored(app) == 0


def test_a_missing_file_is_refused(app, bearer, number):
    resp = bearer("service").post(f"/api/v1/doa/applications/{number}/attachments", data={},
                                  content_type="multipart/form-data")
    assert resp.status_code == 422
    assert _stored(app) == 0


def test_a_file_over_the_doa_limit_is_refused(app, bearer, number):
    app.config["DOA_MAX_ATTACHMENT_BYTES"] = 1024
    try:
        resp = _upload(bearer("service"), number, PDF + b"0" * 1024)
        ok = _upload(bearer("service"), number, PDF + b"0" * (1024 - len(PDF)))
    finally:
        app.config["DOA_MAX_ATTACHMENT_BYTES"] = 5 * 1024 * 1024
    assert resp.status_code == 413
    assert resp.get_json()["code"] == "too_large"
    assert ok.status_code == 201
    assert _stored(app) == 1


def test_a_request_over_max_content_length_is_refused(app, bearer, number):
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        resp = _upload(bearer("service"), number, PDF + b"0" * 4096)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved
    assert resp.status_code == 413
    assert _stored(app) == 0


def test_only_roles_that_may_see_it_download_it(app, bearer, number, client):
    attachment = _upload(bearer("service"), number, PDF).get_json()["id"]
    url = f"/api/v1/doa/attachments/{attachment}"
    assert client.get(url).status_code == 401
    assert bearer("clerk").get(url).status_code == 403
    assert bearer("office-sh").get(url).status_code == 403   # another office's dealer
    for role in ("office-bj", "service", "supervisor", "channel", "product", "finance", "commerce", "sales",
                 "purchasing"):
        assert bearer(role).get(url).status_code == 200, role
    for role in ("clerk", "channel", "office-bj"):
        assert _upload(bearer(role), number, PDF).status_code == 403


def test_upload_and_download_on_the_page(app, world, number, signed_in):
    client = signed_in("service")
    token = client.csrf_token(f"/doa/{number}")
    resp = client.post(f"/doa/{number}/attachments", data={"csrf_token": token,
                                                            "file": (io.BytesIO(PNG), "签字.png", "image/png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    page = client.get(f"/doa/{number}").get_data(as_text=True)
    assert "Signed application attached." in page and "签字.png" in page
    wrong = client.post(f"/doa/{number}/attachments", data={"csrf_token": token,
                                                             "file": (io.BytesIO(b"hello"), "x.png", "image/png")},
                        content_type="multipart/form-data")
    assert wrong.status_code == 303
    assert "Only PDF, JPEG or PNG scans are accepted." in client.get(f"/doa/{number}").get_data(as_text=True)
    assert _stored(app) == 1
    from core.extensions import db
    from doa.models import DoaAttachment

    with app.app_context():
        attachment_id = db.session.scalar(select(DoaAttachment.id))
    download = client.get(f"/doa/attachments/{attachment_id}")
    assert download.status_code == 200 and download.mimetype == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert signed_in("clerk").get(f"/doa/attachments/{attachment_id}").status_code == 403


def _attach_in_service(app, number, then):
    """Store an attachment through the service, then ``then`` (commit or roll back) the change."""
    from core.accounts.models import User
    from core.extensions import db
    from doa import attachments
    from doa.models import DoaApplication

    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == "service"))
        application = db.session.scalar(select(DoaApplication).where(DoaApplication.number == number))
        attachments.add_attachment(actor, application, io.BytesIO(PDF), "申请单.pdf")
        then(db.session)


def test_a_file_whose_change_rolls_back_is_removed_with_it(app, number):
    before = _files(app)
    _attach_in_service(app, number, lambda session: session.rollback())
    # No row points at it, so no file is left behind either.
    assert _stored(app) == 0
    assert _files(app) == before


def test_a_file_whose_change_commits_stays(app, number):
    before = set(_files(app))
    _attach_in_service(app, number, lambda session: session.commit())
    assert _stored(app) == 1
    assert len(set(_files(app)) - before) == 1
