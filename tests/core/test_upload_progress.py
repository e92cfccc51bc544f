"""Large imports show upload progress and an "importing…" state: every upload page loads
core/static/upload.js (no inline script, strict CSP) and holds the translated status it fills in.
Browser-free: the pages and the script are fetched over HTTP; posting the plain form still works
(the importers' own tests), which is what a browser without the script does."""
import re

import pytest

UPLOAD_PAGES = ["/inventory/counts/new", "/shipments/freight", "/repairs/parcels", "/repairs/prices"]


@pytest.mark.parametrize("path", UPLOAD_PAGES)
def test_upload_page_loads_the_progress_script_inside_its_upload_form(login, path):
    page = login("supervisor")
    resp = page.get(path)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert re.search(r'<script src="/static/[^"]*upload\.js" defer></script>', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script (CSP)"
    # The status sits in the form that uploads a file, hidden until the script shows it.
    form = next(f for f in re.findall(r"<form\b.*?</form>", html, re.S) if 'type="file"' in f)
    assert 'enctype="multipart/form-data"' in form
    status = re.search(r"<p class=\"upload-progress\"[^>]*>", form).group(0)
    assert "hidden" in status and "data-upload-progress" in status
    assert 'data-uploading="Uploading the file…"' in status
    assert "data-importing=\"Importing…" in status


def test_progress_texts_follow_the_users_language(login):
    page = login("supervisor")
    html = page.get("/shipments/freight", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'data-uploading="正在上传文件…"' in html
    assert "正在导入" in html


def test_progress_script_is_served_and_falls_back_to_the_plain_form(login):
    page = login("supervisor")
    html = page.get("/shipments/freight").get_data(as_text=True)
    src = re.search(r'<script src="([^"]*upload\.js)"', html).group(1)
    resp = page.get(src)
    assert resp.status_code == 200
    script = resp.get_data(as_text=True)
    resp.close()
    assert "javascript" in resp.content_type
    # Upload progress from XMLHttpRequest; the importing state once the upload is done;
    # the plain submit when the request cannot be made.
    assert 'upload.addEventListener("progress"' in script
    assert 'upload.addEventListener("load"' in script
    assert "form.submit()" in script
