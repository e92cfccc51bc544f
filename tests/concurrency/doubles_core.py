"""Double-request scenarios for core: accounts, tokens, users, calendar, directory; and exemptions."""
from __future__ import annotations

from datetime import date

from tests.concurrency.doubles import NATURAL_KEY, Case, audit_updates, count, exempt, scenario

exempt("Signing in makes a session cookie only (no row); two sign-ins at once are two sessions, by design.",
       "accounts.login")
exempt("Signing out ends the caller's own session; a second sign-out of an ended session changes nothing.",
       "accounts.logout")
exempt("Switching the language stores it in the session cookie only; no row is written.",
       "accounts.set_language")
exempt("Label rendering: the POST carries the label settings and answers a PDF or ZPL file; nothing is written.",
       "labels_api.BatchLabels", "labels.batch")


def _users(name):
    from core.accounts.models import User

    return count(User, User.username == name)


def _tokens(name):
    from core.accounts.models import ApiToken

    return count(ApiToken, ApiToken.name == name)


# --- accounts --------------------------------------------------------------------------


@scenario("accounts_api.Tokens")
def api_token(env, _):
    return Case("POST", "/api/v1/tokens", env.user("clerk"), _tokens("scanner 7"), json={"name": "scanner 7"},
                idempotency_key=True, note="one Idempotency-Key makes one token; the retry is 409 (shown once)")


@scenario("accounts.tokens")
def page_token(env, _):
    return Case("POST", "/account/tokens", env.user("clerk"), _tokens("scanner 7"), api=False,
                form={"name": "scanner 7"}, idempotency_key=True, form_page="/account/tokens")


def _token_of(env, username):
    from core.accounts.service import create_token, get_user

    token, _ = create_token(get_user(username), "to revoke")
    return token


def _revoked(token_id):
    from core.accounts.models import ApiToken

    return count(ApiToken, ApiToken.id == token_id, ApiToken.revoked_at.is_not(None))


@scenario("accounts_api.TokenItem", "DELETE")
def api_revoke(env, _):
    who = env.user("clerk")
    token = _token_of(env, who)
    return Case("DELETE", f"/api/v1/tokens/{token.id}", who, audit_updates("api_token", token.id),
                refusals=(404, 409))


@scenario("accounts.revoke_token")
def page_revoke(env, _):
    who = env.user("clerk")
    token = _token_of(env, who)
    return Case("POST", f"/account/tokens/{token.id}/revoke", who, audit_updates("api_token", token.id), api=False)


@scenario("users_api.Users")
def api_new_user(env, _):
    return Case("POST", "/api/v1/users", env.user("admin"), _users("dbl-newbie"), refusals=NATURAL_KEY,
                json={"username": "dbl-newbie", "password": "a-long-password-1", "roles": ["clerk"]})


@scenario("accounts_admin.new_user")
def page_new_user(env, _):
    return Case("POST", "/admin/users/new", env.user("admin"), _users("dbl-newbie"), api=False, refusals=NATURAL_KEY,
                form={"username": "dbl-newbie", "password": "a-long-password-1", "roles": "clerk"})


@scenario("users_api.UserItem", "PATCH")
def api_edit_user(env, _):
    from core.accounts.service import get_user

    target = get_user(env.user("clerk", name="dbl-target"))
    return Case("PATCH", f"/api/v1/users/{target.id}", env.user("admin"), _users("dbl-target"), delta=0,
                same_result=True, json={"display_name": "Target", "roles": ["clerk", "service"]})


@scenario("accounts_admin.edit_user")
def page_edit_user(env, _):
    from core.accounts.service import get_user

    target = get_user(env.user("clerk", name="dbl-target"))
    return Case("POST", f"/admin/users/{target.id}", env.user("admin"), _users("dbl-target"), delta=0, api=False,
                form={"display_name": "Target", "roles": "clerk", "active": "on"})


@scenario("users_api.UserPassword")
def api_password(env, _):
    from core.accounts.service import get_user

    target = get_user(env.user("clerk", name="dbl-target"))
    return Case("POST", f"/api/v1/users/{target.id}/password", env.user("admin"), _users("dbl-target"), delta=0,
                same_result=True, json={"password": "another-password-2"},
                note="setting the same password twice leaves one password")


@scenario("accounts_admin.reset_password")
def page_password(env, _):
    from core.accounts.service import get_user

    target = get_user(env.user("clerk", name="dbl-target"))
    return Case("POST", f"/admin/users/{target.id}/password", env.user("admin"), _users("dbl-target"), delta=0,
                api=False, form={"password": "another-password-2"})


# --- calendar --------------------------------------------------------------------------

DAY = date(2026, 12, 28)


def _closures():
    from core.calendar.models import Closure

    return count(Closure)


@scenario("calendar_api.Closures")
def api_closure(env, _):
    return Case("POST", "/api/v1/calendar/closures", env.user("admin"), _closures(),
                json={"day": DAY.isoformat(), "reason": "stocktake"}, note="one closure per day",
                refusals=NATURAL_KEY)


@scenario("calendar.add_closure")
def page_closure(env, _):
    return Case("POST", "/calendar/closures", env.user("admin"), _closures(), api=False, refusals=NATURAL_KEY,
                form={"day": DAY.isoformat(), "reason": "stocktake"})


def _closure():
    from core.calendar import service as cal
    from core.extensions import db

    closure = cal.add_closure(DAY, "stocktake")
    db.session.flush()
    return closure


@scenario("calendar_api.ClosureItem", "PATCH")
def api_closure_edit(env, _):
    closure = _closure()
    return Case("PATCH", f"/api/v1/calendar/closures/{closure.id}", env.user("admin"), _closures(), delta=0,
                same_result=True, json={"reason": "inventory"})


@scenario("calendar_api.ClosureItem", "DELETE")
def api_closure_delete(env, _):
    closure = _closure()
    return Case("DELETE", f"/api/v1/calendar/closures/{closure.id}", env.user("admin"), _closures(), delta=-1,
                refusals=(404, 409))


@scenario("calendar.remove_closure")
def page_closure_delete(env, _):
    closure = _closure()
    return Case("POST", f"/calendar/closures/{closure.id}/delete", env.user("admin"), _closures(), delta=-1,
                api=False, refusals=(404, 409))


# --- directory -------------------------------------------------------------------------


def _factory():
    from core.directory.models import Factory
    from core.extensions import db

    factory = Factory(code="DBLF1", name="Factory one")
    db.session.add(factory)
    db.session.flush()
    return factory.id


KINDS = {
    # kind -> (model import path, API collection path, page path, JSON body for a new record)
    "dealer": ("Dealer", "/api/v1/dealers", "/directory/dealers", {"code": "DBLNEW1", "name": "New dealer"}),
    "office": ("Office", "/api/v1/offices", "/directory/offices", {"code": "DBLNEW1", "name": "New office"}),
    "factory": ("Factory", "/api/v1/factories", "/directory/factories", {"code": "DBLNEW1", "name": "New factory"}),
    "route": ("RepairRoute", "/api/v1/routes", "/directory/routes",
              {"code": "DBLNEW1", "name": "New route", "dispatch_days": 2}),
    "vendor": ("Vendor", "/api/v1/vendors", "/directory/vendors", {"code": "DBLNEW1", "name": "New vendor"}),
    "department": ("Department", "/api/v1/departments", "/directory/departments",
                   {"code": "DBLNEW1", "name": "New department"}),
    "brand": ("Brand", "/api/v1/brands", "/directory/brands", {"code": "DBLNEW1", "name": "New brand"}),
}
API_COLLECTIONS = {"dealer": "directory_api.Dealers", "office": "directory_api.Offices",
                   "factory": "directory_api.factory_collection", "route": "directory_api.route_collection",
                   "vendor": "directory_api.vendor_collection", "department": "directory_api.department_collection",
                   "brand": "directory_api.brand_collection"}
API_ITEMS = {"dealer": "directory_api.DealerItem", "office": "directory_api.OfficeItem",
             "factory": "directory_api.factory_item", "route": "directory_api.route_item",
             "vendor": "directory_api.vendor_item", "department": "directory_api.department_item",
             "brand": "directory_api.brand_item"}


def _model(kind):
    from core.directory import models

    return getattr(models, KINDS[kind][0])


def _body(kind):
    body = dict(KINDS[kind][3])
    if kind == "route":
        body["factory_id"] = _factory()
    return body


def _new_case(env, kind, api: bool):
    model = _model(kind)
    body = _body(kind)
    probe = count(model, model.code == "DBLNEW1")
    if api:
        return Case("POST", KINDS[kind][1], env.user("admin"), probe, json=body, refusals=NATURAL_KEY,
                    note="the code is the natural key: the second is told it is already used")
    form = {k: str(v) for k, v in body.items()}
    return Case("POST", f"{KINDS[kind][2]}/new", env.user("admin"), probe, api=False, form=form,
                refusals=NATURAL_KEY)


def _record(env, kind) -> int:
    from core.extensions import db

    model = _model(kind)
    body = _body(kind)
    body["code"] = "DBLOLD1"
    row = model(**body)
    db.session.add(row)
    db.session.flush()
    return row.id


def _edit_case(env, kind, api: bool):
    model = _model(kind)
    rid = _record(env, kind)
    probe = count(model)
    if api:
        return Case("PATCH", f"{KINDS[kind][1]}/{rid}", env.user("admin"), probe, delta=0, same_result=True,
                    json={"name": "Renamed"})
    form = {k: str(v) for k, v in KINDS[kind][3].items()}
    form.update({"code": "DBLOLD1", "name": "Renamed"})
    if kind == "route":
        form["factory_id"] = str(db_factory_id())
    return Case("POST", f"{KINDS[kind][2]}/{rid}/edit", env.user("admin"), probe, delta=0, api=False, form=form)


def db_factory_id():
    from sqlalchemy import select

    from core.directory.models import Factory
    from core.extensions import db

    return db.session.scalar(select(Factory.id).order_by(Factory.id).limit(1))


def _register_kind(kind):
    @scenario(API_COLLECTIONS[kind])
    def api_new(env, _):
        return _new_case(env, kind, True)

    @scenario(f"directory.{kind}_new")
    def page_new(env, _):
        return _new_case(env, kind, False)

    @scenario(API_ITEMS[kind], "PATCH")
    def api_edit(env, _):
        return _edit_case(env, kind, True)

    @scenario(f"directory.{kind}_edit")
    def page_edit(env, _):
        return _edit_case(env, kind, False)


for _kind in KINDS:
    _register_kind(_kind)


DEALERS_CSV = "code,name\nDBLIMP1,Imported dealer\n".encode()


def _imported():
    from core.directory.models import Dealer

    return count(Dealer, Dealer.code == "DBLIMP1")


@scenario("directory_api.DealerImport")
def api_import(env, _):
    return Case("POST", "/api/v1/dealers/import", env.user("admin"), _imported(), same_result=True,
                files={"file": ("dealers.csv", DEALERS_CSV, "text/csv")},
                note="an upsert by dealer code: importing the same file twice makes the dealer once")


@scenario("directory.dealer_import")
def page_import(env, _):
    return Case("POST", "/directory/dealers/import", env.user("admin"), _imported(), api=False,
                files={"file": ("dealers.csv", DEALERS_CSV, "text/csv")})
