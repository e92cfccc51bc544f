"""The DOA applications and held-units lists page by a cursor: every row once and in order (newest
application first; oldest arrival first), every filter still applied, office staff only their own office's
rows, and a forged cursor or a page size out of bounds is a clear 4xx, never a 500."""
from __future__ import annotations

import base64
import re
from datetime import date, datetime, timedelta, timezone
from html import unescape

import pytest
from sqlalchemy import insert, select

from tests.doa.conftest import DEALER_CODE

PAST = date(2026, 6, 1)
T0 = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)
FORGED = ["x", "!!!", base64.urlsafe_b64encode(b'["2026-06-01T02:00:00"]').decode(),
          base64.urlsafe_b64encode(b'["soon"]').decode(), base64.urlsafe_b64encode(b'[true]').decode(),
          base64.urlsafe_b64encode(b'["2026-06-01T02:00:00", 1]').decode(), "A" * 401]


@pytest.fixture()
def lists(app, world):
    """37 applications in two offices and three states (the "submitted" ones past their approval day),
    and 29 held units in two offices and two statuses, several arriving at the same moment."""
    from core.directory.models import Dealer
    from core.extensions import db
    from doa.models import DoaApplication, DoaHold

    with app.app_context():
        dealers = dict(db.session.execute(select(Dealer.code, Dealer.id)).all())
        offices = dict(db.session.execute(select(Dealer.id, Dealer.office_id)).all())
        states = ("submitted", "approved", "refused")
        apps = []
        for n in range(37):
            dealer = dealers[DEALER_CODE] if n % 3 else dealers["D0002"]
            apps.append({"number": f"DOA2606-{n:04d}", "dealer_id": dealer, "office_id": offices[dealer],
                         "request": "replacement", "purchase_date": PAST, "state": states[n % 3], "created_at": T0,
                         "approval_due": PAST + timedelta(days=1)})
        db.session.execute(insert(DoaApplication), apps)
        holds = []
        for n in range(29):
            dealer = dealers[DEALER_CODE] if n % 2 else dealers["D0002"]
            holds.append({"serial": f"HS{n:04d}", "model": "SSD", "dealer_id": dealer, "office_id": offices[dealer],
                          "reason": "no_application", "status": "held" if n % 4 else "set_aside",
                          "arrived_at": T0 + timedelta(hours=(n * 5) % 7), "arrived_by": "clerk"})
        db.session.execute(insert(DoaHold), holds)
        db.session.commit()
        app_rows = [(a.id, a.number, a.state, a.office_id) for a in db.session.scalars(select(DoaApplication))]
        hold_rows = [(h.arrived_at, h.id, h.status, h.office_id) for h in db.session.scalars(select(DoaHold))]
    return {"apps": app_rows, "holds": hold_rows}


def _walk(client, path: str, per_page: int, key: str) -> list:
    """Every ``key`` of a keyset list, following ``next`` until it is null."""
    found, after, pages = [], None, 0
    sep = "&" if "?" in path else "?"
    while True:
        body = client.get(f"{path}{sep}per_page={per_page}" + (f"&after={after}" if after else "")).get_json()
        assert set(body) == {"items", "per_page", "next"}, body
        assert body["per_page"] == per_page and len(body["items"]) <= per_page
        found += [item[key] for item in body["items"]]
        after, pages = body["next"], pages + 1
        assert pages < 100
        if after is None:
            return found
        assert len(body["items"]) == per_page


def _numbers(rows, *, state=None, office=None):
    return [n for i, n, s, o in sorted(rows, reverse=True) if state in (None, s) and office in (None, o)]


def _holds(rows, *, status="held", office=None):
    return [i for at, i, s, o in sorted(rows) if status in (None, s) and office in (None, o)]


def test_following_next_gives_every_application_once_newest_first(lists, bearer, world):
    desk = bearer("service")
    for per_page in (1, 6, 50):
        assert _walk(desk, "/api/v1/doa/applications", per_page, "number") == _numbers(lists["apps"])
    # Every filter still applies, page after page.
    assert _walk(desk, "/api/v1/doa/applications?state=approved", 4, "number") == _numbers(lists["apps"],
                                                                                          state="approved")
    assert _walk(desk, "/api/v1/doa/applications?overdue=true", 5, "number") == _numbers(lists["apps"],
                                                                                        state="submitted")
    assert _walk(desk, "/api/v1/doa/applications?q=DOA2606-0007", 5, "number") == ["DOA2606-0007"]
    assert _walk(desk, "/api/v1/doa/applications?q=D0002", 4, "number") == _numbers(lists["apps"],
                                                                                   office=world["sh"])
    sh = bearer("office-sh")
    assert _walk(sh, "/api/v1/doa/applications", 4, "number") == _numbers(lists["apps"], office=world["sh"])
    assert _walk(sh, "/api/v1/doa/applications?state=refused", 2, "number") == _numbers(
        lists["apps"], state="refused", office=world["sh"])


def test_following_next_gives_every_held_unit_once_oldest_first(lists, bearer, world):
    desk = bearer("service")
    for per_page in (1, 4, 50):
        assert _walk(desk, "/api/v1/doa/holds", per_page, "id") == _holds(lists["holds"])
    assert _walk(desk, "/api/v1/doa/holds?status=set_aside", 3, "id") == _holds(lists["holds"], status="set_aside")
    assert _walk(desk, "/api/v1/doa/holds?status=", 5, "id") == _holds(lists["holds"], status=None)
    bj = bearer("office-bj")
    assert _walk(bj, "/api/v1/doa/holds", 3, "id") == _holds(lists["holds"], office=world["bj"])


def _walk_page(client, url: str, pattern: str) -> tuple[list[str], int]:
    found, pages = [], 0
    while url:
        html = client.get(url).get_data(as_text=True)
        found += re.findall(pattern, html)
        assert ('rel="first"' in html) == bool(pages)
        link = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = unescape(link.group(1)) if link else None
        pages += 1
    return found, pages


def test_the_pages_follow_next_and_first_page_links_with_their_filters(lists, signed_in, world):
    client = signed_in("service")
    numbers, pages = _walk_page(client, "/doa/?per_page=10", r'<td><a href="/doa/(DOA2606-\d+)">')
    assert numbers == _numbers(lists["apps"]) and pages == 4
    numbers, _ = _walk_page(client, "/doa/?state=approved&per_page=5", r'<td><a href="/doa/(DOA2606-\d+)">')
    assert numbers == _numbers(lists["apps"], state="approved")
    office = signed_in("office-sh")
    numbers, _ = _walk_page(office, "/doa/?per_page=5", r'<td><a href="/doa/(DOA2606-\d+)">')
    assert numbers == _numbers(lists["apps"], office=world["sh"])
    serials, pages = _walk_page(signed_in("clerk"), "/doa/holds?status=all&per_page=8", r"<code>(HS\d+)</code>")
    by_id = {i: f"HS{n:04d}" for n, i in enumerate(sorted(i for _a, i, _s, _o in lists["holds"]))}
    assert serials == [by_id[i] for i in _holds(lists["holds"], status=None)] and pages == 4


@pytest.mark.parametrize("path", ["/api/v1/doa/applications", "/api/v1/doa/holds"])
def test_a_forged_cursor_or_page_size_is_a_422_in_the_api(lists, bearer, path):
    desk = bearer("service")
    for after in FORGED:
        resp = desk.get(f"{path}?after={after}")
        assert resp.status_code == 422 and resp.is_json and "after" in str(resp.get_json()), (after, resp.status_code)
    for per_page in ("0", "201", "x", "99999999999999999999"):
        resp = desk.get(f"{path}?per_page={per_page}")
        assert resp.status_code == 422 and resp.is_json and "per_page" in str(resp.get_json()), per_page
    assert len(desk.get(f"{path}?per_page=200&status=").get_json()["items"]) in (29, 37)


@pytest.mark.parametrize("path", ["/doa/", "/doa/holds"])
def test_a_forged_cursor_on_a_page_is_a_readable_message(lists, signed_in, path):
    client = signed_in("service")
    for after in FORGED:
        resp = client.get(f"{path}?after={after}")
        assert resp.status_code == 422, (after, resp.status_code)
        assert "This page link is no longer valid" in resp.get_data(as_text=True)
    assert client.get(f"{path}?per_page=0").status_code == 422
