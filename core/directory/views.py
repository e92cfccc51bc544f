"""Directory pages: list/search, detail with history, create and edit for each kind.

One set of templates serves every kind; the kinds differ only in their columns
and form fields, declared below. The rules (roles, office scoping,
validation) are in :mod:`core.directory.service`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.accounts.auth import actor, roles_required
from core.audit.service import trail
from core.directory import schemas as s
from core.directory import service
from core.directory.dealer_import import COLUMNS as IMPORT_COLUMNS
from core.directory.dealer_import import import_dealers
from core.directory.models import DISPATCH_DAYS
from core.directory.service import DEALER_READER_ROLES, EDITOR_ROLES, REFERENCE_READER_ROLES
from core.errors import Conflict, ValidationFailed
from core.forms import flash_refusal, read_form, ticked
from core.nav import register_nav
from core.pagination import page_number

bp = Blueprint("directory", __name__, template_folder="templates", url_prefix="/directory")


@dataclass(frozen=True)
class FormField:
    name: str
    label: object
    type: str = "text"  # text, email, tel, date, number, textarea, checkbox, office, factory
    required: bool = False
    hint: object = ""


@dataclass(frozen=True)
class PageKind:
    kind: str
    plural: str
    title: object
    one: object
    columns: tuple
    fields: tuple
    read_roles: tuple
    table: str
    extra: dict = field(default_factory=dict, hash=False, compare=False)


_CODE = FormField("code", _l("Code"), required=True, hint=_l("Letters and digits; stored in capitals."))
_EMAIL = FormField("email", _l("Email"), "email")
_PHONE = FormField("phone", _l("Phone"), "tel")
_CONTACT = FormField("contact", _l("Contact person"))

KINDS = {
    "dealer": PageKind(
        "dealer", "dealers", _l("Dealers"), _l("Dealer"),
        (("code", _l("Code")), ("name", _l("Name")), ("contact", _l("Contact")), ("phone", _l("Phone")),
         ("region", _l("Region")), ("office.name", _l("Office")), ("channel_rep", _l("Channel rep")),
         ("active", _l("Active"))),
        (_CODE, FormField("name", _l("Name"), required=True), _CONTACT, _PHONE, _EMAIL,
         FormField("birthday", _l("Birthday"), "date"), FormField("region", _l("Region")),
         FormField("address", _l("Address"), "textarea"), FormField("office_id", _l("Regional office"), "office"),
         FormField("channel_rep", _l("Channel rep")), FormField("active", _l("Active"), "checkbox")),
        DEALER_READER_ROLES, "dealer"),
    "office": PageKind(
        "office", "offices", _l("Regional offices"), _l("Regional office"),
        (("code", _l("Code")), ("name", _l("Name")), ("region", _l("Region")), ("contact", _l("Contact")),
         ("phone", _l("Phone")), ("active", _l("Active"))),
        (_CODE, FormField("name", _l("Name"), required=True), FormField("region", _l("Region")), _CONTACT,
         _PHONE, _EMAIL, FormField("active", _l("Active"), "checkbox")),
        DEALER_READER_ROLES, "office"),
    "factory": PageKind(
        "factory", "factories", _l("Factories"), _l("Factory"),
        (("code", _l("Code")), ("name", _l("Name")), ("contact", _l("Contact")), ("phone", _l("Phone")),
         ("email", _l("Email"))),
        (_CODE, FormField("name", _l("Name"), required=True), _CONTACT, _EMAIL, _PHONE,
         FormField("address", _l("Address"), "textarea")),
        REFERENCE_READER_ROLES, "factory"),
    "route": PageKind(
        "route", "routes", _l("Repair routes"), _l("Repair route"),
        (("code", _l("Code")), ("name", _l("Name")), ("factory.name", _l("Factory")),
         ("promise_days", _l("Promise (working days)")), ("dispatch_days", _l("Dispatch within (working days)")),
         ("factory_chase_days", _l("Chase the factory after (days)")),
         ("chase_after_days", _l("No promise: chase after (days at the repairer)")), ("active", _l("Active"))),
        (_CODE, FormField("name", _l("Name"), required=True), FormField("factory_id", _l("Factory"), "factory", True),
         FormField("promise_days", _l("Promise (working days)"), "number",
                   hint=_l("Leave empty for a route without a promise (Taiwan repair).")),
         FormField("dispatch_days", _l("Dispatch within (working days)"), "number", True),
         FormField("factory_chase_days", _l("Chase the factory after (days)"), "number",
                   hint=_l("Calendar days a unit may stay at the factory before the factory is e-mailed.")),
         FormField("chase_after_days", _l("No promise: chase after (days at the repairer)"), "number",
                   hint=_l("On a route without a promise, a unit away this many days is long outstanding.")),
         FormField("active", _l("Active"), "checkbox")),
        REFERENCE_READER_ROLES, "repair_route"),
    "vendor": PageKind(
        "vendor", "vendors", _l("Vendors"), _l("Vendor"),
        (("code", _l("Code")), ("name", _l("Name")), ("contact", _l("Contact")), ("phone", _l("Phone")),
         ("email", _l("Email"))),
        (_CODE, FormField("name", _l("Name"), required=True), _CONTACT, _EMAIL, _PHONE),
        REFERENCE_READER_ROLES, "vendor"),
    "department": PageKind(
        "department", "departments", _l("Departments"), _l("Department"),
        (("code", _l("Code")), ("name", _l("Name")), ("email", _l("Email"))),
        (_CODE, FormField("name", _l("Name"), required=True), _EMAIL),
        REFERENCE_READER_ROLES, "department"),
    "brand": PageKind(
        "brand", "brands", _l("Brands"), _l("Brand"),
        (("code", _l("Code")), ("name", _l("Name")), ("model_prefixes", _l("Model prefixes")),
         ("active", _l("Active"))),
        (_CODE, FormField("name", _l("Name"), required=True),
         FormField("model_prefixes", _l("Model prefixes"),
                   hint=_l("How this brand's model names start, comma-separated (MX, MAXELL). A unit whose "
                           "model is not in the catalogue with a brand gets the brand of the longest prefix.")),
         FormField("active", _l("Active"), "checkbox")),
        REFERENCE_READER_ROLES, "brand"),
}
TAB_ORDER = ("dealer", "office", "factory", "route", "vendor", "department", "brand")

# The API's input schemas of each kind (create, update): a page reads its form through them.
ARGS = {
    "dealer": (s.DealerCreateArgs, s.DealerUpdateArgs),
    "office": (s.OfficeCreateArgs, s.OfficeUpdateArgs),
    "factory": (s.FactoryCreateArgs, s.FactoryUpdateArgs),
    "route": (s.RouteCreateArgs, s.RouteUpdateArgs),
    "vendor": (s.VendorCreateArgs, s.VendorUpdateArgs),
    "department": (s.DepartmentCreateArgs, s.DepartmentUpdateArgs),
    "brand": (s.BrandCreateArgs, s.BrandUpdateArgs),
}
# Every kind's form is read through its API schema; a kind without one would answer 500.
assert ARGS.keys() == KINDS.keys(), sorted(ARGS.keys() ^ KINDS.keys())


# ------------------------------------------------------------------ service dispatch

def _search(k: PageKind, q: str, page: int, office_id=None):
    if k.kind == "dealer":
        return service.search_dealers(actor(), q, office_id=office_id, page=page, per_page=50)
    if k.kind == "office":
        return service.search_offices(actor(), q, page=page, per_page=50)
    return service.search_records(actor(), k.kind, q, page=page, per_page=50)


def _get(k: PageKind, record_id: int):
    if k.kind == "dealer":
        return service.get_dealer(actor(), record_id)
    if k.kind == "office":
        return service.get_office(actor(), record_id)
    return service.get_record(actor(), k.kind, record_id)


def _create(k: PageKind, data: dict):
    if k.kind == "dealer":
        return service.create_dealer(actor(), data)
    if k.kind == "office":
        return service.create_office(actor(), data)
    return service.create_record(actor(), k.kind, data)


def _update(k: PageKind, record_id: int, data: dict):
    if k.kind == "dealer":
        return service.update_dealer(actor(), record_id, data)
    if k.kind == "office":
        return service.update_office(actor(), record_id, data)
    return service.update_record(actor(), k.kind, record_id, data)


# ------------------------------------------------------------------ helpers

def _page_number() -> int:
    return page_number(request.args.get("page"))


def _form_values(k: PageKind) -> dict:
    """What the user typed, to show again in a refused form (a checkbox as ticked or not)."""
    values = request.form.to_dict()
    for f in k.fields:
        if f.type == "checkbox":
            values[f.name] = ticked(f.name)
    return values


def _read(k: PageKind, obj) -> dict:
    """The form loaded through the API's schema, as service input.

    A page sends every field: one left empty is cleared (``None``), not left as it was
    (the API's PATCH). The schema checks the types and stops there, the service checks
    the rules of every field; when the schema refuses some fields, the others are checked
    by the service too, so one answer names every wrong field.
    """
    schema = ARGS[k.kind][0 if obj is None else 1]
    source = {**request.form.to_dict(), **{f.name: "on" if ticked(f.name) else "" for f in k.fields
                                           if f.type == "checkbox"}}
    try:
        loaded = read_form(schema, source, named=True)
    except ValidationFailed as err:
        rest = {f.name: source.get(f.name, "") for f in k.fields if f.name not in err.errors}
        _values, more = service.clean_fields(k.kind, rest, existing=obj, creating=False)
        raise ValidationFailed(err.message, errors={**more, **err.errors}) from None
    return {f.name: loaded.get(f.name) for f in k.fields}


def _refusal(k: PageKind, err: ValidationFailed) -> ValidationFailed:
    """The service's refusal in the page's words: each field named by its label.

    The service's own message lists field codes (for API clients); the page says it
    in words and shows each field's messages beside the field.
    """
    labels = {f.name: str(f.label) for f in k.fields}
    return ValidationFailed(_("Some fields need correcting."), errors=err.errors, labels=labels)


def _initial(k: PageKind, obj) -> dict:
    values = {}
    for f in k.fields:
        value = getattr(obj, f.name) if obj is not None else None
        if obj is None and f.type == "checkbox":
            value = True
        if obj is None and f.name == "dispatch_days":
            value = DISPATCH_DAYS
        if isinstance(value, date):
            value = value.isoformat()
        values[f.name] = "" if value is None else value
    return values


def _choices(k: PageKind) -> dict:
    choices = {}
    types = {f.type for f in k.fields}
    if "office" in types:
        choices["office"] = [(o.id, f"{o.code} · {o.name}") for o in service.list_offices(actor())]
    if "factory" in types:
        choices["factory"] = [(f.id, f"{f.code} · {f.name}") for f in service.list_factories(actor())]
    return choices


def _tabs():
    user = actor()
    return [KINDS[name] for name in TAB_ORDER if user.has_role(*KINDS[name].read_roles)]


def _render_form(k: PageKind, obj, values: dict, errors: dict, status: int = 200):
    return render_template("directory/form.html", k=k, obj=obj, values=values, errors=errors,
                           choices=_choices(k), tabs=_tabs()), status


# ------------------------------------------------------------------ generic views

def _list_view(k: PageKind):
    def view():
        q = request.args.get("q", "").strip()
        office_id = None
        if k.kind == "dealer":
            try:
                office_id = int(request.args["office_id"]) if request.args.get("office_id") else None
            except ValueError:
                office_id = None
        page = _search(k, q, _page_number(), office_id=office_id)
        offices = service.list_offices(actor()) if k.kind == "dealer" else []
        return render_template("directory/list.html", k=k, page=page, q=q, office_id=office_id, offices=offices,
                               tabs=_tabs(), can_edit=service.can_edit(actor()))

    return view


def _detail_view(k: PageKind):
    def view(record_id):
        obj = _get(k, record_id)
        related = {}
        if k.kind == "office":
            related["dealers"] = service.search_dealers(actor(), office_id=obj.id, per_page=200)
        return render_template("directory/detail.html", k=k, obj=obj, entries=trail(k.table, obj.id),
                               related=related, tabs=_tabs(), can_edit=service.can_edit(actor()))

    return view


def _save(k: PageKind, obj):
    """Create (``obj`` None) or update a record from the form; a refused form is shown
    again with what was typed and each field's messages beside it, once."""
    try:
        data = _read(k, obj)
        saved = _create(k, data) if obj is None else _update(k, obj.id, data)
    except ValidationFailed as err:
        refusal = _refusal(k, err)
        flash_refusal(refusal, beside={f.name for f in k.fields})
        return _render_form(k, obj, _form_values(k), refusal.errors, refusal.status)
    flash(_("Saved %(what)s %(code)s.", what=k.one, code=saved.code), "success")
    return redirect(url_for(f"directory.{k.kind}", record_id=saved.id))


def _new_view(k: PageKind):
    def view():
        if request.method == "POST":
            return _save(k, None)
        return _render_form(k, None, _initial(k, None), {})

    return view


def _edit_view(k: PageKind):
    def view(record_id):
        obj = _get(k, record_id)
        if request.method == "POST":
            return _save(k, obj)
        return _render_form(k, obj, _initial(k, obj), {})

    return view


for _k in KINDS.values():
    bp.add_url_rule(f"/{_k.plural}", f"{_k.plural}", roles_required(*_k.read_roles)(_list_view(_k)))
    bp.add_url_rule(f"/{_k.plural}/new", f"{_k.kind}_new", roles_required(*EDITOR_ROLES)(_new_view(_k)),
                    methods=["GET", "POST"])
    bp.add_url_rule(f"/{_k.plural}/<int:record_id>", _k.kind, roles_required(*_k.read_roles)(_detail_view(_k)))
    bp.add_url_rule(f"/{_k.plural}/<int:record_id>/edit", f"{_k.kind}_edit",
                    roles_required(*EDITOR_ROLES)(_edit_view(_k)), methods=["GET", "POST"])


# ------------------------------------------------------------------ dealer CSV import

@bp.route("/dealers/import", methods=["GET", "POST"])
@roles_required(*EDITOR_ROLES)
def dealer_import():
    """Upload a dealer CSV; shows every bad row, imports nothing unless asked to skip bad rows."""
    result = None
    bad_rows = []
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        skip = "skip_bad_rows" in request.form
        if upload is None or not upload.filename:
            flash(_("Choose a CSV file to import."), "error")
            status = 422
        else:
            try:
                result = import_dealers(actor(), upload.read(), skip_bad_rows=skip, filename=upload.filename)
            except ValidationFailed as err:
                flash(err.message, "error")
                bad_rows = err.extra.get("rows", [])
                status = 422
            except Conflict as err:
                flash(err.message, "error")
                status = 409
            else:
                bad_rows = [{"line": b.line, "code": b.code, "errors": b.errors} for b in result.bad_rows]
                flash(_("Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, %(skipped)s bad "
                        "row(s) skipped.", created=result.created, updated=result.updated,
                        unchanged=result.unchanged, skipped=result.skipped), "success")
    return render_template("directory/import.html", k=KINDS["dealer"], result=result, bad_rows=bad_rows,
                           columns=IMPORT_COLUMNS, tabs=_tabs()), status


register_nav(_l("Dealers"), "directory.dealers", roles=DEALER_READER_ROLES, order=20)
register_nav(_l("Directory"), "directory.offices", roles=REFERENCE_READER_ROLES, order=25)
