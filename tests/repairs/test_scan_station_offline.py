"""What the scan station needs to work offline, without a browser: its service worker is
served where its scope covers the page, the page keeps the strict CSP (no inline script),
its queue's messages are translated, and a scan the page sends again with the same
Idempotency-Key (cookie session + CSRF header, as scan.js does) is applied once."""
from __future__ import annotations

import re


def test_service_worker_is_served_for_the_station_page(app):
    resp = app.test_client().get("/repairs/scan-sw.js")
    assert resp.status_code == 200
    assert resp.mimetype in ("text/javascript", "application/javascript")
    assert resp.headers["Service-Worker-Allowed"] == "/repairs/scan"
    assert "no-cache" in resp.headers["Cache-Control"]
    body = resp.get_data(as_text=True)
    assert 'addEventListener("fetch"' in body
    # Workers fall back to script-src: 'self' is allowed, nothing inline or remote.
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "worker-src" not in csp


def test_station_page_has_no_inline_script_and_translated_queue_messages(login):
    clerk = login("clerk")
    html = clerk.get("/repairs/scan").get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)
    assert 'data-sw-url="/repairs/scan-sw.js"' in html
    assert "they will be sent in order" in html and "{n}" in html and "{code}" in html
    zh = clerk.get("/repairs/scan", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "恢复连接后将按顺序发送" in zh and "未成功的扫描" in zh


def test_a_scan_sent_again_with_its_key_is_applied_once(app, world, login, api_as):
    from sqlalchemy import func, select

    from core.extensions import db
    from repairs.models import RepairEvent

    desk = api_as("service")
    desk.post("/api/v1/repairs/parcels", json={"dealer_id": world.dealer_bj, "lines": [
        {"model": "X", "serial": "Q1"}]})
    clerk = login("clerk")
    page = clerk.get("/repairs/scan").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    headers = {"X-CSRFToken": token, "Idempotency-Key": "0b8f1c3e-6a43-4c2e-9a59-3f2d1e0c9b7a"}
    first = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "Q1"}, headers=headers)
    again = clerk.post("/api/v1/repairs/scan", json={"mode": "receive", "code": "Q1"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(RepairEvent).where(RepairEvent.action == "receive"))
    assert n == 1
