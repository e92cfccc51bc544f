"""Repairs API under /api/v1/repairs: parcels, units, scans, tasks, lookup, overdue, prices."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_babel import gettext as _
from core.api import Blueprint

from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.errors import NotFound, ValidationFailed
from core.extensions import limiter
from core.idempotency import idempotent
from core.schemas import CursorArgs, CursorPageSchema
from core.tasks import service as task_service
from repairs import boxes, prices
from repairs import scan as scan_station
from repairs import schemas as s
from repairs import dealer_status, dealer_tasks, factory, inspection, intake, overdue, receiving, search, service, swap
from repairs.outcomes import TERMS

blp = Blueprint("repairs_api", __name__, url_prefix="/api/v1/repairs", description="After-sales repairs (RMA)")

# The roles the services themselves check (repairs.service), named once.
HANDS, DESK, READERS = service.HANDS, service.DESK, service.READERS


class RepairParcelPageSchema(CursorPageSchema):
    items = s.fields.List(s.fields.Nested(s.RepairParcelSchema))


class RepairOverduePageSchema(CursorPageSchema):
    items = s.fields.List(s.fields.Nested(s.RepairOverdueRowSchema))
    total = s.fields.Integer(metadata={"description": "Overdue units in all (every page)."})


class RepairTaskPageSchema(CursorPageSchema):
    items = s.fields.List(s.fields.Nested(s.RepairTaskSchema))


def _lines(args):
    lines = args.get("lines") or []
    if args.get("rows"):
        if lines:
            raise ValidationFailed(_("Send either lines or rows, not both."), errors={"rows": [_("Not with lines.")]})
        lines = intake.parse_declared_rows(args["rows"])
    return lines


@blp.route("/parcels")
class Parcels(MethodView):
    @roles_required(*READERS)
    @blp.arguments(s.RepairParcelListArgs, location="query")
    @blp.response(200, RepairParcelPageSchema)
    def get(self, args):
        """List parcels (newest first), a page at a time (``after``: the previous page's ``next``);
        ``q`` matches an RMA number or inbound waybill."""
        return search.parcels_page(actor(), q=args["q"], after=args["after"], per_page=args["per_page"])

    @roles_required(Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
    @idempotent
    @blp.arguments(s.RepairParcelArgs)
    @blp.response(201, s.RepairParcelDetailSchema)
    def post(self, args):
        """Register a parcel from the dealer's list (``lines``, or pasted CSV/TSV ``rows``).

        A serial still open on another parcel or DOA case is declared, and named in ``warnings``
        (with a link to where it is open); a product barcode or waybill as a serial is refused."""
        return intake.create_parcel(
            actor(), dealer_id=args["dealer_id"], dealer_code=args["dealer_code"],
            inbound_waybill=args["inbound_waybill"], inbound_carrier=args["inbound_carrier"],
            lines=_lines(args), note=args["note"], source="api",
        )


@blp.route("/parcels/arrival")
class Arrival(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairArrivalArgs)
    @blp.response(201, s.RepairParcelDetailSchema)
    def post(self, args):
        """Start a parcel at arrival (no list from the dealer yet)."""
        return receiving.start_parcel_at_arrival(actor(), args["dealer_code"], args["inbound_waybill"])


@blp.route("/parcels/<string:rma_number>")
class ParcelItem(MethodView):
    @roles_required(*READERS)
    @blp.response(200, s.RepairParcelDetailSchema)
    def get(self, rma_number):
        """One parcel with its units."""
        parcel = service.parcel_by_rma(rma_number)
        return service.get_parcel(actor(), parcel.id)


@blp.route("/parcels/<string:rma_number>/complete-receipt")
class CompleteReceipt(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairCompleteReceiptArgs)
    @blp.response(200, s.RepairParcelDetailSchema)
    def post(self, args, rma_number):
        """Close the receipt: declared units not received become missing (with dealer tasks).

        With units still expected, or a parcel that has not arrived, ``confirm_missing: true`` is
        required; without it the answer is a 409 (code ``confirm_missing``) with ``expected`` and
        ``expected_serials``, and nothing changes."""
        parcel = service.get_parcel(actor(), service.parcel_by_rma(rma_number).id)
        return receiving.complete_receipt(actor(), parcel, confirm_missing=args["confirm_missing"])


@blp.route("/receive")
class Receive(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairReceiveArgs)
    @blp.response(200, s.RepairUnitSchema)
    def post(self, args):
        """Receive a unit by serial (undeclared serials need ``rma_number``)."""
        parcel = None
        if args["rma_number"]:
            parcel = service.get_parcel(actor(), service.parcel_by_rma(args["rma_number"]).id)
        return receiving.receive_unit(actor(), args["serial"], parcel)


@blp.route("/units")
class Units(MethodView):
    @roles_required(*READERS)
    @blp.arguments(s.RepairLookupArgs, location="query")
    @blp.response(200, s.RepairUnitSchema(many=True))
    def get(self, args):
        """Status lookup: serial, RMA number, waybill, dealer name or phone (the newest 25 units)."""
        return search.search(actor(), args["q"])


@blp.route("/units/<int:unit_id>")
class UnitItem(MethodView):
    @roles_required(*READERS)
    @blp.response(200, s.RepairUnitDetailSchema)
    def get(self, unit_id):
        """One unit with its whole timeline."""
        return service.get_unit(actor(), unit_id)


@blp.route("/units/<int:unit_id>/inspect")
class Inspect(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairInspectArgs)
    @blp.response(200, s.RepairUnitSchema)
    def post(self, args, unit_id):
        """Intake inspection (CS acceptance); findings hold the unit and open a dealer task."""
        unit = service.get_unit(actor(), unit_id)
        return inspection.inspect_unit(actor(), unit, human_damage=args["human_damage"], no_stock=args["no_stock"],
                                    out_of_warranty=args["out_of_warranty"], note=args["note"],
                                    route_code=args["route"])


@blp.route("/units/<int:unit_id>/factory-return")
class FactoryReturn(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairFactoryReturnArgs)
    @blp.response(200, s.RepairUnitSchema)
    def post(self, args, unit_id):
        """Record the factory's outcome for a unit back from repair."""
        unit = service.get_unit(actor(), unit_id)
        return factory.receive_from_factory(actor(), unit, args["outcome"],
                                            replacement_serial=args["replacement_serial"], scrap=args["scrap"],
                                            note=args["note"])


@blp.route("/units/<int:unit_id>/swap")
class Swap(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairSwapArgs)
    @blp.response(200, s.RepairSwapSchema)
    def post(self, args, unit_id):
        """Swap an accepted vendor-managed (Maxell) unit from the vendor pool instead of repairing it.

        409 when the unit is not a vendor-managed model, not accepted, already swapped, or the
        pool holds no good unit of its part (``code`` pool_empty; nothing changed)."""
        unit = service.get_unit(actor(), unit_id)
        return swap.swap_unit(actor(), unit, **args)


@blp.route("/dispatches")
class Dispatches(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairShipArgs)
    @blp.response(201, s.RepairShipmentRefSchema)
    def post(self, args):
        """Send accepted units to the factory in one shipment."""
        units = search.units_by_serials(actor(), args["serials"])
        shipment = factory.dispatch_to_factory(actor(), units, carrier=args["carrier"], waybill=args["waybill"])
        return {"number": shipment.number, "units": units}


@blp.route("/returns")
class Returns(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairShipArgs)
    @blp.response(201, s.RepairShipmentRefSchema)
    def post(self, args):
        """Ship units back to their dealer in one shipment."""
        units = search.units_by_serials(actor(), args["serials"])
        shipment = factory.ship_to_dealer(actor(), units, carrier=args["carrier"], waybill=args["waybill"])
        return {"number": shipment.number, "units": units}


@blp.route("/boxes")
class Boxes(MethodView):
    @roles_required(*HANDS)
    @blp.arguments(s.RepairBoxListArgs, location="query")
    @blp.response(200, s.RepairBoxSchema(many=True))
    def get(self, args):
        """Open boxes at the scan station (``state=open``): one per destination, with their units."""
        return [boxes.box_view(box) for box in boxes.open_boxes(actor(), leg=args["leg"])]


@blp.route("/boxes/<int:box_id>")
class BoxItem(MethodView):
    @roles_required(*HANDS)
    @blp.response(200, s.RepairBoxSchema)
    def get(self, box_id):
        """One box (open or closed) with its units."""
        return boxes.box_view(boxes.get_box(actor(), box_id))


@blp.route("/boxes/<int:box_id>/close")
class BoxClose(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairBoxCloseArgs)
    @blp.response(200, s.RepairBoxSchema)
    def post(self, args, box_id):
        """Close the box with the carrier's waybill and the carrier: it is shipped now and its units leave
        with it (409 when already closed; 422 for an empty box or a waybill or carrier that is not one)."""
        box = boxes.close_box(actor(), boxes.get_box(actor(), box_id), waybill=args["waybill"],
                              carrier=args["carrier"])
        return boxes.box_view(box)


@blp.route("/scan")
class Scan(MethodView):
    @roles_required(*HANDS)
    @idempotent
    @blp.arguments(s.RepairScanArgs)
    @blp.response(200, s.RepairScanResultSchema)
    def post(self, args):
        """The scan station's step: perform ``mode``'s step for the scanned ``code``.

        The answer's ``level`` says how to show it (success, warning, error, done, input) and its
        ``message`` names the code; a code that cannot be a serial (a product barcode, a waybill) is a 422
        saying what it looks like; a serial open on another parcel or case is a 409 with ``open_elsewhere``."""
        return scan_station.scan(actor(), **args)


@blp.route("/tasks")
class Tasks(MethodView):
    @roles_required(Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
    @blp.arguments(s.RepairTaskListArgs, location="query")
    @blp.response(200, RepairTaskPageSchema)
    def get(self, args):
        """Repairs tasks: ``/api/v1/tasks?process=repairs`` in this API's older shape
        (``status=disputed`` is the supervisor's queue), a page at a time (``after``: the previous
        page's ``next``)."""
        status = None if args["status"] == "all" else args["status"]
        page = dealer_tasks.tasks_page(actor(), status=status, after=args["after"], per_page=args["per_page"])
        page.loaded = task_service.preload(page.items)  # held until the page is written out
        return page


@blp.route("/tasks/<int:task_id>/resolve")
class TaskResolve(MethodView):
    @roles_required(*DESK)
    @idempotent
    @blp.arguments(s.RepairTaskResolveArgs)
    @blp.response(200, s.RepairTaskSchema)
    def post(self, args, task_id):
        """Record the dealer's answer (as ``/api/v1/tasks/<id>/answer``): repair, return, scrap, agreed or
        dispute; for a model no longer stocked substitute (``substitute_model``, optional
        ``price_difference``), credit (``credit_amount``), return or repair."""
        return task_service.answer(actor(), dealer_tasks.get_task(actor(), task_id), args["decision"], args["note"],
                                   **_terms(args))


@blp.route("/tasks/<int:task_id>/settle")
class TaskSettle(MethodView):
    @roles_required(Role.SUPERVISOR)
    @idempotent
    @blp.arguments(s.RepairTaskSettleArgs)
    @blp.response(200, s.RepairTaskSchema)
    def post(self, args, task_id):
        """The supervisor settles a disputed task (as ``/api/v1/tasks/<id>/settle``; ``repair`` of a quoted
        unit waives the charge, ``repair_paid`` keeps it)."""
        return task_service.settle(actor(), dealer_tasks.get_task(actor(), task_id), args["decision"], args["note"],
                                   **_terms(args))


def _terms(args) -> dict:
    """The decision's terms that were given."""
    return {t: args[t] for t in TERMS if args[t] is not None}


@blp.route("/overdue")
class Overdue(MethodView):
    @roles_required(Role.SUPERVISOR, Role.SERVICE)
    @blp.arguments(CursorArgs, location="query")
    @blp.response(200, RepairOverduePageSchema)
    def get(self, args):
        """Units past their dispatch or ship-back due date, with working days late; the clock that ran
        out first first, a page at a time (``after``: the previous page's ``next``)."""
        report = overdue.overdue_report(actor(), after=args["after"], per_page=args["per_page"])
        return {"items": report["rows"], "per_page": report["page"].per_page, "next": report["page"].next,
                "total": report["total"]}


@blp.route("/prices")
class Prices(MethodView):
    @roles_required(Role.SERVICE, Role.SUPERVISOR)
    @blp.response(200, s.RepairPriceSchema(many=True))
    def get(self):
        """The dated paid-repair price list."""
        return prices.price_list()

    @roles_required(Role.SUPERVISOR)
    @idempotent
    @blp.arguments(s.RepairPriceArgs)
    @blp.response(201, s.RepairPriceSchema)
    def post(self, args):
        """Add a price line for a model ("*": every model) from a date."""
        return prices.add_price(actor(), **args)


@blp.route("/prices/import")
class PriceImport(MethodView):
    @roles_required(Role.SUPERVISOR)
    @idempotent
    @blp.arguments(s.PriceListFileArgs, location="files")
    @blp.response(201, s.RepairPriceSchema(many=True))
    def post(self, files):
        """Import a price list (CSV or XLSX: model, in force from, price, notice); a file with a bad line imports
        nothing and lists the bad lines."""
        upload = files["file"]
        return prices.import_price_list(actor(), upload.read(), upload.filename or "")


@blp.route("/prices/notice")
class PriceNotice(MethodView):
    @roles_required(Role.SUPERVISOR)
    @idempotent
    @blp.arguments(s.RepairPriceNoticeArgs)
    @blp.response(201, s.RepairPriceSchema(many=True))
    def post(self, args):
        """A dated notice changing every price by ``delta``: the rows in force on its day and every row dated
        after it (old quotes keep theirs)."""
        return prices.apply_price_notice(actor(), **args)


def _public_limit():
    return current_app.config.get("REPAIRS_PUBLIC_RATE_LIMIT", "10 per minute")


# One budget per IP for the page and the API together.
public_limit = limiter.shared_limit(_public_limit, scope="repairs-public",
                                    error_message=lambda: _("Too many status queries; wait a minute."))


@blp.route("/public-status")
class PublicStatus(MethodView):
    decorators = [public_limit]

    @blp.arguments(s.RepairPublicStatusArgs, location="query")
    @blp.response(200, s.RepairPublicStatusSchema)
    def get(self, args):
        """Dealer status without login: RMA number + last four digits of the dealer's phone."""
        parcel = dealer_status.public_status(args["rma_number"], args["phone_last4"])
        if parcel is None:
            raise NotFound(_("No parcel matches this RMA number and phone."))
        return {"rma_number": parcel.rma_number, "units": [dealer_status.dealer_summary(u) for u in parcel.units]}
