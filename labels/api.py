"""Labels API: the same labels as the pages, as PDF or ZPL files."""
from __future__ import annotations

from flask.views import MethodView
from core.api import Blueprint
from marshmallow import RAISE

from core.accounts.auth import actor, roles_required
from core.idempotency import idempotent
from labels import printing, sources
from labels.output import ZPL_MIMETYPE, Rendered, render_labels
from labels.packing_slip import packing_slip_pdf
from labels.schemas import LabelArgs, LabelBatchArgs, PrintArgs, PrinterArgs, PrinterOut, PrintJobOut, RetryArgs

blp = Blueprint("labels_api", __name__, url_prefix="/api/v1/labels",
                description="Barcode labels (Code 128) and packing slips as PDF or ZPL")

_BINARY = {"type": "string", "format": "binary"}
_FILE = {"description": f"The labels: application/pdf, or ZPL as {ZPL_MIMETYPE} for format=zpl."}


def _print(kind: str, code: str, args: dict):
    specs = sources.specs_for(actor(), kind, code)
    return render_labels(specs, args, default_format="thermal60x40", name=f"{kind}-{code}").response()


@blp.route("/units/<path:serial>")
class UnitLabel(MethodView):
    @roles_required(*sources.HQ)
    @blp.arguments(LabelArgs, location="query", unknown=RAISE)
    @blp.response(200, _BINARY, content_type="application/pdf", **_FILE)
    @blp.alt_response(200, schema=_BINARY, content_type="text/plain", success=True, **_FILE)
    def get(self, args, serial):
        """The label of a repair unit (by serial); carries the data-wipe notice while it goes to repair."""
        return _print("unit", serial, args)


@blp.route("/rma/<path:number>")
class RmaLabels(MethodView):
    @roles_required(*sources.HQ)
    @blp.arguments(LabelArgs, location="query", unknown=RAISE)
    @blp.response(200, _BINARY, content_type="application/pdf", **_FILE)
    @blp.alt_response(200, schema=_BINARY, content_type="text/plain", success=True, **_FILE)
    def get(self, args, number):
        """The parcel label of an RMA, then one label per unit of the parcel."""
        return _print("rma", number, args)


@blp.route("/doa/<path:number>")
class DoaLabels(MethodView):
    @roles_required(*sources.HQ)
    @blp.arguments(LabelArgs, location="query", unknown=RAISE)
    @blp.response(200, _BINARY, content_type="application/pdf", **_FILE)
    @blp.alt_response(200, schema=_BINARY, content_type="text/plain", success=True, **_FILE)
    def get(self, args, number):
        """The label of a DOA application, then one label per declared unit."""
        return _print("doa", number, args)


@blp.route("/shipments/<number>")
class ShipmentLabels(MethodView):
    @roles_required(*sources.STAFF)
    @blp.arguments(LabelArgs, location="query", unknown=RAISE)
    @blp.response(200, _BINARY, content_type="application/pdf", **_FILE)
    @blp.alt_response(200, schema=_BINARY, content_type="text/plain", success=True, **_FILE)
    def get(self, args, number):
        """The labels of a shipment, one per piece (offices: their own shipments)."""
        return _print("shipment", number, args)


@blp.route("/shipments/<number>/packing-slip")
class PackingSlip(MethodView):
    @roles_required(*sources.STAFF)
    @blp.response(200, _BINARY, content_type="application/pdf", description="The packing slip (A4 PDF).")
    def get(self, number):
        """The packing slip of a shipment with its number and waybill barcodes and every line."""
        shipment = sources.shipment_for(actor(), number)
        return Rendered(packing_slip_pdf(shipment), "application/pdf",
                        f"packing-slip-{shipment.number}.pdf").response()


@blp.route("/locations/<path:code>")
class ShelfLabel(MethodView):
    @roles_required(*sources.STAFF)
    @blp.arguments(LabelArgs, location="query", unknown=RAISE)
    @blp.response(200, _BINARY, content_type="application/pdf", **_FILE)
    @blp.alt_response(200, schema=_BINARY, content_type="text/plain", success=True, **_FILE)
    def get(self, args, code):
        """The label of a shelf, bin or store (offices: their own locations only)."""
        return _print("shelf", code, args)


@blp.route("/parts/<path:sku>")
class PartLabel(MethodView):
    @roles_required(*sources.STAFF)
    @blp.arguments(LabelArgs, location="query", unknown=RAISE)
    @blp.response(200, _BINARY, content_type="application/pdf", **_FILE)
    @blp.alt_response(200, schema=_BINARY, content_type="text/plain", success=True, **_FILE)
    def get(self, args, sku):
        """The label of a part, by SKU."""
        return _print("part", sku, args)


@blp.route("/batch")
class BatchLabels(MethodView):
    @roles_required(*sources.STAFF)
    @blp.arguments(LabelBatchArgs)
    @blp.response(200, _BINARY, content_type="application/pdf", **_FILE)
    @blp.alt_response(200, schema=_BINARY, content_type="text/plain", success=True, **_FILE)
    def post(self, args):
        """Labels for a list of codes of one kind; unknown codes are listed in one 422, nothing printed."""
        kind, codes = args.pop("kind"), args.pop("codes")
        specs = sources.batch_specs(actor(), kind, codes)
        return render_labels(specs, args, default_format="a4", name=f"{kind}-batch").response()


# --- printers and print jobs ---------------------------------------------------------------------

@blp.route("/printers")
class Printers(MethodView):
    @roles_required(*sources.STAFF)
    @blp.response(200, PrinterOut(many=True))
    def get(self):
        """The printers labels can be sent to; ``default`` marks yours."""
        mine = printing.default_printer(actor())
        return [{**printing.printer_view(p), "default": mine is not None and p.id == mine.id}
                for p in printing.printers()]

    @roles_required(*printing.ADMIN_ROLES)
    @idempotent
    @blp.arguments(PrinterArgs)
    @blp.response(201, PrinterOut)
    def post(self, args):
        """Register a printer (administrators), with the same fields and checks as the printers page."""
        return printing.printer_view(printing.create_printer(actor(), args))


@blp.route("/printers/<int:printer_id>")
class PrinterOne(MethodView):
    @roles_required(*printing.ADMIN_ROLES)
    @blp.arguments(PrinterArgs)
    @blp.response(200, PrinterOut)
    def put(self, args, printer_id):
        """Change a printer's settings (administrators); ``active`` false takes it out of use."""
        return printing.printer_view(printing.update_printer(actor(), printer_id, args))


@blp.route("/print")
class PrintLabels(MethodView):
    @roles_required(*sources.STAFF)
    @idempotent
    @blp.arguments(PrintArgs)
    @blp.response(201, PrintJobOut)
    def post(self, args):
        """Send labels to a printer (default: yours); the job says ``sent``, or ``failed`` and why.

        The job is recorded either way (201); a failed job can be retried with
        ``POST print-jobs/<id>/retry``. Send an ``Idempotency-Key``: a repeated
        request answers with the first job and prints nothing again.
        """
        job = printing.print_labels(actor(), args["kind"], args["codes"], printer_id=args.get("printer"))
        return printing.job_view(job)


@blp.route("/print-jobs")
class PrintJobs(MethodView):
    @roles_required(*sources.STAFF)
    @blp.response(200, PrintJobOut(many=True))
    def get(self):
        """The latest print jobs (HQ staff: everyone's; others: their own)."""
        return [printing.job_view(j) for j in printing.recent_jobs(actor())]


@blp.route("/print-jobs/<int:job_id>")
class PrintJobOne(MethodView):
    @roles_required(*sources.STAFF)
    @blp.response(200, PrintJobOut)
    def get(self, job_id):
        """One print job."""
        return printing.job_view(printing.job_by_id(actor(), job_id))


@blp.route("/print-jobs/<int:job_id>/retry")
class PrintJobRetry(MethodView):
    @roles_required(*sources.STAFF)
    @blp.arguments(RetryArgs)
    @blp.response(200, PrintJobOut)
    def post(self, args, job_id):
        """Send a failed job again (``printer``: redirect it to another printer). A sent job answers 409."""
        job = printing.retry_job(actor(), job_id, printer_id=args.get("printer"))
        return printing.job_view(job)
