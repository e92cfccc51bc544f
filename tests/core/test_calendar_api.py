"""The calendar page and API: working days, deadlines, closures (admins edit)."""


def test_working_days_api_marks_holidays_makeup_days_and_closures(api_as):
    api = api_as("service")
    resp = api.get("/api/v1/calendar/working-days?from=2026-09-30&to=2026-10-11")
    assert resp.status_code == 200
    body = resp.get_json()
    kinds = {d["day"]: d["kind"] for d in body["days"]}
    assert kinds["2026-09-30"] == "working"
    assert kinds["2026-10-01"] == "holiday" and kinds["2026-10-07"] == "holiday"
    assert kinds["2026-10-10"] == "makeup" and kinds["2026-10-11"] == "weekend"
    # 9-30, 10-08, 10-09 and the make-up Saturday 10-10
    assert [d["day"] for d in body["days"] if d["working"]] == ["2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"]
    assert body["working_days"] == 4


def test_add_working_days_api(api_as):
    api = api_as("clerk")
    assert api.get("/api/v1/calendar/add?day=2026-09-30&n=1").get_json()["result"] == "2026-10-08"
    assert api.get("/api/v1/calendar/add?day=2026-02-13&n=2").get_json()["result"] == "2026-02-24"
    bad = api.get("/api/v1/calendar/add?day=2026-02-30&n=1")
    assert bad.status_code == 422 and "day" in bad.get_json()["errors"]
    assert api.get("/api/v1/calendar/add?day=2026-02-13&n=-1").status_code == 422
    assert api.get("/api/v1/calendar/add?day=2026-02-13").status_code == 422
    backwards = api.get("/api/v1/calendar/working-days?from=2026-10-11&to=2026-10-01")
    assert backwards.status_code == 422 and "to" in backwards.get_json()["errors"]


def test_closures_api_admin_only_and_moves_deadlines(api_as):
    admin = api_as("admin")
    service = api_as("service")
    assert service.post("/api/v1/calendar/closures", json={"day": "2026-11-24"}).status_code == 403
    created = admin.post("/api/v1/calendar/closures", json={"day": "2026-11-24", "reason": "stocktaking"})
    assert created.status_code == 201
    cid = created.get_json()["id"]
    assert admin.post("/api/v1/calendar/closures", json={"day": "2026-11-24"}).status_code == 409
    assert service.get("/api/v1/calendar/add?day=2026-11-23&n=1").get_json()["result"] == "2026-11-25"
    day = service.get("/api/v1/calendar/working-days?from=2026-11-24&to=2026-11-24").get_json()["days"][0]
    assert day == {"day": "2026-11-24", "working": False, "kind": "closure", "name": "stocktaking"}
    assert admin.patch(f"/api/v1/calendar/closures/{cid}", json={"reason": "inventory count"}).status_code == 200
    assert [c["reason"] for c in service.get("/api/v1/calendar/closures?year=2026").get_json()] == ["inventory count"]
    assert service.delete(f"/api/v1/calendar/closures/{cid}").status_code == 403
    assert admin.delete(f"/api/v1/calendar/closures/{cid}").status_code == 204
    assert admin.delete(f"/api/v1/calendar/closures/{cid}").status_code == 404
    assert service.get("/api/v1/calendar/add?day=2026-11-23&n=1").get_json()["result"] == "2026-11-24"


def test_calendar_page_shows_month_and_admin_edits_closures(login):
    admin = login("admin")
    page = admin.get("/calendar/?month=2026-10").get_data(as_text=True)
    assert 'data-day="2026-10-10" data-kind="makeup"' in page
    assert 'data-day="2026-10-01" data-kind="holiday"' in page
    assert "National Day" in page
    added = admin.submit("/calendar/closures", {"day": "2026-10-12", "reason": "年中盘点", "month": "2026-10"},
                         form_page="/calendar/?month=2026-10")
    assert added.status_code == 302
    page = admin.get("/calendar/?month=2026-10").get_data(as_text=True)
    assert 'data-day="2026-10-12" data-kind="closure"' in page and "年中盘点" in page
    bad = admin.submit("/calendar/closures", {"day": "2026-10-32"}, form_page="/calendar/")
    assert "YYYY-MM-DD" in admin.get(bad.headers["Location"]).get_data(as_text=True)

    clerk = login("clerk")
    clerk_page = clerk.get("/calendar/?month=2026-10").get_data(as_text=True)
    assert "年中盘点" in clerk_page and "Add closure" not in clerk_page
    assert clerk.submit("/calendar/closures", {"day": "2026-10-13"}, form_page="/calendar/").status_code == 403
    assert clerk.get("/calendar/?month=2026-13").status_code == 200  # a bad month falls back to this month


def test_calendar_page_in_chinese(login):
    c = login("service")
    page = c.get("/calendar/?month=2026-10", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "国庆节" in page
