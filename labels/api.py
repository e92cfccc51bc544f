"""Labels API: the same labels as the pages, as PDF or ZPL files."""
from __future__ import annotations

from flask.views import MethodView
from core.api import Blueprint
from marshmallow import RAISE

from core.accounts.auth import actor, roles_required
from labels import sources
from labels.output import ZPL_MIMETYPE, Rendered, render_labels
from labels.packing_slip import packing_slip_pdf
from labels.schemas import LabelArgs, LabelBatchArgs

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
