"""Shipments API: /api/v1/shipments/... through the same services as the pages."""
from flask import Response
from flask.views import MethodView
from flask_babel import gettext as _
from core import sheets
from core.api import Blueprint

from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.errors import NotFound
from core.schemas import CursorArgs
from shipments import bill_lines, freight, late_reports, lookup, receiving, service
from shipments.schemas import (
    BillLinesArgs,
    FreightBillPageSchema,
    FreightBillSchema,
    FreightDecisionArgs,
    FreightLineSchema,
    FreightStatementArgs,
    FreightStatementSchema,
    FreightFileArgs,
    FreightUploadArgs,
    ShipmentLateReportArgs,
    ShipmentLateReportSchema,
    ShipmentLookupArgs,
    ReceiptCheckSchema,
    ReceiptSchema,
    ShipmentReceiveArgs,
    ShipmentShipArgs,
    ShipmentCreateArgs,
    ShipmentPageSchema,
    ShipmentQueryArgs,
    ShipmentSchema,
    ShipmentUpdateArgs,
)

blp = Blueprint("shipments_api", __name__, url_prefix="/api/v1/shipments",
                description="Shipments, receipts, late reports and freight bills")

STAFF = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
HQ = (Role.CLERK, Role.SERVICE, Role.SUPERVISOR)


@blp.route("")
class Shipments(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(ShipmentQueryArgs, location="query")
    @blp.response(200, ShipmentPageSchema)
    def get(self, args):
        """List shipments (office users: their own office's only), newest first, a page at a time
        (``after``: the previous page's ``next``)."""
        return lookup.shipments_page(actor(), **args)

    @roles_required(*STAFF)
    @blp.arguments(ShipmentCreateArgs)
    @blp.response(201, ShipmentSchema)
    def post(self, args):
        """Pack a new shipment with its declared units and parts."""
        lines = args.pop("lines")
        return service.create_shipment(actor(), lines=lines, **args)


@blp.route("/lookup")
class Lookup(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(ShipmentLookupArgs, location="query")
    @blp.response(200, ShipmentSchema)
    def get(self, args):
        """Find a shipment by a scanned label (number) or waybill."""
        shipment = lookup.find_shipment(args["code"])
        lookup.ensure_shipment_access(actor(), shipment)
        return shipment


@blp.route("/late-reports")
class LateReports(MethodView):
    @roles_required(*HQ)
    @blp.arguments(ShipmentLateReportArgs, location="query")
    @blp.response(200, ShipmentLateReportSchema(many=True))
    def get(self, args):
        """Factory shipments reported after the next working day (or not reported yet)."""
        return late_reports.late_reports(actor(), include_pending=args["include_pending"])


@blp.route("/<string:number>")
class ShipmentItem(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, ShipmentSchema)
    def get(self, number):
        """One shipment with its lines."""
        return lookup.get_shipment(actor(), number)

    @roles_required(*STAFF)
    @blp.arguments(ShipmentUpdateArgs)
    @blp.response(200, ShipmentSchema)
    def patch(self, args, number):
        """Correct the carrier, pieces, weight, freight cost, paying account or note."""
        return service.update_shipment(actor(), lookup.get_shipment(actor(), number), **args)


@blp.route("/<string:number>/ship")
class Ship(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(ShipmentShipArgs)
    @blp.response(200, ShipmentSchema)
    def post(self, args, number):
        """Record that the shipment left, with its waybill and carrier."""
        shipment = lookup.get_shipment(actor(), number)
        return service.mark_shipped(actor(), shipment, **args)


@blp.route("/<string:number>/receive/check")
class ReceiveCheck(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(ShipmentReceiveArgs)
    @blp.response(200, ReceiptCheckSchema)
    def post(self, args, number):
        """Compare scans with the declared contents without saving anything."""
        shipment = lookup.get_shipment(actor(), number)
        return receiving.preview_receipt(actor(), shipment, args["scans"])


@blp.route("/<string:number>/receive")
class Receive(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(ShipmentReceiveArgs)
    @blp.response(201, ReceiptSchema)
    def post(self, args, number):
        """Receive the shipment: save the receipt check and post stock for the parts that arrived."""
        shipment = lookup.get_shipment(actor(), number)
        return receiving.receive_shipment(actor(), shipment, args["scans"], note=args["note"])


@blp.route("/<string:number>/receipt")
class ReceiptItem(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, ReceiptSchema)
    def get(self, number):
        """The saved receipt check of a received shipment."""
        shipment = lookup.get_shipment(actor(), number)
        receipt = receiving.receipt_of(shipment)
        if receipt is None:
            raise NotFound(_("Shipment %(n)s has not been received yet.", n=shipment.number))
        return receipt


@blp.route("/freight-bills")
class FreightBills(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(CursorArgs, location="query")
    @blp.response(200, FreightBillPageSchema)
    def get(self, args):
        """Imported freight bills, newest month first, a page at a time (``after``: the previous page's ``next``)."""
        return bill_lines.bill_summaries(bill_lines.bills_page(actor(), args["after"], args["per_page"]))

    @roles_required(Role.SUPERVISOR)
    @blp.arguments(FreightUploadArgs, location="form")
    @blp.arguments(FreightFileArgs, location="files")
    @blp.response(201, FreightBillSchema)
    def post(self, form, files):
        """Import a factory logistics bill (CSV or XLSX) and reconcile it; a bill with bad rows is refused whole."""
        upload = files["file"]
        content = upload.read(freight.MAX_BYTES + 1)
        bill = freight.import_freight_bill(actor(), filename=upload.filename or "", content=content,
                                           period=form.get("period"), note=form.get("note", ""))
        return bill_lines.with_lines_page(bill)


@blp.route("/freight-bills/<int:bill_id>")
class FreightBillItem(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(BillLinesArgs, location="query")
    @blp.response(200, FreightBillSchema)
    def get(self, args, bill_id):
        """One bill with its totals per paying account and one page of its reconciliation lines (differences
        first; ``kind`` keeps one kind)."""
        return bill_lines.with_lines_page(freight.get_bill(actor(), bill_id), args["kind"], args["after"],
                                          args["per_page"])


@blp.route("/freight-bills/<int:bill_id>/pay")
class FreightBillPay(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.response(200, FreightBillSchema)
    def post(self, bill_id):
        """Pay the bill once: its accepted lines; refused while a line waits for a decision."""
        return freight.pay_bill(actor(), freight.get_bill(actor(), bill_id))


@blp.route("/freight-bills/<int:bill_id>/lines/<int:line_id>/decision")
class FreightLineDecision(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(FreightDecisionArgs)
    @blp.response(200, FreightLineSchema)
    def post(self, args, bill_id, line_id):
        """Accept (pay) or dispute one bill line, e.g. one that bills a waybill billed before."""
        line = freight.get_line(actor(), bill_id, line_id)
        return freight.decide_line(actor(), line, args["decision"], note=args["note"])


@blp.route("/freight-statement")
class FreightStatement(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(FreightStatementArgs, location="query")
    @blp.response(200, FreightStatementSchema)
    def get(self, args):
        """The month's payable statement per paying account: billed, matched, disputed, payable, paid."""
        return freight.statement(actor(), args["month"])


@blp.route("/freight-statement/export.<any(csv, xlsx):fmt>")
class FreightStatementExport(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(FreightStatementArgs, location="query")
    @blp.response(200, content_type="application/octet-stream")
    def get(self, args, fmt):
        """The month's payable statement as CSV or XLSX."""
        return statement_response(freight.statement(actor(), args["month"]), fmt)


@blp.route("/freight-bills/<int:bill_id>/export.<any(csv, xlsx):fmt>")
class FreightBillExport(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.response(200, content_type="application/octet-stream")
    def get(self, bill_id, fmt):
        """The reconciliation result as CSV or XLSX."""
        return export_response(freight.get_bill(actor(), bill_id), fmt)


def export_response(bill, fmt: str) -> Response:
    """A download of ``bill``'s result (shared with the page)."""
    body = freight.export_csv(actor(), bill) if fmt == "csv" else freight.export_xlsx(actor(), bill)
    return sheets.download(body, freight.bill_filename(bill, fmt))


def statement_response(data: dict, fmt: str) -> Response:
    """A download of a monthly payable statement (shared with the page)."""
    body = freight.statement_csv(actor(), data) if fmt == "csv" else freight.statement_xlsx(actor(), data)
    return sheets.download(body, freight.statement_filename(data["period"], fmt))
