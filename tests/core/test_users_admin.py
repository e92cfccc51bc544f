"""Admins manage users through pages and the API; nobody else may."""
import re


def test_admin_creates_user_on_page_and_the_user_signs_in(app, login, make_office):
    bj = make_office("BJ")
    admin = login("admin", username="root")
    assert "New user" in admin.get("/admin/users").get_data(as_text=True)
    resp = admin.submit("/admin/users/new", {"username": "lily", "password": "lily-secret-1",
                                             "display_name": "Lily", "roles": ["office"], "office_id": str(bj)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    listing = admin.get("/admin/users?q=lil").get_data(as_text=True)
    table = listing[listing.index('id="users"'):]
    assert ">lily<" in table and ">root<" not in table
    assert app.test_client().login("lily", "lily-secret-1").status_code == 302


def test_page_create_with_bad_input_shows_errors_and_writes_nothing(app, login):
    admin = login("admin", username="root")
    resp = admin.submit("/admin/users/new", {"username": "kim", "password": "short", "roles": ["clerk"]})
    assert resp.status_code == 422 and "at least 8 characters" in resp.get_data(as_text=True)
    resp = admin.submit("/admin/users/new", {"username": "kim", "password": "kim-secret-1", "roles": ["office"]})
    assert resp.status_code == 422 and "must be bound to a regional office" in resp.get_data(as_text=True)
    resp = admin.submit("/admin/users/new", {"username": "root", "password": "kim-secret-1", "roles": ["clerk"]})
    assert resp.status_code == 409 and "is taken" in resp.get_data(as_text=True)
    assert "kim" not in admin.get("/admin/users").get_data(as_text=True)


def test_admin_edits_roles_deactivates_and_resets_password(app, login, make_user):
    make_user("ben", "clerk")
    admin = login("admin", username="root")
    page = admin.get("/admin/users?q=ben").get_data(as_text=True)
    user_id = int(re.search(r"/admin/users/(\d+)\">ben<", page).group(1))
    edit = f"/admin/users/{user_id}"
    resp = admin.submit(edit, {"display_name": "Ben Li", "email": "ben@example.com", "roles": ["clerk", "service"],
                               "active": "y"})
    assert resp.status_code == 302
    html = admin.get(edit).get_data(as_text=True)
    assert 'value="service" checked' in html and "Ben Li" in html
    assert "History of changes" in html and "root" in html[html.index("History of changes"):]
    bad = admin.submit(edit, {"display_name": "x", "email": "not-mail", "roles": [], "active": "y"})
    assert bad.status_code == 422 and "Not a valid email address." in bad.get_data(as_text=True)

    reset = admin.submit(f"/admin/users/{user_id}/password", {"password": "new-secret-9"}, form_page=edit)
    assert reset.status_code == 302
    assert app.test_client().login("ben", "ben-pass").status_code == 401
    assert app.test_client().login("ben", "new-secret-9").status_code == 302

    off = admin.submit(edit, {"display_name": "Ben Li", "roles": ["clerk"]})  # "active" unticked
    assert off.status_code == 302
    assert app.test_client().login("ben", "new-secret-9").status_code == 401


def test_admin_cannot_lock_themselves_out(app, api_as):
    api = api_as("admin", username="root")
    me = api.get("/api/v1/me").get_json()["id"]
    demote = api.patch(f"/api/v1/users/{me}", json={"roles": ["clerk"]})
    assert demote.status_code == 422 and "roles" in demote.get_json()["errors"]
    off = api.patch(f"/api/v1/users/{me}", json={"active": False})
    assert off.status_code == 422 and "active" in off.get_json()["errors"]


def test_users_api_crud(app, api_as, make_office):
    bj = make_office("BJ")
    api = api_as("admin")
    created = api.post("/api/v1/users", json={"username": "ola", "password": "ola-secret-1", "roles": ["office"],
                                              "office_id": bj, "email": "ola@example.com"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["roles"] == ["office"] and body["office_id"] == bj and "password" not in body
    uid = body["id"]
    assert api.get("/api/v1/users?q=ola").get_json()["total"] == 1
    moved = api.patch(f"/api/v1/users/{uid}", json={"roles": ["service"]})
    assert moved.status_code == 200 and moved.get_json()["office_id"] is None
    assert api.patch(f"/api/v1/users/{uid}", json={"roles": ["wizard"]}).status_code == 422
    assert api.patch(f"/api/v1/users/{uid}", json={"office_id": 999}).status_code == 422
    assert api.patch(f"/api/v1/users/{uid}", json={"shoe": 42}).status_code == 422
    weak = api.post(f"/api/v1/users/{uid}/password", json={"password": "x"})
    assert weak.status_code == 422 and "password" in weak.get_json()["errors"]
    assert api.post(f"/api/v1/users/{uid}/password", json={"password": "ola-secret-2"}).status_code == 200
    assert api.post("/api/v1/users", json={"username": "ola", "password": "ola-secret-1",
                                           "roles": ["clerk"]}).status_code == 409
    assert api.get("/api/v1/users/9999").status_code == 404


def test_non_admins_get_403(login, api_as):
    for role in ("supervisor", "service", "clerk"):
        assert login(role).get("/admin/users").status_code == 403
        api = api_as(role)
        assert api.get("/api/v1/users").status_code == 403
        assert api.post("/api/v1/users", json={"username": "x", "password": "xxxxxxxxx",
                                               "roles": ["admin"]}).status_code == 403
    assert "/admin/users" not in login("supervisor", username="sv2").get("/").get_data(as_text=True)
