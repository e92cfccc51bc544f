"""Inventory pages: stock, ledger, counts, office requests, vendor pool. Thin: parse, call a service, render."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import sheets
from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.accounts.scope import visible_office_id
from core.authz import require
from core.calendar import local_today
from core.directory.models import Office, Vendor
from core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.idempotency import idempotent
from core.pagination import paginate
from inventory import counts as count_svc
from inventory import office_reports, service, spares, vendor

bp = Blueprint("inventory", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/inventory", url_prefix="/inventory")

STAFF = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
HQ = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)
# Counts: the staff, and channel staff recording spot checks on their office visits (their own only).
COUNTERS = STAFF + (Role.CHANNEL,)


def _failed(err: DomainError, back: str):
    """Show a refused action on the page it came from; nothing it did is committed.

    Access errors stay errors (403/404 pages): they are not a form to correct.
    """
    if isinstance(err, (Forbidden, NotFound)):
        raise err
    g.uow_rollback_only = True
    flash(err.message, "error")
    for field, messages in (err.errors or {}).items():
        if isinstance(messages, dict):
            messages = [f"{k}: {', '.join(v)}" for k, v in messages.items()]
        for message in messages if isinstance(messages, (list, tuple)) else [messages]:
            flash(f"{field}: {message}" if field not in ("lines", "file") else str(message), "error")
    return redirect(back)


def _int(name):
    value = request.values.get(name, "").strip()
    try:
        number = int(value) if value else None
        if number is not None and not -1_000_000_000 < number < 2**31:
            raise ValueError
        return number
    except ValueError:
        raise ValidationFailed(_("%(name)s must be a whole number.", name=name), errors={name: [value]}) from None


def _office_choice():
    """The office a page acts for: an office user's own, or the one HQ picked."""
    limit = visible_office_id(actor())
    return limit if limit not in (None, -1) else _int("office_id")


# --- stock and ledger -----------------------------------------------------------------------

@bp.route("/")
@roles_required(*STAFF)
def stock():
    loc_id = _int("location")
    if loc_id:
        service.ensure_location_access(actor(), service.get_location(loc_id))
    page = paginate(service.balances_query(actor(), location_id=loc_id, sku=request.args.get("sku")),
                    request.args.get("page", 1), 100)
    return render_template("inventory/stock.html", page=page, locations=service.visible_locations(actor()),
                           location_id=loc_id, office_id=visible_office_id(actor()), offices=_export_offices())


@bp.route("/movements")
@roles_required(*STAFF)
def movements():
    loc_id = _int("location")
    if loc_id:
        service.ensure_location_access(actor(), service.get_location(loc_id))
    days = office_reports.day_range(request.args.get("from"), request.args.get("to"))
    stmt = service.movements_query(actor(), location_id=loc_id, sku=request.args.get("sku"),
                                   serial=request.args.get("serial"), at_from=days.starts_at,
                                   at_before=days.ends_before)
    page = paginate(stmt, request.args.get("page", 1), 100)
    can_post = actor().has_role(Role.CLERK, Role.SUPERVISOR)
    return render_template("inventory/movements.html", page=page, locations=service.visible_locations(actor()),
                           location_id=loc_id, can_post=can_post, parts=service.list_parts() if can_post else [],
                           office_id=visible_office_id(actor()), offices=_export_offices())


def _export_offices():
    """The offices HQ may pick for an export (an office user exports its own and picks none)."""
    return office_reports.offices_for(actor())


@bp.route("/offices/stock.<any(csv, xlsx):fmt>")
@roles_required(*STAFF)
def office_stock_export(fmt):
    """An office's stock detail as CSV or XLSX."""
    body, name = office_reports.stock_detail(actor(), _int("office_id"), fmt)
    return sheets.download(body, name)


@bp.route("/offices/ledger.<any(csv, xlsx):fmt>")
@roles_required(*STAFF)
def office_ledger_export(fmt):
    """An office's ledger (流水账) for a period as CSV or XLSX."""
    body, name = office_reports.ledger(actor(), _int("office_id"), fmt, first=request.args.get("from"),
                                       last=request.args.get("to"))
    return sheets.download(body, name)



@bp.route("/movements", methods=["POST"])
@roles_required(Role.CLERK, Role.SUPERVISOR)
@idempotent
def post_movement():
    back = url_for(".movements")
    try:
        qty = _int("quantity") or 1
        m = service.record_movement(actor(), sku=request.form.get("sku", ""), from_code=request.form.get("from", ""),
                                    to_code=request.form.get("to", ""), quantity=qty,
                                    serial=request.form.get("serial") or None,
                                    reason=request.form.get("reason", "").strip(), note=request.form.get("note", ""))
    except DomainError as err:
        return _failed(err, back)
    flash(_("Movement %(id)s posted.", id=m.id), "success")
    return redirect(back)


@bp.route("/movements/<int:movement_id>/reverse", methods=["POST"])
@roles_required(Role.CLERK, Role.SUPERVISOR)
def reverse(movement_id):
    back = url_for(".movements")
    try:
        m = service.reverse_by_id(actor(), movement_id, request.form.get("note", ""))
    except DomainError as err:
        return _failed(err, back)
    flash(_("Movement %(id)s reversed by %(new)s.", id=movement_id, new=m.id), "success")
    return redirect(back)


# --- counts -------------------------------------------------------------------------------

@bp.route("/counts")
@roles_required(*COUNTERS)
def counts():
    loc_id = _int("location")
    location = None
    channel = count_svc.is_channel_visitor(actor())
    if loc_id:
        location = service.get_location(loc_id)
        if not channel:  # channel staff list only the counts they recorded
            service.ensure_location_access(actor(), location)
    page = paginate(count_svc.counts_query(actor(), location_id=loc_id, status=request.args.get("status")),
                    request.args.get("page", 1))
    # Units other locations' counts took from this one: its loss, shown on its own page.
    taken = count_svc.relocations_out(loc_id) if location is not None and not channel else []
    return render_template("inventory/counts.html", page=page, locations=_countable_locations(),
                           location=location, taken=taken, status_label=count_svc.status_label)


def _countable_locations():
    return count_svc.countable_locations(actor())


def _count_form(recount_of=None, status=200):
    """The count form, with what the user chose kept (a failed upload must not reset the location)."""
    locations = _countable_locations()
    kinds = count_svc.count_kinds(actor())
    chosen = {"location": request.form.get("location", ""), "kind": request.form.get("kind", ""),
              "full": request.form.get("full") == "1" if request.method == "POST" else True,
              "note": request.form.get("note", ""), "serials": request.form.get("serials", ""),
              "qty": {key[4:]: value for key, value in request.form.items() if key.startswith("qty-")}}
    if not chosen["location"]:
        if recount_of is not None:
            chosen["location"] = str(recount_of.location_id)
        else:
            default = count_svc.default_count_location(actor(), locations)
            chosen["location"] = str(default.id) if default else ""
    if not chosen["kind"] and recount_of is not None:
        chosen["kind"] = recount_of.kind
    # The form lists parts, never the ledger's quantities: a spot check stays blind.
    return render_template("inventory/count_form.html", locations=locations, parts=service.list_parts(),
                           kinds=kinds, recount_of=recount_of, chosen=chosen), status


@bp.route("/counts/new", methods=["GET", "POST"])
@roles_required(*COUNTERS)
@idempotent
def new_count():
    recount_of = None
    if request.values.get("recount_of"):
        recount_of = count_svc.get_count(actor(), _int("recount_of"))
    if request.method == "GET":
        return _count_form(recount_of)
    try:
        location = service.get_location(_int("location") or 0)
        upload = request.files.get("file")
        if upload and upload.filename:
            data, method = count_svc.parse_count_file(upload.filename, upload.read()), "upload"
        else:
            data = count_svc.CountInput()
            for n, part in enumerate(service.list_parts(), start=1):
                raw = request.form.get(f"qty-{part.id}", "").strip()
                if raw:
                    try:
                        data.quantities.append((n, part.sku, int(raw)))
                    except ValueError:
                        raise ValidationFailed(_("Quantities are whole numbers."), errors={part.sku: [raw]}) from None
            data.serials = count_svc.parse_scans(request.form.get("serials", "")).serials
            method = "scan" if data.serials else "form"
        count = count_svc.submit_count(actor(), location=location, kind=request.form.get("kind", ""), data=data,
                                       method=method, full=request.form.get("full") == "1",
                                       note=request.form.get("note", ""), recount_of=recount_of)
    except DomainError as err:
        if isinstance(err, (Forbidden, NotFound)):
            raise
        _failed(err, request.full_path)
        return _count_form(recount_of, status=err.status)
    flash(_("Count %(n)s submitted.", n=count.number), "success")
    for warning in count_svc.count_warnings(count):
        flash(warning, "warning")
    return redirect(url_for(".count_detail", count_id=count.id))


@bp.route("/counts/<int:count_id>")
@roles_required(*COUNTERS)
def count_detail(count_id):
    count = count_svc.get_count(actor(), count_id)
    rec = count_svc.reconcile(count) if count_svc.may_see_expected(actor(), count) else None
    plan = None
    if rec is not None and count.status == count_svc.SUBMITTED and actor().has_role(Role.SUPERVISOR):
        plan = count_svc.plan_acceptance(count, rec)
    threshold = current_app.config["INVENTORY_RECOUNT_THRESHOLD"]
    return render_template("inventory/count_detail.html", count=count, rec=rec, threshold=threshold, plan=plan,
                           warnings=count_svc.count_warnings(count), recount_message=count_svc.recount_message(count),
                           status_label=count_svc.status_label, kind_label=count_svc.kind_label,
                           may_withdraw=count_svc.may_withdraw(actor(), count))


@bp.route("/counts/<int:count_id>/export.<fmt>")
@roles_required(*STAFF)
def count_export(count_id, fmt):
    count = count_svc.get_count(actor(), count_id)
    rec = count_svc.reconciliation_for(actor(), count)
    if fmt == "csv":
        return sheets.download(count_svc.export_csv(rec), f"{count.number}.csv")
    if fmt == "xlsx":
        return sheets.download(count_svc.export_xlsx(rec), f"{count.number}.xlsx")
    raise ValidationFailed(_("Export as csv or xlsx."), errors={"format": [fmt]})


@bp.route("/counts/<int:count_id>/accept", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def count_accept(count_id):
    back = url_for(".count_detail", count_id=count_id)
    try:
        count = count_svc.accept_count(actor(), count_svc.get_count(actor(), count_id),
                                       confirm_relocations=request.form.get("confirm_relocations") == "1")
    except DomainError as err:
        return _failed(err, back)
    flash(_("Count %(n)s accepted; adjustments posted.", n=count.number), "success")
    return redirect(back)


@bp.route("/counts/<int:count_id>/recount", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def count_recount(count_id):
    back = url_for(".count_detail", count_id=count_id)
    try:
        count_svc.request_recount(actor(), count_svc.get_count(actor(), count_id), request.form.get("note", ""))
    except DomainError as err:
        return _failed(err, back)
    flash(_("A recount has been asked for."), "success")
    return redirect(back)


@bp.route("/counts/<int:count_id>/withdraw", methods=["POST"])
@roles_required(*COUNTERS)
def count_withdraw(count_id):
    back = url_for(".count_detail", count_id=count_id)
    try:
        count = count_svc.withdraw_count(actor(), count_svc.get_count(actor(), count_id), request.form.get("note", ""))
    except DomainError as err:
        return _failed(err, back)
    flash(_("Count %(n)s withdrawn.", n=count.number), "success")
    return redirect(back)


# --- office requests ----------------------------------------------------------------------

@bp.route("/requests")
@roles_required(*STAFF)
def requests():
    page = paginate(spares.requests_query(actor(), status=request.args.get("status")), request.args.get("page", 1))
    limit = visible_office_id(actor())
    offices = db.session.scalars(select(Office).order_by(Office.code)).all() if limit is None else \
        db.session.scalars(select(Office).where(Office.id == limit)).all()
    returns = paginate(spares.returns_query(actor()), 1, 20).items
    return render_template("inventory/requests.html", page=page, offices=offices, parts=service.list_parts(),
                           returns=returns, status_label=spares.request_status_label,
                           return_status_label=spares.return_status_label,
                           dealers=spares.office_dealers(offices[0].id) if len(offices) == 1 else None)


@bp.route("/requests/new", methods=["POST"])
@roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
@idempotent
def new_request():
    back = url_for(".requests")
    try:
        lines = []
        for part in service.list_parts():
            qty = _int(f"qty-{part.id}")
            if qty:
                lines.append((part.sku, qty))
        req = spares.create_request(actor(), office_id=_office_choice() or 0, lines=lines,
                                    note=request.form.get("note", ""))
    except DomainError as err:
        return _failed(err, back)
    flash(_("Request %(n)s sent to HQ.", n=req.number), "success")
    return redirect(url_for(".request_detail", request_id=req.id))


@bp.route("/requests/<int:request_id>")
@roles_required(*STAFF)
def request_detail(request_id):
    req = spares.get_request(actor(), request_id)
    return render_template("inventory/request_detail.html", req=req,
                           actions=spares.allowed_actions(req, actor()),
                           status_label=spares.request_status_label, final_meanings=spares.FINAL_MEANINGS)


@bp.route("/requests/<int:request_id>/<action>", methods=["POST"])
@roles_required(*STAFF)
def request_action(request_id, action):
    back = url_for(".request_detail", request_id=request_id)
    try:
        req = spares.get_request(actor(), request_id)
        if action == "approve":
            approved = {line.part_id: _int(f"qty-{line.part_id}") for line in req.lines
                        if request.form.get(f"qty-{line.part_id}", "").strip()}
            spares.approve_request(actor(), req, approved=approved, note=request.form.get("note", ""))
        elif action == "reject":
            spares.reject_request(actor(), req, note=request.form.get("note", ""))
        elif action == "cancel":
            spares.cancel_request(actor(), req, note=request.form.get("note", ""))
        elif action == "edit":
            lines = [(line.part.sku, _int(f"requested-{line.part_id}")) for line in req.lines]
            spares.edit_request(actor(), req, lines=[(sku, qty) for sku, qty in lines if qty],
                                note=request.form.get("note"))
        elif action == "issue":
            serials = {line.part_id: request.form.get(f"serials-{line.part_id}", "").split() for line in req.lines}
            spares.issue_request(actor(), req, serials=serials)
        elif action == "receive":
            spares.receive_request(actor(), req, codes=request.form.get("codes", "").split())
        else:
            raise ValidationFailed(_("Unknown action."), errors={"action": [action]})
    except DomainError as err:
        return _failed(err, back)
    flash(_("Request %(n)s: %(s)s.", n=req.number, s=spares.request_status_label(req.status)), "success")
    return redirect(back)


@bp.route("/offices/swap", methods=["POST"])
@roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
@idempotent
def swap():
    back = url_for(".requests")
    try:
        spares.swap_at_office(actor(), office_id=_office_choice() or 0, sku=request.form.get("sku", ""),
                              spare_serial=request.form.get("spare_serial") or None,
                              defective_serial=request.form.get("defective_serial") or None,
                              dealer_id=_int("dealer_id"), note=request.form.get("note", ""))
    except DomainError as err:
        return _failed(err, back)
    flash(_("Swap recorded."), "success")
    return redirect(back)


@bp.route("/offices/year-end-return/confirm")
@roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
def year_end_confirm():
    """The confirmation page: everything that will go back to HQ, and the return window."""
    try:
        preview = spares.preview_year_end_return(actor(), office_id=_office_choice() or 0)
    except ValidationFailed as err:
        return _failed(err, url_for(".requests"))
    return render_template("inventory/year_end_confirm.html", preview=preview,
                           status_label=spares.return_status_label)


@bp.route("/offices/<action>", methods=["POST"])
@roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
def office_action(action):
    back = url_for(".requests")
    try:
        office_id = _office_choice() or 0
        if action == "year-end-return":
            back = url_for(".year_end_confirm", office_id=office_id)
            ret = spares.build_year_end_return(actor(), office_id=office_id,
                                               confirm=request.form.get("confirm") == "yes",
                                               override=request.form.get("override") == "yes",
                                               override_note=request.form.get("override_note", ""))
            flash(_("Return %(n)s prepared: %(k)s lines. Ship it when the parcel leaves; until then it can be cancelled.",
                    n=ret.number, k=len(ret.lines)), "success")
            return redirect(url_for(".return_detail", return_id=ret.id))
        if action == "new-year-request":
            req = spares.new_year_request(actor(), office_id=office_id)
            return redirect(url_for(".request_detail", request_id=req.id))
        raise ValidationFailed(_("Unknown action."), errors={"action": [action]})
    except DomainError as err:
        return _failed(err, back)


@bp.route("/returns/<int:return_id>")
@roles_required(*STAFF)
def return_detail(return_id):
    ret = spares.get_return(actor(), return_id)
    return render_template("inventory/return_detail.html", ret=ret, status_label=spares.return_status_label,
                           actions=spares.RETURN_ACTIONS.get(ret.status, ()),
                           final_meanings=spares.RETURN_FINAL_MEANINGS)


@bp.route("/returns/<int:return_id>/<any(ship, cancel, receive):action>", methods=["POST"])
@roles_required(Role.OFFICE, Role.CLERK, Role.SUPERVISOR)
def return_action(return_id, action):
    back = url_for(".return_detail", return_id=return_id)
    try:
        ret = spares.get_return(actor(), return_id)
        if action == "ship":
            spares.ship_year_end_return(actor(), ret)
        elif action == "cancel":
            spares.cancel_year_end_return(actor(), ret, note=request.form.get("note", ""))
        else:
            spares.receive_year_end_return(actor(), ret)
    except DomainError as err:
        return _failed(err, back)
    flash(_("Return %(n)s: %(s)s.", n=ret.number, s=spares.return_status_label(ret.status)), "success")
    return redirect(back)


# --- vendor pool --------------------------------------------------------------------------

@bp.route("/vendor")
@roles_required(*HQ)
def vendor_pool():
    try:
        week = date.fromisoformat(request.args["week"]) if request.args.get("week") else None
    except ValueError:
        week = None
    week = vendor.monday_of(week or local_today())
    held = service.holdings([vendor.hq_defectives().id])
    return render_template("inventory/vendor.html", batches=paginate(vendor.batches_query(), 1, 24).items,
                           vendors=db.session.scalars(select(Vendor).order_by(Vendor.code)).all(), held=held,
                           recon=vendor.weekly_reconciliation(week), week=week,
                           parts=service.list_parts(vendor_managed=True), status_label=vendor.batch_status_label)


@bp.route("/vendor/<action>", methods=["POST"])
@roles_required(Role.CLERK, Role.SUPERVISOR)
def vendor_action(action):
    back = url_for(".vendor_pool")
    try:
        if action == "defective":
            vendor.receive_vendor_defective(actor(), sku=request.form.get("sku", ""),
                                            serial=request.form.get("serial") or None, quantity=_int("quantity") or 1)
            flash(_("Defective unit booked in at HQ."), "success")
        elif action == "batch":
            batch = vendor.build_batch(actor(), vendor_id=_int("vendor_id") or 0, month=request.form.get("month") or None)
            flash(_("Batch %(n)s shipped to the vendor.", n=batch.number), "success")
            return redirect(url_for(".batch_detail", batch_id=batch.id))
        elif action == "statement":
            upload = request.files.get("file")
            if not upload or not upload.filename:
                raise ValidationFailed(_("Choose the statement file."), errors={"file": [_("Required.")]})
            week = date.fromisoformat(request.form.get("week_start", ""))
            vendor.submit_statement(actor(), week_start=week,
                                    rows=vendor.parse_statement(upload.read(), upload.filename))
            flash(_("Statement recorded."), "success")
            return redirect(url_for(".vendor_pool", week=week.isoformat()))
        else:
            raise ValidationFailed(_("Unknown action."), errors={"action": [action]})
    except ValueError:
        return _failed(ValidationFailed(_("The week starts on a date (YYYY-MM-DD)."), errors={}), back)
    except DomainError as err:
        if action == "statement" and not isinstance(err, (Forbidden, NotFound)):
            # The bad lines are shown in this answer: through a redirect they would ride in the session cookie.
            _failed(err, back)
            return vendor_pool(), err.status
        return _failed(err, back)
    return redirect(back)


@bp.route("/vendor/batches/<int:batch_id>", methods=["GET", "POST"])
@roles_required(*HQ)
def batch_detail(batch_id):
    batch = vendor.get_batch(batch_id)
    if request.method == "POST":
        back = url_for(".batch_detail", batch_id=batch_id)
        require(actor(), Role.CLERK, Role.SUPERVISOR)  # before the form is read; the service checks it again
        try:
            received = []
            for line in batch.lines:
                serials = request.form.get(f"serials-{line.part_id}", "").split()
                received.append({"sku": line.part.sku, "quantity": _int(f"qty-{line.part_id}") or 0,
                                 "serials": serials})
            vendor.check_in_batch(actor(), batch, received=received, note=request.form.get("note", ""))
        except DomainError as err:
            return _failed(err, back)
        flash(_("Batch %(n)s checked in; the check is reported to CS.", n=batch.number), "success")
        return redirect(back)
    return render_template("inventory/batch_detail.html", batch=batch, status_label=vendor.batch_status_label)
