"""Inventory pages: stock, ledger, counts, office requests, vendor pool. Thin: parse, call a service, render."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import sheets
from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.accounts.scope import visible_office_id
from core.authz import require
from core.calendar import local_today, month_before
from core.directory.models import Office, Vendor
from core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from core.forms import flash_refusal, read_form, read_lines, refused, ticked
from core.extensions import db
from core.idempotency import idempotent
from core.pagination import paginate
from inventory import counts as count_svc
from inventory import documents, office_reports, service, spares, vendor
from inventory import schemas as s

bp = Blueprint("inventory", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/inventory", url_prefix="/inventory")

STAFF = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
HQ = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)
# Counts: the staff, and channel staff recording spot checks on their office visits (their own only).
COUNTERS = STAFF + (Role.CHANNEL,)


def _location_id(source=None):
    """The location a page shows or acts on (its id), ``None`` when none was picked."""
    return read_form(s.LocationIdArgs, request.args if source is None else source)["location"]


def _renamed(**names):
    """The form with the page's field names turned into the API's (``from_location="from"``)."""
    values = request.form.to_dict()
    for api_name, page_name in names.items():
        values[api_name] = request.form.get(page_name, "")
    return values


def _asked(raw) -> bool:
    """Whether a quantity field asks for something: left empty or 0, the line is not wanted."""
    return raw.strip() not in ("", "0")


def _office_choice():
    """The office a page acts for: an office user's own, or the one HQ picked."""
    limit = visible_office_id(actor())
    return limit if limit not in (None, -1) else read_form(s.OfficeChoiceArgs, request.values)["office_id"]


# --- stock and ledger -----------------------------------------------------------------------

@bp.route("/")
@roles_required(*STAFF)
def stock():
    loc_id = _location_id()
    if loc_id:
        service.ensure_location_access(actor(), service.get_location(loc_id))
    page = paginate(service.balances_query(actor(), location_id=loc_id, sku=request.args.get("sku")),
                    request.args.get("page", 1), 100)
    return render_template("inventory/stock.html", page=page, locations=service.visible_locations(actor()),
                           location_id=loc_id, office_id=visible_office_id(actor()), offices=_export_offices())


@bp.route("/movements")
@roles_required(*STAFF)
def movements():
    loc_id = _location_id()
    if loc_id:
        service.ensure_location_access(actor(), service.get_location(loc_id))
    days = office_reports.day_range(request.args.get("from"), request.args.get("to"))
    page = service.movements_page(actor(), location_id=loc_id, sku=request.args.get("sku"),
                                  serial=request.args.get("serial"), at_from=days.starts_at,
                                  at_before=days.ends_before, after=request.args.get("after"),
                                  per_page=request.args.get("per_page"))
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
    body, name = office_reports.stock_detail(actor(), read_form(s.OfficeChoiceArgs, request.args)["office_id"], fmt)
    return sheets.download(body, name)


@bp.route("/offices/ledger.<any(csv, xlsx):fmt>")
@roles_required(*STAFF)
def office_ledger_export(fmt):
    """An office's ledger (流水账) for a period as CSV or XLSX."""
    body, name = office_reports.ledger(actor(), read_form(s.OfficeChoiceArgs, request.args)["office_id"], fmt,
                                       first=request.args.get("from"),
                                       last=request.args.get("to"))
    return sheets.download(body, name)



@bp.route("/movements", methods=["POST"])
@roles_required(Role.CLERK, Role.SUPERVISOR)
@idempotent
def post_movement():
    back = url_for(".movements")
    try:
        args = read_form(s.MovementArgs, _renamed(from_location="from", to_location="to"))
        m = service.record_movement(actor(), sku=args["sku"], from_code=args["from_location"],
                                    to_code=args["to_location"], quantity=args["quantity"], serial=args["serial"],
                                    reason=args["reason"].strip(), note=args["note"])
    except DomainError as err:
        return refused(err, back)
    flash(_("Movement %(id)s posted.", id=m.id), "success")
    return redirect(back)


@bp.route("/movements/<int:movement_id>/reverse", methods=["POST"])
@roles_required(Role.CLERK, Role.SUPERVISOR)
def reverse(movement_id):
    back = url_for(".movements")
    try:
        m = service.reverse_by_id(actor(), movement_id, read_form(s.ReverseArgs)["note"])
    except DomainError as err:
        return refused(err, back)
    flash(_("Movement %(id)s reversed by %(new)s.", id=movement_id, new=m.id), "success")
    return redirect(back)


# --- counts -------------------------------------------------------------------------------

@bp.route("/counts")
@roles_required(*COUNTERS)
def counts():
    loc_id = _location_id()
    location = None
    channel = count_svc.is_channel_visitor(actor())
    if loc_id:
        location = service.get_location(loc_id)
        if not channel:  # channel staff list only the counts they recorded
            service.ensure_location_access(actor(), location)
    page = count_svc.counts_page(actor(), location_id=loc_id, status=request.args.get("status"),
                                 after=request.args.get("after"), per_page=request.args.get("per_page"))
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
    recount_id = read_form(s.CountArgs(only=("recount_of",)), request.values)["recount_of"]
    if recount_id:
        recount_of = count_svc.get_count(actor(), recount_id)
    if request.method == "GET":
        return _count_form(recount_of)
    try:
        location = service.get_location(_location_id(request.form) or 0)
        args = read_form(s.CountArgs(only=("kind", "note")))
        upload = request.files.get("file")
        if upload and upload.filename:
            data, method = count_svc.parse_count_file(upload.filename, upload.read()), "upload"
        else:
            data = count_svc.CountInput()
            # Each filled quantity is a line of the API's count, named by its SKU if it is wrong.
            filled = [(n, part) for n, part in enumerate(service.list_parts(), start=1)
                      if request.form.get(f"qty-{part.id}", "").strip()]
            lines = read_lines(s.CountLineArgs, {part.sku: {"sku": part.sku, "quantity": request.form[f"qty-{part.id}"]}
                                                 for _n, part in filled})
            data.quantities = [(n, line["sku"], line["quantity"]) for (n, _part), line in zip(filled, lines)]
            data.serials = count_svc.parse_scans(request.form.get("serials", "")).serials
            method = "scan" if data.serials else "form"
        count = count_svc.submit_count(actor(), location=location, kind=args["kind"], data=data,
                                       method=method, full=ticked("full"), note=args["note"], recount_of=recount_of)
    except DomainError as err:
        if isinstance(err, (Forbidden, NotFound)):
            raise
        # The form is shown again in this answer, with what the user chose kept.
        flash_refusal(err)
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
    allowed = count_svc.allowed_actions(actor(), count)
    plan = None
    if rec is not None and "accept" in allowed:
        plan = count_svc.plan_acceptance(count, rec)
    threshold = current_app.config["INVENTORY_RECOUNT_THRESHOLD"]
    return render_template("inventory/count_detail.html", count=count, rec=rec, threshold=threshold, plan=plan,
                           warnings=count_svc.count_warnings(count), recount_message=count_svc.recount_message(count),
                           status_label=count_svc.status_label, kind_label=count_svc.kind_label, allowed=allowed,
                           **_documents_of(count, url_for(".count_attach", count_id=count.id)))


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
                                       confirm_relocations=read_form(s.AcceptArgs)["confirm_relocations"])
    except DomainError as err:
        return refused(err, back)
    flash(_("Count %(n)s accepted; adjustments posted.", n=count.number), "success")
    return redirect(back)


@bp.route("/counts/<int:count_id>/recount", methods=["POST"])
@roles_required(Role.SUPERVISOR)
def count_recount(count_id):
    back = url_for(".count_detail", count_id=count_id)
    try:
        count_svc.request_recount(actor(), count_svc.get_count(actor(), count_id), read_form(s.NoteArgs)["note"])
    except DomainError as err:
        return refused(err, back)
    flash(_("A recount has been asked for."), "success")
    return redirect(back)


@bp.route("/counts/<int:count_id>/withdraw", methods=["POST"])
@roles_required(*COUNTERS)
def count_withdraw(count_id):
    back = url_for(".count_detail", count_id=count_id)
    try:
        count = count_svc.withdraw_count(actor(), count_svc.get_count(actor(), count_id),
                                         read_form(s.NoteArgs)["note"])
    except DomainError as err:
        return refused(err, back)
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
        lines = read_lines(s.RequestLineArgs, {part.sku: {"sku": part.sku, "quantity": request.form[f"qty-{part.id}"]}
                                               for part in service.list_parts()
                                               if _asked(request.form.get(f"qty-{part.id}", ""))})
        args = read_form(s.SpareRequestArgs, {"office_id": _office_choice(), "lines": lines,
                                              "note": request.form.get("note", "")})
        req = spares.create_request(actor(), office_id=args["office_id"],
                                    lines=[(line["sku"], line["quantity"]) for line in args["lines"]], note=args["note"])
    except DomainError as err:
        return refused(err, back)
    flash(_("Request %(n)s sent to HQ.", n=req.number), "success")
    return redirect(url_for(".request_detail", request_id=req.id))


@bp.route("/requests/<int:request_id>")
@roles_required(*STAFF)
def request_detail(request_id):
    req = spares.get_request(actor(), request_id)
    return render_template("inventory/request_detail.html", req=req,
                           actions=spares.allowed_actions(req, actor()),
                           status_label=spares.request_status_label, final_meanings=spares.FINAL_MEANINGS,
                           **_documents_of(req, url_for(".request_attach", request_id=req.id)))


@bp.route("/requests/<int:request_id>/<action>", methods=["POST"])
@roles_required(*STAFF)
def request_action(request_id, action):
    back = url_for(".request_detail", request_id=request_id)
    try:
        req = spares.get_request(actor(), request_id)
        if action == "approve":
            args = read_form(s.ApproveArgs, {
                "approved": {line.part.sku: request.form[f"qty-{line.part_id}"] for line in req.lines
                             if request.form.get(f"qty-{line.part_id}", "").strip()},
                "note": request.form.get("note", "")})
            approved = {line.part_id: args["approved"][line.part.sku] for line in req.lines
                        if line.part.sku in args["approved"]}
            spares.approve_request(actor(), req, approved=approved, note=args["note"])
        elif action == "reject":
            spares.reject_request(actor(), req, note=read_form(s.NoteArgs)["note"])
        elif action == "cancel":
            spares.cancel_request(actor(), req, note=read_form(s.NoteArgs)["note"])
        elif action == "edit":
            lines = read_lines(s.RequestLineArgs, {
                line.part.sku: {"sku": line.part.sku, "quantity": request.form[f"requested-{line.part_id}"]}
                for line in req.lines if _asked(request.form.get(f"requested-{line.part_id}", ""))})
            args = read_form(s.EditRequestArgs, {"lines": lines, "note": request.form.get("note")})
            spares.edit_request(actor(), req, lines=[(line["sku"], line["quantity"]) for line in args["lines"]],
                                note=args["note"])
        elif action == "issue":
            args = read_form(s.IssueArgs, {"serials": {
                line.part.sku: request.form.get(f"serials-{line.part_id}", "").split() for line in req.lines}})
            spares.issue_request(actor(), req, serials={line.part_id: args["serials"].get(line.part.sku, [])
                                                        for line in req.lines})
        elif action == "receive":
            codes = request.form.get("codes", "").split()
            spares.receive_request(actor(), req, codes=read_form(s.ReceiveArgs, {"codes": codes})["codes"]
                                   if codes else [])
        else:
            raise ValidationFailed(_("Unknown action."), errors={"action": [action]})
    except DomainError as err:
        return refused(err, back)
    flash(_("Request %(n)s: %(s)s.", n=req.number, s=spares.request_status_label(req.status)), "success")
    return redirect(back)


@bp.route("/offices/swap", methods=["POST"])
@roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
@idempotent
def swap():
    back = url_for(".requests")
    try:
        spares.swap_at_office(actor(), office_id=_office_choice() or 0, **read_form(s.SwapArgs))
    except DomainError as err:
        return refused(err, back)
    flash(_("Swap recorded."), "success")
    return redirect(back)


@bp.route("/offices/year-end-return/confirm")
@roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
def year_end_confirm():
    """The confirmation page: everything that will go back to HQ, and the return window."""
    try:
        preview = spares.preview_year_end_return(actor(), office_id=_office_choice() or 0)
    except ValidationFailed as err:
        return refused(err, url_for(".requests"))
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
            ret = spares.build_year_end_return(actor(), office_id=office_id, **read_form(s.YearEndArgs))
            flash(_("Return %(n)s prepared: %(k)s lines. Ship it when the parcel leaves; until then it can be cancelled.",
                    n=ret.number, k=len(ret.lines)), "success")
            return redirect(url_for(".return_detail", return_id=ret.id))
        if action == "new-year-request":
            req = spares.new_year_request(actor(), office_id=office_id)
            return redirect(url_for(".request_detail", request_id=req.id))
        raise ValidationFailed(_("Unknown action."), errors={"action": [action]})
    except DomainError as err:
        return refused(err, back)


@bp.route("/returns/<int:return_id>")
@roles_required(*STAFF)
def return_detail(return_id):
    ret = spares.get_return(actor(), return_id)
    return render_template("inventory/return_detail.html", ret=ret, status_label=spares.return_status_label,
                           actions=spares.return_actions(actor(), ret),
                           final_meanings=spares.RETURN_FINAL_MEANINGS,
                           **_documents_of(ret, url_for(".return_attach", return_id=ret.id)))


@bp.route("/returns/<int:return_id>/<any(ship, cancel, receive):action>", methods=["POST"])
@roles_required(Role.OFFICE, Role.CLERK, Role.SUPERVISOR)
def return_action(return_id, action):
    back = url_for(".return_detail", return_id=return_id)
    try:
        ret = spares.get_return(actor(), return_id)
        if action == "ship":
            spares.ship_year_end_return(actor(), ret)
        elif action == "cancel":
            spares.cancel_year_end_return(actor(), ret, note=read_form(s.NoteArgs)["note"])
        else:
            spares.receive_year_end_return(actor(), ret)
    except DomainError as err:
        return refused(err, back)
    flash(_("Return %(n)s: %(s)s.", n=ret.number, s=spares.return_status_label(ret.status)), "success")
    return redirect(back)


# --- signed documents (备品签字版文件) ------------------------------------------------------------

def _documents_of(record, upload_url: str) -> dict:
    """What a record's page shows of its signed documents, and whether it offers the upload form."""
    return {"signed_documents": documents.documents(record), "may_attach": documents.may_attach(actor(), record),
            "attach_url": upload_url, "max_mb": round(documents.max_bytes() / 1048576, 1)}


def _attach(kind: str, record_id: int, back: str):
    """Keep the uploaded scan on the record (read through its own guard); a refusal is a flash."""
    try:
        record = documents.KINDS[kind].read(actor(), record_id)
        storage = request.files.get("file")
        documents.attach(actor(), record, storage.stream if storage and storage.filename else None,
                         storage.filename if storage else "")
    except DomainError as err:
        return refused(err, back)
    flash(_("Signed document attached."), "success")
    return redirect(back)


@bp.route("/requests/<int:request_id>/attachments", methods=["POST"])
@roles_required(*documents.OFFICE_RECORD_ROLES)
@idempotent
def request_attach(request_id):
    """Attach a signed scan to a spare request."""
    return _attach("request", request_id, url_for(".request_detail", request_id=request_id))


@bp.route("/returns/<int:return_id>/attachments", methods=["POST"])
@roles_required(*documents.OFFICE_RECORD_ROLES)
@idempotent
def return_attach(return_id):
    """Attach a signed scan to a year-end return."""
    return _attach("return", return_id, url_for(".return_detail", return_id=return_id))


@bp.route("/counts/<int:count_id>/attachments", methods=["POST"])
@roles_required(*documents.COUNT_ROLES)
@idempotent
def count_attach(count_id):
    """Attach a signed count sheet to a count."""
    return _attach("count", count_id, url_for(".count_detail", count_id=count_id))


@bp.route("/attachments/<int:document_id>")
@roles_required(*documents.READERS)
def download_document(document_id):
    """Download a signed document (as an attachment, never shown inline)."""
    row, path, name = documents.get_document(actor(), document_id)
    return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=name, max_age=0)


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
                           parts=service.list_parts(vendor_managed=True), status_label=vendor.batch_status_label,
                           sales=vendor.recent_sales(), may_enter_sales=actor().has_role(*vendor.SALES_ROLES),
                           last_month=month_before(local_today()).strftime("%Y-%m"))


@bp.route("/vendor/<action>", methods=["POST"])
@roles_required(Role.CLERK, Role.SERVICE, Role.SUPERVISOR)
def vendor_action(action):
    back = url_for(".vendor_pool")
    try:
        # CS enters the sales; the rest is the clerk's or the supervisor's (checked before any input is read).
        require(actor(), *(vendor.SALES_ROLES if action == "sales" else (Role.CLERK, Role.SUPERVISOR)))
        if action == "defective":
            vendor.receive_vendor_defective(actor(), **read_form(s.DefectiveArgs))
            flash(_("Defective unit booked in at HQ."), "success")
        elif action == "sales":
            row = vendor.record_sales(actor(), **read_form(s.VendorSalesArgs))
            flash(_("Sales of %(sku)s in %(m)s recorded: %(n)s.", sku=row.part.sku, m=row.month.strftime("%Y-%m"),
                    n=row.quantity), "success")
        elif action == "batch":
            batch = vendor.build_batch(actor(), **read_form(s.BatchArgs))
            flash(_("Batch %(n)s shipped to the vendor.", n=batch.number), "success")
            return redirect(url_for(".batch_detail", batch_id=batch.id))
        elif action == "statement":
            upload = request.files.get("file")
            if not upload or not upload.filename:
                raise ValidationFailed(_("Choose the statement file."), errors={"file": [_("Required.")]})
            week = read_form(s.WeekArgs)["week_start"]
            vendor.submit_statement(actor(), week_start=week,
                                    rows=vendor.parse_statement(upload.read(), upload.filename))
            flash(_("Statement recorded."), "success")
            return redirect(url_for(".vendor_pool", week=week.isoformat()))
        else:
            raise ValidationFailed(_("Unknown action."), errors={"action": [action]})
    except DomainError as err:
        if action == "statement" and not isinstance(err, (Forbidden, NotFound)):
            # The bad lines are shown in this answer: through a redirect they would ride in the session cookie.
            flash_refusal(err)
            return vendor_pool(), err.status
        return refused(err, back)
    return redirect(back)


@bp.route("/vendor/batches/<int:batch_id>", methods=["GET", "POST"])
@roles_required(*HQ)
def batch_detail(batch_id):
    batch = vendor.get_batch(batch_id)
    if request.method == "POST":
        back = url_for(".batch_detail", batch_id=batch_id)
        require(actor(), Role.CLERK, Role.SUPERVISOR)  # before the form is read; the service checks it again
        try:
            received = read_lines(s.CheckInLineArgs, {
                line.part.sku: {"sku": line.part.sku, "quantity": request.form.get(f"qty-{line.part_id}", ""),
                                "serials": request.form.get(f"serials-{line.part_id}", "").split()}
                for line in batch.lines})
            args = read_form(s.CheckInArgs, {"received": received, "note": request.form.get("note", "")})
            vendor.check_in_batch(actor(), batch, received=args["received"], note=args["note"])
        except DomainError as err:
            return refused(err, back)
        flash(_("Batch %(n)s checked in; the check is reported to CS.", n=batch.number), "success")
        return redirect(back)
    return render_template("inventory/batch_detail.html", batch=batch, status_label=vendor.batch_status_label)
