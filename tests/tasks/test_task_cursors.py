"""The task lists (one for every process, and the repairs and DOA lists in their older shape) page by a
cursor: every task once and in order (earliest due first, then the order opened), office staff only
their own office's, and a forged cursor or a page size out of bounds is a clear 4xx, never a 500."""
from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from html import unescape

import pytest

from core.authz import SYSTEM

DAY = date(2026, 11, 2)
FORGED = ["x", "!!!", base64.urlsafe_b64encode(b'["2026-11-02"]').decode(),
          base64.urlsafe_b64encode(b'["soon", 1]').decode(), base64.urlsafe_b64encode(b'{"a": 1}').decode(),
          "A" * 401]


@pytest.fixture()
def many_tasks(app, make_office):
    """31 DOA and 17 repairs tasks over five due days (several per day, so the id breaks ties), in two
    offices, opened out of due order; a few DOA tasks agreed."""
    from core.directory.models import Dealer
    from core.extensions import db
    from core.tasks import service as task_service
    from repairs import intake

    bj, sh = make_office("BJ"), make_office("SH")
    with app.app_context():
        dealer = Dealer(code="DBJ", name="北京数码", phone="13800001234", office_id=bj)
        db.session.add(dealer)
        db.session.flush()
        parcel = intake.create_parcel(SYSTEM, dealer_id=dealer.id, lines=[{"model": "SSD A400 240G", "serial": "K1"}])
        made = {"doa": [], "repairs": []}
        for n in range(31):
            task = task_service.open_task("doa", "refused", f"refusal {n}", office_id=bj if n % 3 else sh,
                                          due_on=DAY + timedelta(days=(n * 7) % 5))
            made["doa"].append(task)
        for n in range(17):
            task = task_service.open_task("repairs", "missing", f"missing {n}", case=("return_parcel", parcel.id),
                                          office_id=bj if n % 2 else sh, due_on=DAY + timedelta(days=(n * 3) % 5))
            made["repairs"].append(task)
        for task in made["doa"][:4]:
            task.status = "agreed"
        db.session.commit()
        rows = {p: [(t.due_on, t.id, t.status, t.office_id) for t in made[p]] for p in made}
    return {"bj": bj, "sh": sh, "rows": rows}


def _expected(rows, *, status="open", office=None):
    return [i for due, i, st, o in sorted(rows) if (status is None or st == status) and office in (None, o)]


def _walk(client, path: str, per_page: int) -> list[int]:
    """Every id of a keyset list, following ``next`` until it is null (and no page is larger than asked)."""
    ids, after, seen = [], None, 0
    sep = "&" if "?" in path else "?"
    while True:
        url = f"{path}{sep}per_page={per_page}" + (f"&after={after}" if after else "")
        body = client.get(url).json
        assert set(body) == {"items", "per_page", "next"}, body.keys()
        assert body["per_page"] == per_page and len(body["items"]) <= per_page
        ids += [t["id"] for t in body["items"]]
        after = body["next"]
        seen += 1
        assert seen < 100
        if after is None:
            return ids
        assert len(body["items"]) == per_page


@pytest.mark.parametrize("path, process", [
    ("/api/v1/tasks?process=doa", "doa"), ("/api/v1/tasks?process=repairs", "repairs"), ("/api/v1/tasks", None),
    ("/api/v1/doa/tasks", "doa"), ("/api/v1/repairs/tasks", "repairs"),
])
def test_following_next_gives_every_task_once_in_order(many_tasks, api_as, path, process):
    rows = many_tasks["rows"]
    wanted = rows[process] if process else rows["doa"] + rows["repairs"]
    desk = api_as("service")
    for per_page in (1, 4, 50):
        assert _walk(desk, path, per_page) == _expected(wanted)
    every = "&status=all" if path == "/api/v1/tasks" or "repairs/tasks" in path else ""
    if every:
        joined = path + ("&" if "?" in path else "?") + every.lstrip("&")
        assert _walk(desk, joined, 7) == _expected(wanted, status=None)


@pytest.mark.parametrize("path, process", [("/api/v1/tasks", None), ("/api/v1/doa/tasks", "doa"),
                                           ("/api/v1/repairs/tasks", "repairs")])
def test_office_staff_page_through_their_own_offices_tasks_only(many_tasks, api_as, path, process):
    rows = many_tasks["rows"]
    wanted = rows[process] if process else rows["doa"] + rows["repairs"]
    office = api_as("office", office_id=many_tasks["sh"])
    assert _walk(office, path, 3) == _expected(wanted, office=many_tasks["sh"])


def test_the_page_follows_next_and_first_page_links(many_tasks, login):
    desk = login("service")
    ids, url, pages = [], "/tasks?process=doa&per_page=5", 0
    while url:
        html = desk.get(url).get_data(as_text=True)
        ids += [int(i) for i in re.findall(r'action="/tasks/(\d+)/answer"', html)]
        if pages:
            assert 'rel="first"' in html and "First page" in html
        else:
            assert 'rel="first"' not in html
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = unescape(found.group(1)) if found else None
        pages += 1
    assert ids == _expected(many_tasks["rows"]["doa"])
    assert pages == 6


@pytest.mark.parametrize("path", ["/api/v1/tasks", "/api/v1/doa/tasks", "/api/v1/repairs/tasks"])
def test_a_forged_cursor_or_page_size_is_a_422_in_the_api(many_tasks, api_as, path):
    desk = api_as("service")
    for after in FORGED:
        resp = desk.get(f"{path}?after={after}")
        assert resp.status_code == 422 and resp.is_json, (after, resp.status_code)
        assert "after" in str(resp.json), resp.json
    for per_page in ("0", "201", "x", "-1"):
        resp = desk.get(f"{path}?per_page={per_page}")
        assert resp.status_code == 422 and resp.is_json and "per_page" in str(resp.json), per_page
    assert desk.get(f"{path}?per_page=200").status_code == 200
    assert desk.get(f"{path}?page=2").status_code == 200  # the old argument is ignored: no longer a page


def test_a_forged_cursor_on_the_page_is_a_readable_message(many_tasks, login):
    desk = login("service")
    for after in FORGED:
        resp = desk.get(f"/tasks?after={after}")
        assert resp.status_code == 422, (after, resp.status_code)
        assert "This page link is no longer valid" in resp.get_data(as_text=True)
    zh = desk.get("/tasks?after=x", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "This page link is no longer valid" not in zh
    assert desk.get("/tasks?per_page=500").status_code == 422
    # The old addresses carry the cursor to the one page.
    resp = desk.get("/doa/tasks?after=abc")
    assert resp.status_code == 302 and "after=abc" in resp.headers["Location"]


def test_answering_a_task_on_a_later_page_comes_back_to_that_page(many_tasks, login):
    """The answer form carries the page's cursor: after saving, the desk is where it was, not on page one."""
    desk = login("service")
    first = desk.get("/tasks?process=doa&per_page=5").get_data(as_text=True)
    second_url = unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    after = re.search(r"after=([^&]+)", second_url).group(1)
    html = desk.get(second_url).get_data(as_text=True)
    form = re.search(r'<form method="post" action="(/tasks/\d+/answer)"(.*?)</form>', html, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert fields["after"] == unescape(after)
    decision = re.search(r'<option value="([^"]+)"', form.group(2)).group(1)
    resp = desk.post(form.group(1), data={**fields, "decision": decision, "note": "agreed by phone"})
    assert resp.status_code == 302
    assert f"after={after}" in resp.headers["Location"] and "process=doa" in resp.headers["Location"]
    back = desk.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Task updated." in back


def test_a_forged_page_cursor_on_the_answer_form_goes_back_to_the_first_page(many_tasks, login):
    """The cursor rides along for the way back only: a forged one neither stops the answer nor lands the
    desk on an error; it goes back to the list's first page."""
    desk = login("service")
    html = desk.get("/tasks?process=doa&per_page=5").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="(/tasks/\d+/answer)"(.*?)</form>', html, re.S)
    for forged, (action, body) in zip(("x", "A" * 401), forms):
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
        decision = re.search(r'<option value="([^"]+)"', body).group(1)
        resp = desk.post(action, data={**fields, "after": forged, "decision": decision, "note": "ok"})
        assert resp.status_code == 302 and "after=" not in resp.headers["Location"]
        back = desk.get(resp.headers["Location"]).get_data(as_text=True)
        assert "Task updated." in back and f'action="{action}"' not in back  # answered: no longer open
