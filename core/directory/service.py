"""Directory rules: finding and keeping dealers, offices, factories, routes, vendors.

Every create/update function validates the whole input and raises one
:class:`ValidationFailed` naming every bad field, so a form can show all
problems at once and nothing is written. Services only flush.

Who may do what (checked here, so pages, API and CLI share the rules):

* service staff, supervisors and admins create and edit every record;
* clerks read everything;
* office users read only their own office and that office's dealers;
* department approvers read dealers and offices.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from core.accounts.roles import DEPARTMENT_ROLES, Role
from core.authz import require, require_office, scope_to_office
from core.calendar.service import local_today
from core.directory.brands import split_prefixes
from core.directory.models import (
    DISPATCH_DAYS,
    FACTORY_CHASE_DAYS,
    LONG_OUTSTANDING_DAYS,
    Brand,
    Dealer,
    Department,
    Factory,
    Office,
    RepairRoute,
    Vendor,
)
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.ids import MAX_ID, is_id
from core.input_limits import single_line_problem, text_problem
from core.pagination import Page, paginate
from core.queries import contains

_signals = Namespace()
# Sent with ``dealer=`` and ``actor=`` once a dealer is created (flushed) through the form or the API;
# the processes that start something for a new dealer listen, so core never imports them.
dealer_created = _signals.signal("dealer-created")

EDITOR_ROLES = (Role.SERVICE, Role.SUPERVISOR, Role.ADMIN)
STAFF_ROLES = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.ADMIN)
# Who may open the dealer and office pages at all (scoping narrows it further).
DEALER_READER_ROLES = STAFF_ROLES + (Role.OFFICE,) + tuple(sorted(DEPARTMENT_ROLES))
# Factories, routes, vendors and departments: HQ staff and department approvers.
REFERENCE_READER_ROLES = STAFF_ROLES + tuple(sorted(DEPARTMENT_ROLES))

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_.\-]*$")
EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
# Phones as people write them in China: 0769-22880000, +86 138 0013 8000, (021)12345678, ext. 8001
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]*(?:\s*(?:ext\.?|转|x)\s*[0-9]+)?$", re.IGNORECASE)
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
TRUE_WORDS = {"1", "true", "yes", "y", "on", "是", "有效", "启用"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "否", "无效", "停用"}


# ---------------------------------------------------------------- lookups by code

def _by_code(model, code: str, not_found):
    code = (code or "").strip()
    obj = db.session.scalar(select(model).where(model.code == code))
    if obj is None and code != code.upper():
        # The directory stores codes in capitals; people type them as they like.
        obj = db.session.scalar(select(model).where(model.code == code.upper()))
    if obj is None:
        # not_found: the whole sentence in the reader's language, with a %(code)s for the code.
        raise NotFound(str(not_found) % {"code": code})
    return obj


def office_by_code(code: str) -> Office:
    """The regional office with this code (NotFound otherwise)."""
    return _by_code(Office, code, _l("No regional office with code %(code)s."))


def dealer_by_code(code: str) -> Dealer:
    """The dealer with this code (NotFound otherwise)."""
    return _by_code(Dealer, code, _l("No dealer with code %(code)s."))


def factory_by_code(code: str) -> Factory:
    """The factory with this code (NotFound otherwise)."""
    return _by_code(Factory, code, _l("No factory with code %(code)s."))


def route_by_code(code: str) -> RepairRoute:
    """The repair route with this code (NotFound otherwise)."""
    return _by_code(RepairRoute, code, _l("No repair route with code %(code)s."))


def vendor_by_code(code: str) -> Vendor:
    """The vendor with this code (NotFound otherwise)."""
    return _by_code(Vendor, code, _l("No vendor with code %(code)s."))


def department_by_code(code: str) -> Department:
    """The department with this code (NotFound otherwise)."""
    return _by_code(Department, code, _l("No department with code %(code)s."))


# ---------------------------------------------------------------- field cleaners
# Each cleaner takes the raw value (a form string or an already-typed API value)
# and returns the value to store, or raises _Bad with a message for the user.

class _Bad(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _text(max_len: int, required: bool = False, upper: bool = False, lines: bool = False):
    """Trimmed text; one line without control characters unless ``lines`` (an address)."""
    problem_of = text_problem if lines else single_line_problem

    def clean(value):
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise _Bad(_l("Must be text."))
        value = value.strip()
        problem = problem_of(value)
        if problem:
            raise _Bad(problem)
        if upper:
            value = value.upper()
        if required and not value:
            raise _Bad(_l("Required."))
        if len(value) > max_len:
            raise _Bad(_l("At most %(n)s characters.", n=max_len))
        return value

    return clean


def _code(max_len: int = 20):
    text = _text(max_len, required=True, upper=True)

    def clean(value):
        value = text(value)
        if not CODE_RE.match(value):
            raise _Bad(_l("Use letters, digits, '-', '_' or '.' only."))
        return value

    return clean


def _email(value):
    value = _text(200)(value)
    if not value:
        return None
    if not EMAIL_RE.match(value):
        raise _Bad(_l("Not a valid email address."))
    return value


def _phone(value):
    value = _text(40)(value)
    if value and (not PHONE_RE.match(value) or sum(ch.isdigit() for ch in value) < 5):
        raise _Bad(_l("Not a valid phone number (digits, spaces, '-', '+', brackets)."))
    return value


def _prefixes(value):
    """A brand's model prefixes, stored as one comma-separated line of distinct upper-case keys."""
    value = ", ".join(split_prefixes(_text(200, lines=True)(value)))
    if len(value) > 200:
        raise _Bad(_l("At most %(n)s characters.", n=200))
    return value


def parse_day(value) -> date | None:
    """A real calendar date from a date or text like 2026-02-28, 2026/2/28 or 2026年2月28日."""
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _Bad(_l("Not a date."))
    value = value.strip()
    if not value:
        return None
    match = DATE_RE.match(value) or (re.match(r"^(\d{4})(\d{2})(\d{2})$", value))
    if not match:
        raise _Bad(_l("Write the date as YYYY-MM-DD."))
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise _Bad(_l("%(value)s is not a real date.", value=value)) from None


def _birthday(value):
    day = parse_day(value)
    if day is not None and (day.year < 1900 or day > local_today()):
        raise _Bad(_l("A birthday must be between 1900 and today."))
    return day


def parse_bool(value) -> bool:
    """True/false from a checkbox, JSON or a spreadsheet cell (是/否, yes/no, 1/0)."""
    if isinstance(value, bool):
        return value
    if value is None:
        raise _Bad(_l("Must be yes or no."))
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _Bad(_l("Must be yes or no."))


def _int(low: int, high: int, optional: bool = False):
    def clean(value):
        if value is None or (isinstance(value, str) and not value.strip()):
            if optional:
                return None
            raise _Bad(_l("Required."))
        if isinstance(value, bool):
            raise _Bad(_l("Must be a whole number."))
        try:
            number = int(value.strip()) if isinstance(value, str) else int(value)
        except (TypeError, ValueError):
            raise _Bad(_l("Must be a whole number.")) from None
        if isinstance(value, float) and value != number:
            raise _Bad(_l("Must be a whole number."))
        if not low <= number <= high:
            raise _Bad(_l("Must be between %(low)s and %(high)s.", low=low, high=high))
        return number

    return clean


def _ref(model, message):
    """An id of an existing row (or None if empty)."""
    as_int = _int(1, MAX_ID, optional=True)

    def clean(value):
        ident = as_int(value)
        if ident is not None and db.session.get(model, ident) is None:
            raise _Bad(message)
        return ident

    return clean


def _required_ref(model, message):
    inner = _ref(model, message)

    def clean(value):
        ident = inner(value)
        if ident is None:
            raise _Bad(_l("Required."))
        return ident

    return clean


@dataclass(frozen=True)
class _Kind:
    model: type
    what: str
    fields: dict[str, Callable]
    required: tuple[str, ...]
    defaults: dict


KINDS = {
    "office": _Kind(Office, "regional office", {
        "code": _code(), "name": _text(120, required=True), "region": _text(60), "contact": _text(120),
        "phone": _phone, "email": _email, "active": parse_bool,
    }, ("code", "name"), {"active": True}),
    "dealer": _Kind(Dealer, "dealer", {
        "code": _code(), "name": _text(200, required=True), "contact": _text(120), "phone": _phone,
        "email": _email, "birthday": _birthday, "region": _text(60), "address": _text(500, lines=True),
        "office_id": _ref(Office, _l("No such regional office.")), "channel_rep": _text(120),
        "active": parse_bool,
    }, ("code", "name"), {"active": True}),
    "factory": _Kind(Factory, "factory", {
        "code": _code(), "name": _text(120, required=True), "contact": _text(120), "email": _email,
        "phone": _phone, "address": _text(500, lines=True),
    }, ("code", "name"), {}),
    "route": _Kind(RepairRoute, "repair route", {
        "code": _code(), "name": _text(120, required=True),
        "factory_id": _required_ref(Factory, _l("No such factory.")),
        "promise_days": _int(1, 60, optional=True), "dispatch_days": _int(0, 30),
        "factory_chase_days": _int(1, 90, optional=True), "chase_after_days": _int(1, 365, optional=True), "active": parse_bool,
    }, ("code", "name", "factory_id"), {"active": True, "dispatch_days": DISPATCH_DAYS,
                                        "factory_chase_days": FACTORY_CHASE_DAYS,
                                        "chase_after_days": LONG_OUTSTANDING_DAYS}),
    "vendor": _Kind(Vendor, "vendor", {
        "code": _code(), "name": _text(120, required=True), "contact": _text(120), "email": _email,
        "phone": _phone,
    }, ("code", "name"), {}),
    "department": _Kind(Department, "department", {
        "code": _code(), "name": _text(120, required=True), "email": _email,
    }, ("code", "name"), {}),
    "brand": _Kind(Brand, "brand", {
        "code": _code(), "name": _text(120, required=True), "model_prefixes": _prefixes, "active": parse_bool,
    }, ("code", "name"), {"active": True}),
}


def clean_fields(kind: str, data: dict, *, existing=None, creating: bool) -> tuple[dict, dict]:
    """Check ``data`` for a record of ``kind``: (clean values, errors by field).

    Nothing is raised and nothing written, so callers (the CSV import) can
    collect the errors of many records before deciding.
    """
    spec = KINDS[kind]
    values: dict = {}
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in spec.fields:
            errors.setdefault(key, []).append(str(_l("Unknown field.")))
    wanted = spec.fields.keys() if creating else [k for k in spec.fields if k in data]
    for key in wanted:
        if key not in data:
            if key in spec.required:
                errors.setdefault(key, []).append(str(_l("Required.")))
            continue
        try:
            values[key] = spec.fields[key](data[key])
        except _Bad as bad:
            errors.setdefault(key, []).append(str(bad.message))
    if "code" in values and "code" not in errors:
        clash = db.session.scalar(select(spec.model.id).where(spec.model.code == values["code"]))
        if clash is not None and (existing is None or clash != existing.id):
            errors.setdefault("code", []).append(str(_l("The code %(code)s is already used.", code=values["code"])))
    return values, errors


def _fail(errors: dict) -> None:
    if errors:
        fields = ", ".join(sorted(errors))
        raise ValidationFailed(str(_l("Please correct: %(fields)s.", fields=fields)), errors=errors)


def _create(kind: str, data: dict):
    spec = KINDS[kind]
    values, errors = clean_fields(kind, data, creating=True)
    _fail(errors)
    for key, default in spec.defaults.items():
        if values.get(key) is None:
            values[key] = default
    obj = spec.model(**values)
    _flush_unique(values.get("code"), lambda: db.session.add(obj))
    return obj


def _update(kind: str, obj, data: dict):
    values, errors = clean_fields(kind, data, existing=obj, creating=False)
    for key in KINDS[kind].required:
        if key in values and values[key] in (None, ""):
            errors.setdefault(key, []).append(str(_l("Required.")))
    _fail(errors)
    def apply():
        for key, value in values.items():
            if value is None and key in KINDS[kind].defaults:
                value = KINDS[kind].defaults[key]
            setattr(obj, key, value)

    _flush_unique(values.get("code", obj.code), apply)
    return obj


def _flush_unique(code: str | None, change: Callable[[], None]) -> None:
    """Make ``change`` and flush it in a savepoint, so a code taken by a concurrent
    request at the same moment is a clear 422 rather than a 500."""
    try:
        with db.session.begin_nested():
            change()
    except IntegrityError:
        message = str(_l("The code %(code)s is already used.", code=code))
        raise ValidationFailed(message, errors={"code": [message]}) from None


# ---------------------------------------------------------------- access

def _office_limit(actor) -> None:
    """Refuse actors who may not read dealers and offices at all."""
    require(actor, *DEALER_READER_ROLES)


def _scoped(stmt, actor, office_column):
    # Department approvers see no office stock, but they do read the dealer directory.
    _office_limit(actor)
    return scope_to_office(stmt, actor, office_column, approvers_see_all=True)


def _check_record_office(actor, office_id) -> None:
    _office_limit(actor)
    require_office(actor, office_id, approvers_see_all=True)


def can_edit(actor) -> bool:
    """Whether ``actor`` may create and edit directory records."""
    return actor is not None and actor.has_role(*EDITOR_ROLES)


def _search(stmt, model, q: str, columns):
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(*[contains(getattr(model, c), q, ignore_case=True) for c in columns]))
    return stmt


# ---------------------------------------------------------------- dealers

def search_dealers(actor, q: str = "", *, office_id: int | None = None, active: bool | None = None,
                   page: int = 1, per_page: int = 50) -> Page:
    """Dealers matching ``q`` (code, name, contact, phone, email, region, rep), scoped to the actor."""
    stmt = _scoped(select(Dealer), actor, Dealer.office_id)
    if office_id is not None:
        stmt = stmt.where(Dealer.office_id == office_id)
    if active is not None:
        stmt = stmt.where(Dealer.active.is_(active))
    stmt = _search(stmt, Dealer, q, ("code", "name", "contact", "phone", "email", "region", "channel_rep"))
    return paginate(stmt.order_by(Dealer.code), page, per_page)


def get_dealer(actor, dealer_id: int) -> Dealer:
    """One dealer; 404 if missing, 403 if it belongs to another office."""
    _office_limit(actor)
    dealer = db.session.get(Dealer, dealer_id)
    if dealer is None:
        raise NotFound(str(_l("No such dealer.")))
    _check_record_office(actor, dealer.office_id)
    return dealer


def create_dealer(actor, data: dict) -> Dealer:
    """Create a dealer from ``data`` (field -> value); all errors at once.

    Announces the new dealer on :data:`dealer_created` (dealer care opens the welcome call);
    dealers loaded by the bulk import are the existing book and are not announced.
    """
    require(actor, *EDITOR_ROLES)
    dealer = _create("dealer", data)
    dealer_created.send(current_app._get_current_object(), dealer=dealer, actor=actor)
    return dealer


def update_dealer(actor, dealer_id: int, data: dict) -> Dealer:
    """Change the given fields of a dealer."""
    require(actor, *EDITOR_ROLES)
    return _update("dealer", get_dealer(actor, dealer_id), data)


# ---------------------------------------------------------------- offices

def list_offices(actor) -> list[Office]:
    """Every office the actor may see, by code (for drop-downs)."""
    stmt = _scoped(select(Office).order_by(Office.code), actor, Office.id)
    return list(db.session.scalars(stmt))


def search_offices(actor, q: str = "", *, page: int = 1, per_page: int = 50) -> Page:
    """Offices matching ``q``; an office user finds only its own."""
    stmt = _scoped(select(Office), actor, Office.id)
    stmt = _search(stmt, Office, q, ("code", "name", "region", "contact", "phone"))
    return paginate(stmt.order_by(Office.code), page, per_page)


def get_office(actor, office_id: int) -> Office:
    """One office; 403 for an office user asking for another office."""
    _office_limit(actor)
    office = db.session.get(Office, office_id)
    if office is None:
        raise NotFound(str(_l("No such regional office.")))
    _check_record_office(actor, office.id)
    return office


def create_office(actor, data: dict) -> Office:
    """Create a regional office from ``data``; all errors at once."""
    require(actor, *EDITOR_ROLES)
    return _create("office", data)


def update_office(actor, office_id: int, data: dict) -> Office:
    """Change the given fields of a regional office."""
    require(actor, *EDITOR_ROLES)
    return _update("office", get_office(actor, office_id), data)


# ---------------------------------------------------------------- reference lists

_REFERENCE = {
    "factory": (Factory, ("code", "name", "contact", "phone", "email"), _l("No such factory.")),
    "route": (RepairRoute, ("code", "name"), _l("No such repair route.")),
    "vendor": (Vendor, ("code", "name", "contact", "phone", "email"), _l("No such vendor.")),
    "department": (Department, ("code", "name", "email"), _l("No such department.")),
    "brand": (Brand, ("code", "name"), _l("No such brand.")),
}


def search_records(actor, kind: str, q: str = "", *, page: int = 1, per_page: int = 50) -> Page:
    """Factories, routes, vendors or departments matching ``q`` (HQ staff and departments)."""
    require(actor, *REFERENCE_READER_ROLES)
    model, columns, _missing = _REFERENCE[kind]
    stmt = _search(select(model), model, q, columns)
    return paginate(stmt.order_by(model.code), page, per_page)


def get_record(actor, kind: str, record_id: int):
    """One factory, route, vendor or department."""
    require(actor, *REFERENCE_READER_ROLES)
    model, _columns, missing = _REFERENCE[kind]
    obj = db.session.get(model, record_id)
    if obj is None:
        raise NotFound(str(missing))
    return obj


def create_record(actor, kind: str, data: dict):
    """Create a factory, route, vendor or department."""
    require(actor, *EDITOR_ROLES)
    return _create(kind, data)


def update_record(actor, kind: str, record_id: int, data: dict):
    """Change the given fields of a factory, route, vendor or department."""
    require(actor, *EDITOR_ROLES)
    return _update(kind, get_record(actor, kind, record_id), data)


def brand_or_422(brand_id: int | None) -> Brand | None:
    """The brand ``brand_id`` (None for none), or a 422 on ``brand_id`` (any process that records a brand)."""
    if brand_id is None:
        return None
    brand = db.session.get(Brand, brand_id) if is_id(brand_id) else None
    if brand is None:
        raise ValidationFailed(_("No such brand."), errors={"brand_id": [_("No such brand.")]})
    return brand


def list_brands(actor, *, active_only: bool = True) -> list[Brand]:
    """The brands, for drop-downs (only the active ones unless asked)."""
    require(actor, *REFERENCE_READER_ROLES)
    stmt = select(Brand).order_by(Brand.code)
    if active_only:
        stmt = stmt.where(Brand.active.is_(True))
    return list(db.session.scalars(stmt))


def list_factories(actor) -> list[Factory]:
    """Every factory, for drop-downs."""
    require(actor, *REFERENCE_READER_ROLES)
    return list(db.session.scalars(select(Factory).order_by(Factory.code)))
