"""The directory through pages and API: create, edit, search, bad input, office scoping, history."""
import re

import pytest

from core.directory.models import Dealer


def _dealer_count(app):
    from core.extensions import db

    with app.app_context():
        return db.session.query(Dealer).count()


def _make_dealer(app, code, office_id=None, **kw):
    from core.extensions import db

    with app.app_context():
        dealer = Dealer(code=code, name=kw.pop("name", f"{code} 数码"), office_id=office_id, phone="13800138000", **kw)
        db.session.add(dealer)
        db.session.commit()
        return dealer.id


# ------------------------------------------------------------------ API

def test_api_create_get_search_and_patch_dealer(api_as, make_office):
    bj = make_office("BJ")
    api = api_as("service")
    created = api.post("/api/v1/dealers", json={
        "code": "d0001", "name": "北京数码商行", "contact": "王伟", "phone": "010-62345678",
        "email": "wang@example.com", "birthday": "1980-02-29", "region": "华北", "office_id": bj,
    })
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["code"] == "D0001"  # codes are kept in capitals
    assert body["office"]["code"] == "BJ" and body["active"] is True

    found = api.get("/api/v1/dealers?q=数码").get_json()
    assert found["total"] == 1 and found["items"][0]["id"] == body["id"]
    assert api.get("/api/v1/dealers?q=5678").get_json()["total"] == 1  # last digits of the phone
    assert api.get("/api/v1/dealers?q=nothing-like-it").get_json()["total"] == 0

    patched = api.patch(f"/api/v1/dealers/{body['id']}", json={"phone": "+86 138 0013 8000", "active": False})
    assert patched.status_code == 200
    assert patched.get_json()["phone"] == "+86 138 0013 8000" and patched.get_json()["active"] is False
    assert patched.get_json()["name"] == "北京数码商行"  # untouched fields stay
    assert api.get(f"/api/v1/dealers/{body['id']}").get_json()["active"] is False


def test_api_bad_dealer_gets_422_per_field_and_nothing_written(app, api_as):
    api = api_as("service")
    resp = api.post("/api/v1/dealers", json={
        "code": "bad code!", "name": "", "email": "not-an-email", "phone": "call me", "office_id": 999,
    })
    assert resp.status_code == 422
    errors = resp.get_json()["errors"]
    assert set(errors) >= {"code", "name", "email", "phone", "office_id"}
    assert _dealer_count(app) == 0

    not_a_date = api.post("/api/v1/dealers", json={"code": "D1", "name": "x", "birthday": "1980-02-30"})
    assert not_a_date.status_code == 422 and "birthday" in not_a_date.get_json()["errors"]
    future = api.post("/api/v1/dealers", json={"code": "D1", "name": "x", "birthday": "2999-01-01"})
    assert future.status_code == 422 and "birthday" in future.get_json()["errors"]
    missing = api.post("/api/v1/dealers", json={"name": "x"})
    assert missing.status_code == 422 and "code" in missing.get_json()["errors"]
    unknown = api.post("/api/v1/dealers", json={"code": "D1", "name": "x", "colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.get_json()["errors"]
    wrong_type = api.post("/api/v1/dealers", json={"code": "D1", "name": "x", "office_id": "BJ"})
    assert wrong_type.status_code == 422 and "office_id" in wrong_type.get_json()["errors"]
    assert _dealer_count(app) == 0


def test_api_duplicate_code_is_refused(app, api_as):
    api = api_as("supervisor")
    assert api.post("/api/v1/dealers", json={"code": "D1", "name": "one"}).status_code == 201
    dup = api.post("/api/v1/dealers", json={"code": "d1", "name": "two"})
    assert dup.status_code == 422 and "code" in dup.get_json()["errors"]
    other = api.post("/api/v1/dealers", json={"code": "D2", "name": "two"}).get_json()
    clash = api.patch(f"/api/v1/dealers/{other['id']}", json={"code": "D1"})
    assert clash.status_code == 422 and "code" in clash.get_json()["errors"]
    emptied = api.patch(f"/api/v1/dealers/{other['id']}", json={"name": "  "})
    assert emptied.status_code == 422 and "name" in emptied.get_json()["errors"]
    assert api.get(f"/api/v1/dealers/{other['id']}").get_json()["name"] == "two"


def test_api_roles_clerk_reads_only(api_as):
    clerk = api_as("clerk")
    assert clerk.get("/api/v1/dealers").status_code == 200
    assert clerk.post("/api/v1/dealers", json={"code": "D1", "name": "x"}).status_code == 403
    assert clerk.get("/api/v1/factories").status_code == 200
    channel = api_as("channel")
    assert channel.get("/api/v1/dealers").status_code == 200
    assert channel.post("/api/v1/dealers", json={"code": "D1", "name": "x"}).status_code == 403


def test_api_factories_routes_vendors_departments(api_as):
    api = api_as("admin")
    fac = api.post("/api/v1/factories", json={"code": "FAC", "name": "东莞工厂维修部", "email": "r@f.example"})
    assert fac.status_code == 201
    fid = fac.get_json()["id"]
    tw = api.post("/api/v1/routes", json={"code": "TW", "name": "台湾返修", "factory_id": fid, "promise_days": None})
    assert tw.status_code == 201 and tw.get_json()["promise_days"] is None
    assert tw.get_json()["dispatch_days"] == 2
    bad_route = api.post("/api/v1/routes", json={"code": "X", "name": "x", "factory_id": 999, "promise_days": 0})
    assert bad_route.status_code == 422
    assert set(bad_route.get_json()["errors"]) == {"factory_id", "promise_days"}
    no_factory = api.post("/api/v1/routes", json={"code": "X", "name": "x"})
    assert no_factory.status_code == 422 and "factory_id" in no_factory.get_json()["errors"]
    patched = api.patch(f"/api/v1/routes/{tw.get_json()['id']}", json={"promise_days": 10})
    assert patched.get_json()["promise_days"] == 10
    assert api.post("/api/v1/vendors", json={"code": "MAXELL", "name": "Maxell"}).status_code == 201
    assert api.get("/api/v1/vendors?q=max").get_json()["total"] == 1
    dept = api.post("/api/v1/departments", json={"code": "sales", "name": "销售部", "email": "bad"})
    assert dept.status_code == 422 and "email" in dept.get_json()["errors"]
    assert api.get("/api/v1/departments/12345").status_code == 404


def test_api_list_paginates(api_as, app):
    for n in range(7):
        _make_dealer(app, f"D{n:03d}")
    api = api_as("clerk")
    first = api.get("/api/v1/dealers?per_page=5").get_json()
    assert (first["total"], first["pages"], len(first["items"])) == (7, 2, 5)
    second = api.get("/api/v1/dealers?per_page=5&page=2").get_json()
    assert [d["code"] for d in second["items"]] == ["D005", "D006"]
    assert api.get("/api/v1/dealers?per_page=0").status_code == 422
    assert api.get("/api/v1/dealers?page=abc").status_code == 422


# ------------------------------------------------------------------ office scoping

def test_office_user_sees_only_its_own_office_via_api(app, api_as, make_office):
    bj, sh = make_office("BJ"), make_office("SH")
    mine = _make_dealer(app, "D1", bj)
    theirs = _make_dealer(app, "D2", sh)
    api = api_as("office", office_id=bj)
    listed = api.get("/api/v1/dealers").get_json()
    assert [d["code"] for d in listed["items"]] == ["D1"]
    assert api.get(f"/api/v1/dealers?office_id={sh}").get_json()["total"] == 0
    assert api.get(f"/api/v1/dealers/{mine}").status_code == 200
    other = api.get(f"/api/v1/dealers/{theirs}")
    assert other.status_code == 403 and other.get_json()["code"] == "forbidden"
    assert api.get(f"/api/v1/offices/{sh}").status_code == 403
    assert api.get(f"/api/v1/offices/{bj}").status_code == 200
    assert [o["code"] for o in api.get("/api/v1/offices").get_json()["items"]] == ["BJ"]
    assert api.patch(f"/api/v1/dealers/{mine}", json={"name": "x"}).status_code == 403
    assert api.get("/api/v1/factories").status_code == 403


def test_office_user_sees_only_its_own_office_via_pages(app, login, make_office):
    bj, sh = make_office("BJ"), make_office("SH")
    _make_dealer(app, "D1", bj, name="北京甲")
    theirs = _make_dealer(app, "D2", sh, name="上海乙")
    c = login("office", office_id=bj)
    page = c.get("/directory/dealers").get_data(as_text=True)
    assert "北京甲" in page and "上海乙" not in page
    assert c.get(f"/directory/dealers/{theirs}").status_code == 403
    assert c.get(f"/directory/offices/{sh}").status_code == 403
    assert c.get(f"/directory/offices/{bj}").status_code == 200
    assert c.get(f"/directory/dealers/{theirs}/edit").status_code == 403
    assert c.get("/directory/factories").status_code == 403


# ------------------------------------------------------------------ pages

def test_page_create_dealer_then_edit_shows_history(app, login, make_office):
    bj = make_office("BJ")
    c = login("service", username="sam")
    form = c.get("/directory/dealers/new")
    assert form.status_code == 200 and 'name="birthday"' in form.get_data(as_text=True)
    created = c.submit("/directory/dealers/new", {
        "code": "D0100", "name": "天津电子商行", "contact": "李娜", "phone": "022-23456789",
        "email": "li@example.com", "birthday": "1975-06-01", "region": "华北", "office_id": str(bj),
        "address": "", "channel_rep": "赵军", "active": "y",
    })
    assert created.status_code == 302
    detail_url = created.headers["Location"]
    dealer_id = int(re.search(r"/dealers/(\d+)", detail_url).group(1))
    edited = c.submit(f"/directory/dealers/{dealer_id}/edit", {
        "code": "D0100", "name": "天津电子有限公司", "contact": "李娜", "phone": "022-23456789",
        "email": "li@example.com", "birthday": "1975-06-01", "region": "华北", "office_id": str(bj),
        "address": "", "channel_rep": "赵军", "active": "y",
    })
    assert edited.status_code == 302
    page = c.get(f"/directory/dealers/{dealer_id}").get_data(as_text=True)
    assert "History of changes" in page
    # The trail says who changed what: the name, from the old value to the new one.
    history = page[page.index("History of changes"):]
    assert "sam" in history and "天津电子商行" in history and "天津电子有限公司" in history
    assert history.index("Changed") < history.index("Created")  # newest first


def test_page_bad_input_rerenders_form_with_errors_and_writes_nothing(app, login):
    c = login("service")
    resp = c.submit("/directory/dealers/new", {
        "code": "", "name": "", "email": "wrong@", "phone": "abc", "birthday": "2023-02-30", "office_id": "",
    }, form_page="/directory/dealers/new")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert html.count('class="error"') >= 5
    assert "Not a valid email address." in html and "Not a valid date." in html
    assert 'value="wrong@"' in html  # what the user typed is kept
    assert _dealer_count(app) == 0


def test_page_edit_with_bad_input_changes_nothing(app, login):
    dealer = _make_dealer(app, "D1", name="原名")
    c = login("supervisor")
    resp = c.submit(f"/directory/dealers/{dealer}/edit", {"code": "D1", "name": "新名", "email": "nope"})
    assert resp.status_code == 422
    assert "新名" in resp.get_data(as_text=True)
    from core.extensions import db

    with app.app_context():
        assert db.session.get(Dealer, dealer).name == "原名"


def test_pages_search_and_roles(app, login, make_office):
    bj = make_office("BJ")
    _make_dealer(app, "D1", bj, name="杭州存储商行")
    _make_dealer(app, "D2", bj, name="南京科技")
    clerk = login("clerk")
    page = clerk.get("/directory/dealers?q=杭州").get_data(as_text=True)
    assert "杭州存储商行" in page and "南京科技" not in page
    assert "/directory/dealers/new" not in page  # clerks read only
    assert clerk.get("/directory/dealers/new").status_code == 403
    for path in ("/directory/offices", "/directory/factories", "/directory/routes", "/directory/vendors",
                 "/directory/departments"):
        assert clerk.get(path).status_code == 200, path
    assert login("channel").get("/directory/dealers").status_code == 200


@pytest.mark.parametrize("plural, data", [
    ("offices", {"code": "GZ", "name": "广州办事处", "region": "华南", "active": "y"}),
    ("factories", {"code": "FAC", "name": "东莞工厂维修部", "email": "repair@factory.example"}),
    ("vendors", {"code": "MAXELL", "name": "Maxell", "phone": "021-12345678"}),
    ("departments", {"code": "SALES", "name": "销售部"}),
])
def test_pages_create_other_kinds(app, login, plural, data):
    c = login("admin")
    resp = c.submit(f"/directory/{plural}/new", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    detail = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert data["name"] in detail and "History of changes" in detail
    listing = c.get(f"/directory/{plural}?q={data['code']}").get_data(as_text=True)
    assert data["name"] in listing
    dup = c.submit(f"/directory/{plural}/new", data)
    assert dup.status_code == 422 and "already used" in dup.get_data(as_text=True)


def test_page_route_without_promise(app, login):
    c = login("admin")
    fac = c.submit("/directory/factories/new", {"code": "TWF", "name": "台湾返修中心"})
    fid = int(fac.headers["Location"].rsplit("/", 1)[1])
    resp = c.submit("/directory/routes/new", {"code": "TW", "name": "台湾返修", "factory_id": str(fid),
                                              "promise_days": "", "dispatch_days": "2", "active": "y"})
    assert resp.status_code == 302
    assert "no promise" in c.get(resp.headers["Location"]).get_data(as_text=True)
    bad = c.submit("/directory/routes/new", {"code": "X", "name": "x", "factory_id": "",
                                             "promise_days": "seven", "dispatch_days": ""})
    assert bad.status_code == 422
    assert bad.get_data(as_text=True).count('class="error"') >= 3


def test_code_taken_by_a_concurrent_request_is_a_422_not_a_500(app, ctx, monkeypatch):
    """The unique check passes, but another request saved the same code first: the database refuses it."""
    from core.accounts.service import create_user
    from core.directory import service
    from core.errors import ValidationFailed
    from core.extensions import db

    admin = create_user("root", "root-pass-1", ["admin"])
    db.session.add(Dealer(code="D1", name="first"))
    db.session.commit()
    other = service.create_dealer(admin, {"code": "D2", "name": "second"})
    db.session.commit()
    real = service.clean_fields

    def blind_to_duplicates(kind, data, **kw):
        values, errors = real(kind, data, **kw)
        errors.pop("code", None)
        return values, errors

    monkeypatch.setattr(service, "clean_fields", blind_to_duplicates)
    with pytest.raises(ValidationFailed) as created:
        service.create_dealer(admin, {"code": "D1", "name": "third"})
    assert "code" in created.value.errors
    with pytest.raises(ValidationFailed):
        service.update_dealer(admin, other.id, {"code": "D1"})
    db.session.rollback()
    assert sorted(db.session.scalars(db.select(Dealer.code))) == ["D1", "D2"]
