"""Inventory API: balances, the ledger, counts, office spares and the vendor pool (same services as the pages)."""
from __future__ import annotations


from flask import send_file
from flask.views import MethodView
from flask_babel import gettext as _
from core import sheets
from core.api import Blueprint
from marshmallow import Schema, fields, validate

from core.idempotency import idempotent
from core.uploads import SIGNATURES
from core.accounts.auth import actor, roles_required
from core.errors import ValidationFailed
from core.accounts.roles import Role
from core.pagination import paginate
from inventory import counts as count_svc
from inventory import schemas as s
from inventory import documents, office_reports, service, spares, vendor

blp = Blueprint("inventory_api", __name__, url_prefix="/api/v1/inventory",
                description="Spare stock: balances, ledger, counts, office spares, vendor pool")

STAFF = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
HQ = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)
# Counts: the staff, and channel staff recording spot checks on their office visits (their own only).
COUNTERS = STAFF + (Role.CHANNEL,)


def _page(stmt, args):
    """One page of ``stmt`` as ``args`` (``PageArgs``) ask; ``PageSchema`` dumps it as is."""
    return paginate(stmt, args["page"], args["per_page"])


def _location_id(code):
    return service.location_by_code(code).id if code else None


@blp.route("/parts")
class Parts(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, s.PartSchema(many=True))
    def get(self):
        """The parts catalogue."""
        return service.list_parts()

    @roles_required(Role.SUPERVISOR)
    @blp.arguments(s.PartArgs)
    @blp.response(201, s.PartSchema)
    def post(self, args):
        """Add a part."""
        return service.create_part(actor(), **args)


@blp.route("/parts/<int:part_id>")
class PartItem(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(s.PartUpdateArgs)
    @blp.response(200, s.PartSchema)
    def patch(self, args, part_id):
        """File a part under a brand (null: none); units entered later with its exact model get that brand."""
        return service.set_part_brand(actor(), service.get_part(part_id), args["brand_id"])


@blp.route("/locations")
class Locations(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, s.LocationSchema(many=True))
    def get(self):
        """Locations I may see (office users: their own office's)."""
        return service.visible_locations(actor())

    @roles_required(Role.CLERK, Role.SUPERVISOR)
    @blp.arguments(s.BinArgs)
    @blp.response(201, s.LocationSchema)
    def post(self, args):
        """Add a shelf or bin under a store or office."""
        return service.create_bin(actor(), parent=service.location_by_code(args["parent"]), code=args["code"],
                                  name=args["name"])


@blp.route("/balances")
class Balances(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(s.BalanceArgs, location="query")
    @blp.response(200, s.BalancePageSchema)
    def get(self, args):
        """Current stock per location and part (office users: their own office)."""
        loc_id = _location_id(args["location"])
        if loc_id:
            service.ensure_location_access(actor(), service.get_location(loc_id))
        return _page(service.balances_query(actor(), location_id=loc_id, sku=args["sku"]), args)


@blp.route("/movements")
class Movements(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(s.MovementFilterArgs, location="query")
    @blp.response(200, s.MovementPageSchema)
    def get(self, args):
        """The ledger, newest first, a page at a time (``after``: the previous page's ``next``)."""
        loc_id = _location_id(args["location"])
        if loc_id:
            service.ensure_location_access(actor(), service.get_location(loc_id))
        days = office_reports.day_range(args["from_"], args["to"])
        return service.movements_page(actor(), location_id=loc_id, sku=args["sku"], serial=args["serial"],
                                      ref_type=args["ref_type"], ref_id=args["ref_id"], at_from=days.starts_at,
                                      at_before=days.ends_before, after=args["after"], per_page=args["per_page"])

    @roles_required(Role.CLERK, Role.SUPERVISOR)
    @idempotent
    @blp.arguments(s.MovementArgs)
    @blp.response(201, s.MovementSchema)
    def post(self, args):
        """Post a movement (refused with 422 if it would take stock below zero)."""
        return service.record_movement(actor(), sku=args["sku"], from_code=args["from_location"],
                                       to_code=args["to_location"], quantity=args["quantity"], serial=args["serial"],
                                       reason=args["reason"], note=args["note"], ref_type=args["ref_type"],
                                       ref_id=args["ref_id"], at=args["at"])


@blp.route("/offices/stock.<any(csv, xlsx):fmt>")
class OfficeStockExport(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(s.OfficeExportArgs, location="query")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, args, fmt):
        """An office's stock detail (office users: their own office) as CSV or XLSX."""
        body, name = office_reports.stock_detail(actor(), args["office_id"], fmt)
        return sheets.download(body, name)


@blp.route("/offices/ledger.<any(csv, xlsx):fmt>")
class OfficeLedgerExport(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(s.OfficeExportArgs, location="query")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, args, fmt):
        """An office's ledger (流水账) for a period, by default this month so far: per SKU opening, in, out,
        closing, then every movement."""
        body, name = office_reports.ledger(actor(), args["office_id"], fmt, first=args["from_"], last=args["to"])
        return sheets.download(body, name)



@blp.route("/movements/<int:movement_id>/reverse")
class Reverse(MethodView):
    @roles_required(Role.CLERK, Role.SUPERVISOR)
    @idempotent
    @blp.arguments(s.ReverseArgs)
    @blp.response(201, s.MovementSchema)
    def post(self, args, movement_id):
        """Reverse a movement with a movement that references it."""
        return service.reverse_by_id(actor(), movement_id, args["note"])


# --- counts --------------------------------------------------------------------------------

def _count_input(args) -> count_svc.CountInput:
    data = count_svc.CountInput()
    data.quantities = [(n, line["sku"], line["quantity"]) for n, line in enumerate(args["lines"], start=1)]
    data.serials = [(n, row["sku"], row["serial"]) for n, row in enumerate(args["serials"], start=1)]
    return data


@blp.route("/counts")
class Counts(MethodView):
    @roles_required(*COUNTERS)
    @blp.arguments(s.CountFilterArgs, location="query")
    @blp.response(200, s.CountPageSchema)
    def get(self, args):
        """Counts I may see, newest first, a page at a time (``after``: the previous page's ``next``)."""
        return count_svc.counts_page(actor(), location_id=_location_id(args["location"]), status=args["status"],
                                     after=args["after"], per_page=args["per_page"], with_lines=True)

    @roles_required(*COUNTERS)
    @idempotent
    @blp.arguments(s.CountArgs)
    @blp.response(201, s.CountSchema)
    def post(self, args):
        """Submit a count: quantities per SKU and/or scanned serials."""
        recount_of = count_svc.get_count(actor(), args["recount_of"]) if args["recount_of"] else None
        method = "scan" if args["serials"] else "form"
        return count_svc.submit_count(actor(), location=service.location_by_code(args["location"]), kind=args["kind"],
                                      data=_count_input(args), method=method, counted_at=args["counted_at"],
                                      full=args["full"], note=args["note"], recount_of=recount_of)


class UploadForm(Schema):
    location = fields.Str(required=True)
    kind = fields.Str(required=True, validate=validate.OneOf(["weekly", "monthly", "spot"]))
    full = fields.Bool(load_default=True)
    note = fields.Str(load_default="")


class UploadFiles(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


@blp.route("/counts/upload")
class CountUpload(MethodView):
    @roles_required(*COUNTERS)
    @idempotent
    @blp.arguments(UploadForm, location="form")
    @blp.arguments(UploadFiles, location="files")
    @blp.response(201, s.CountSchema)
    def post(self, form, files):
        """Submit a count from a CSV or XLSX sheet (sku, quantity, serial); bad lines are listed, nothing saved."""
        upload = files["file"]
        data = count_svc.parse_count_file(upload.filename, upload.read())
        return count_svc.submit_count(actor(), location=service.location_by_code(form["location"]), kind=form["kind"],
                                      data=data, method="upload", full=form["full"], note=form["note"])


@blp.route("/counts/<int:count_id>")
class CountItem(MethodView):
    @roles_required(*COUNTERS)
    @blp.response(200, s.CountDetailSchema)
    def get(self, count_id):
        """One count as counted (no ledger figures), with its signed documents."""
        return count_svc.get_count(actor(), count_id)


@blp.route("/counts/<int:count_id>/reconciliation")
class CountRecon(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, s.ReconciliationSchema)
    def get(self, count_id):
        """The count against the ledger as of its time (blind counts: supervisors only until accepted)."""
        cnt = count_svc.get_count(actor(), count_id)
        return count_svc.reconciliation_for(actor(), cnt)


@blp.route("/counts/<int:count_id>/accept")
class CountAccept(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(s.AcceptArgs)
    @blp.response(200, s.CountSchema)
    def post(self, args, count_id):
        """Accept: the ledger as of the count's time becomes what was counted; the variance is charged.

        409 while a recount is required, when the location has a later count
        (accept that one), when the later ledger contradicts the count, when a
        concurrent request changed the count first, and when units would be
        taken from another location without ``confirm_relocations``.
        """
        return count_svc.accept_count(actor(), count_svc.get_count(actor(), count_id),
                                      confirm_relocations=args["confirm_relocations"])


@blp.route("/counts/<int:count_id>/recount")
class CountRecount(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(s.NoteArgs)
    @blp.response(200, s.CountSchema)
    def post(self, args, count_id):
        """Send a submitted count back for a recount (the note is shown to the office)."""
        return count_svc.request_recount(actor(), count_svc.get_count(actor(), count_id), args["note"])


@blp.route("/counts/<int:count_id>/withdraw")
class CountWithdraw(MethodView):
    @roles_required(*COUNTERS)
    @blp.arguments(s.NoteArgs)
    @blp.response(200, s.CountSchema)
    def post(self, args, count_id):
        """Withdraw a count not yet accepted (the office that counted, the counter, or the supervisor)."""
        return count_svc.withdraw_count(actor(), count_svc.get_count(actor(), count_id), args["note"])


# --- office spares -------------------------------------------------------------------------

@blp.route("/requests")
class Requests(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(s.RequestFilterArgs, location="query")
    @blp.response(200, s.RequestPageSchema)
    def get(self, args):
        """Spare requests I may see."""
        return _page(spares.requests_query(actor(), status=args["status"], office_id=args["office_id"]), args)

    @roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
    @blp.arguments(s.SpareRequestArgs)
    @blp.response(201, s.SpareRequestSchema)
    def post(self, args):
        """An office requests spares."""
        return spares.create_request(actor(), office_id=args["office_id"],
                                     lines=[(line["sku"], line["quantity"]) for line in args["lines"]],
                                     note=args["note"])


@blp.route("/requests/<int:request_id>")
class RequestItem(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, s.SpareRequestDetailSchema)
    def get(self, request_id):
        """One spare request, with its signed documents."""
        return spares.get_request(actor(), request_id)

    @roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
    @blp.arguments(s.EditRequestArgs)
    @blp.response(200, s.SpareRequestSchema)
    def patch(self, args, request_id):
        """Change what is asked for, before it is issued (an approved request goes back for approval)."""
        return spares.edit_request(actor(), spares.get_request(actor(), request_id),
                                   lines=[(line["sku"], line["quantity"]) for line in args["lines"]], note=args["note"])


def _by_part(req, mapping: dict) -> dict:
    skus = {line.part.sku: line.part_id for line in req.lines}
    unknown = [sku for sku in mapping if sku not in skus]
    if unknown:
        raise ValidationFailed(_("Those SKUs are not on the request."), errors={"sku": unknown})
    return {skus[sku]: value for sku, value in mapping.items()}


@blp.route("/requests/<int:request_id>/approve")
class RequestApprove(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(s.ApproveArgs)
    @blp.response(200, s.SpareRequestSchema)
    def post(self, args, request_id):
        """HQ approves (optionally cutting quantities)."""
        req = spares.get_request(actor(), request_id)
        return spares.approve_request(actor(), req, approved=_by_part(req, args["approved"]), note=args["note"])


@blp.route("/requests/<int:request_id>/reject")
class RequestReject(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(s.NoteArgs)
    @blp.response(200, s.SpareRequestSchema)
    def post(self, args, request_id):
        return spares.reject_request(actor(), spares.get_request(actor(), request_id), note=args["note"])


@blp.route("/requests/<int:request_id>/cancel")
class RequestCancel(MethodView):
    @roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
    @blp.arguments(s.NoteArgs)
    @blp.response(200, s.SpareRequestSchema)
    def post(self, args, request_id):
        """Withdraw a request before anything is issued."""
        return spares.cancel_request(actor(), spares.get_request(actor(), request_id), note=args["note"])


@blp.route("/requests/<int:request_id>/issue")
class RequestIssue(MethodView):
    @roles_required(Role.CLERK, Role.SUPERVISOR)
    @blp.arguments(s.IssueArgs)
    @blp.response(200, s.SpareRequestSchema)
    def post(self, args, request_id):
        """HQ sends the approved spares (HQ store -> in transit)."""
        req = spares.get_request(actor(), request_id)
        return spares.issue_request(actor(), req, serials=_by_part(req, args["serials"]))


@blp.route("/requests/<int:request_id>/receive")
class RequestReceive(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(s.ReceiveArgs)
    @blp.response(200, s.SpareRequestSchema)
    def post(self, args, request_id):
        """The office scans what arrived (must match what was sent)."""
        return spares.receive_request(actor(), spares.get_request(actor(), request_id), codes=args["codes"])


@blp.route("/offices/<int:office_id>/new-year-request")
class NewYearRequest(MethodView):
    @roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
    @blp.response(201, s.SpareRequestSchema)
    def post(self, office_id):
        """A new request prefilled with last time's approved quantities."""
        return spares.new_year_request(actor(), office_id=office_id)


@blp.route("/offices/<int:office_id>/swaps")
class Swaps(MethodView):
    @roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
    @idempotent
    @blp.arguments(s.SwapArgs)
    @blp.response(201, s.SwapSchema)
    def post(self, args, office_id):
        """Swap a dealer's unit from the office's spares."""
        out, came = spares.swap_at_office(actor(), office_id=office_id, **args)
        return {"out": out, "came_in": came}


@blp.route("/offices/<int:office_id>/year-end-return")
class YearEndReturn(MethodView):
    @roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
    @blp.response(200, s.YearEndPreviewSchema)
    def get(self, office_id):
        """What a year-end return would send now, and the return window."""
        return spares.preview_year_end_return(actor(), office_id=office_id)

    @roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
    @blp.arguments(s.YearEndArgs)
    @blp.response(201, s.OfficeReturnSchema)
    def post(self, args, office_id):
        """Prepare the year-end return of everything the office holds (``confirm``: true; nothing moves until it ships)."""
        return spares.build_year_end_return(actor(), office_id=office_id, **args)


@blp.route("/returns/<int:return_id>")
class ReturnItem(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, s.OfficeReturnDetailSchema)
    def get(self, return_id):
        """One year-end return, with its signed documents."""
        return spares.get_return(actor(), return_id)


@blp.route("/returns/<int:return_id>/ship")
class ReturnShip(MethodView):
    @roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
    @blp.response(200, s.OfficeReturnSchema)
    def post(self, return_id):
        """Send a prepared return: the office's stock goes into transit to HQ."""
        return spares.ship_year_end_return(actor(), spares.get_return(actor(), return_id))


@blp.route("/returns/<int:return_id>/cancel")
class ReturnCancel(MethodView):
    @roles_required(Role.OFFICE, Role.SUPERVISOR, Role.CLERK)
    @blp.arguments(s.NoteArgs)
    @blp.response(200, s.OfficeReturnSchema)
    def post(self, args, return_id):
        """Call off a prepared return (until it ships)."""
        return spares.cancel_year_end_return(actor(), spares.get_return(actor(), return_id), note=args["note"])


@blp.route("/returns/<int:return_id>/receive")
class ReturnReceive(MethodView):
    @roles_required(Role.CLERK, Role.SUPERVISOR)
    @blp.response(200, s.OfficeReturnSchema)
    def post(self, return_id):
        """HQ checks a year-end return in."""
        return spares.receive_year_end_return(actor(), spares.get_return(actor(), return_id))


# --- vendor pool ---------------------------------------------------------------------------

@blp.route("/vendor/defectives")
class VendorDefectives(MethodView):
    @roles_required(Role.CLERK, Role.SUPERVISOR)
    @blp.arguments(s.DefectiveArgs)
    @blp.response(201, s.MovementSchema)
    def post(self, args):
        """A vendor-managed defective arrives at HQ."""
        return vendor.receive_vendor_defective(actor(), **args)


@blp.route("/vendor/sales")
class VendorSales(MethodView):
    @roles_required(*HQ)
    @blp.response(200, s.VendorSalesSchema(many=True))
    def get(self):
        """The latest monthly sales of the vendor-managed parts (what the pool's top-ups follow)."""
        return vendor.recent_sales()

    @roles_required(*vendor.SALES_ROLES)
    @blp.arguments(s.VendorSalesArgs)
    @blp.response(200, s.VendorSalesSchema)
    def put(self, args):
        """Enter or correct a month's sales of a vendor-managed part; the pool is topped up in line with them."""
        return vendor.record_sales(actor(), **args)


@blp.route("/vendor/batches")
class VendorBatches(MethodView):
    @roles_required(*HQ)
    @blp.arguments(s.PageArgs, location="query")
    @blp.response(200, s.BatchSchema(many=True))
    def get(self, args):
        return paginate(vendor.batches_query(), args["page"], args["per_page"]).items

    @roles_required(Role.CLERK, Role.SUPERVISOR)
    @blp.arguments(s.BatchArgs)
    @blp.response(201, s.BatchSchema)
    def post(self, args):
        """Ship this month's batch of defectives to the vendor."""
        return vendor.build_batch(actor(), vendor_id=args["vendor_id"], month=args["month"])


@blp.route("/vendor/batches/<int:batch_id>")
class VendorBatchItem(MethodView):
    @roles_required(*HQ)
    @blp.response(200, s.BatchSchema)
    def get(self, batch_id):
        return vendor.get_batch(batch_id)


@blp.route("/vendor/batches/<int:batch_id>/check-in")
class VendorCheckIn(MethodView):
    @roles_required(Role.CLERK, Role.SUPERVISOR)
    @blp.arguments(s.CheckInArgs)
    @blp.response(200, s.BatchSchema)
    def post(self, args, batch_id):
        """The shipping dept's check-in of the vendor's good units against the batch."""
        return vendor.check_in_batch(actor(), vendor.get_batch(batch_id), received=args["received"], note=args["note"])


@blp.route("/vendor/statements")
class VendorStatements(MethodView):
    @roles_required(Role.CLERK, Role.SUPERVISOR)
    @blp.arguments(s.StatementArgs)
    @blp.response(201, s.WeeklyReconciliationSchema)
    def post(self, args):
        """The shipping dept's weekly statement; answers with the reconciliation."""
        rows = [{**line, "day": line["day"].isoformat()} for line in args["lines"]]
        vendor.submit_statement(actor(), week_start=args["week_start"], rows=rows)
        return vendor.weekly_reconciliation(args["week_start"])


@blp.route("/vendor/reconciliation")
class VendorReconciliation(MethodView):
    @roles_required(*HQ)
    @blp.arguments(s.WeekArgs, location="query")
    @blp.response(200, s.WeeklyReconciliationSchema)
    def get(self, args):
        """Differences between CS's records and the shipping dept's for one week."""
        return vendor.weekly_reconciliation(args["week_start"])


# --- signed documents (备品签字版文件) ----------------------------------------------------------

def _attach(kind: str, record_id: int, upload: dict):
    """Read the record through its own guard, then keep the uploaded scan on it."""
    record = documents.KINDS[kind].read(actor(), record_id)
    storage = upload["file"]
    return documents.attach(actor(), record, getattr(storage, "stream", None), getattr(storage, "filename", "") or "")


@blp.route("/requests/<int:request_id>/attachments")
class RequestAttachments(MethodView):
    @roles_required(*documents.OFFICE_RECORD_ROLES)
    @idempotent
    @blp.arguments(s.SignedDocumentFileArgs, location="files")
    @blp.response(201, s.SignedDocumentSchema)
    def post(self, upload, request_id):
        """Attach a signed scan to a spare request (multipart ``file``: PDF, JPEG or PNG, checked by content)."""
        return _attach("request", request_id, upload)


@blp.route("/returns/<int:return_id>/attachments")
class ReturnAttachments(MethodView):
    @roles_required(*documents.OFFICE_RECORD_ROLES)
    @idempotent
    @blp.arguments(s.SignedDocumentFileArgs, location="files")
    @blp.response(201, s.SignedDocumentSchema)
    def post(self, upload, return_id):
        """Attach a signed scan to a year-end return (multipart ``file``: PDF, JPEG or PNG, checked by content)."""
        return _attach("return", return_id, upload)


@blp.route("/counts/<int:count_id>/attachments")
class CountAttachments(MethodView):
    @roles_required(*documents.COUNT_ROLES)
    @idempotent
    @blp.arguments(s.SignedDocumentFileArgs, location="files")
    @blp.response(201, s.SignedDocumentSchema)
    def post(self, upload, count_id):
        """Attach a signed count sheet to a count (multipart ``file``: PDF, JPEG or PNG, checked by content)."""
        return _attach("count", count_id, upload)


@blp.route("/attachments/<int:document_id>")
class AttachmentFile(MethodView):
    @roles_required(*documents.READERS)
    @blp.doc(responses={"200": {
        "description": "The signed scan, as an attachment (PDF, JPEG or PNG).",
        "content": {kind: {"schema": {"type": "string", "format": "binary"}} for _, kind, _ in SIGNATURES},
    }})
    def get(self, document_id):
        """Download a signed document of a spare request, a year-end return or a count."""
        row, path, name = documents.get_document(actor(), document_id)
        return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=name, max_age=0)
