"""DOA API under /api/v1/doa: applications, approvals, receipt, replacement, refund, holds, tasks, files.

Handlers parse input, call one service function and return its result. The
decorators refuse a step to anyone without the step's role; the services
check the same again (and office scoping), so pages and API answer alike.
"""
from __future__ import annotations

from flask import send_file
from flask.views import MethodView

from core.accounts.auth import actor, roles_required
from core.accounts.roles import Role
from core.api import Blueprint
from core.schemas import CursorArgs
from core.tasks import service as task_service
from core.uploads import SIGNATURES
from doa import (
    applications,
    approvals,
    closing,
    lookup,
    overdue,
    receipt,
    replacement,
    service,
    tasks,
)
from doa import attachments as files
from doa import schemas as s
from doa import states as st

blp = Blueprint("doa_api", __name__, url_prefix="/api/v1/doa", description="DOA new-unit exchanges (新品换货)")

READERS = service.READER_ROLES


def _app(number: str):
    return lookup.get_application(actor(), number)


@blp.route("/applications")
class Applications(MethodView):
    @roles_required(*READERS)
    @blp.arguments(s.DoaApplicationListArgs, location="query")
    @blp.response(200, s.DoaApplicationPageSchema)
    def get(self, args):
        """List applications (newest first), by state, overdue, or a search, a page at a time
        (``after``: the previous page's ``next``)."""
        return lookup.applications_page(actor(), state=args["state"], q=args["q"], overdue=args["overdue"],
                                        after=args["after"], per_page=args["per_page"])

    @roles_required(*st.CS)
    @blp.arguments(s.DoaApplicationArgs)
    @blp.response(201, s.DoaApplicationDetailSchema)
    def post(self, args):
        """Enter a dealer's DOA application (replacement or refund); approval is due in 1 working day."""
        return applications.create_application(actor(), source="api", **args)


@blp.route("/applications/<string:number>")
class ApplicationItem(MethodView):
    @roles_required(*READERS)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def get(self, number):
        """One application with its units, decisions and history."""
        return _app(number)


@blp.route("/applications/<string:number>/channel")
class ChannelDecision(MethodView):
    @roles_required(Role.CHANNEL)
    @blp.arguments(s.DoaDecisionArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """The channel department approves or refuses (a refusal needs a reason)."""
        return approvals.decide(actor(), _app(number), "channel", args["decision"], args["reason"])


@blp.route("/applications/<string:number>/product")
class ProductDecision(MethodView):
    @roles_required(Role.PRODUCT)
    @blp.arguments(s.DoaDecisionArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """The product department approves or refuses (a refusal needs a reason)."""
        return approvals.decide(actor(), _app(number), "product", args["decision"], args["reason"])


@blp.route("/applications/<string:number>/cancel")
class Cancel(MethodView):
    @roles_required(*st.CS)
    @blp.arguments(s.DoaReasonArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """Withdraw an application before the unit arrived."""
        return applications.cancel(actor(), _app(number), args["reason"])


@blp.route("/applications/<string:number>/receipt")
class Receipt(MethodView):
    @roles_required(*st.HANDS)
    @blp.arguments(s.DoaReceiptArgs)
    @blp.response(200, s.DoaReceiptResultSchema)
    def post(self, args, number):
        """Receive the dealer's parcel: the serials that arrived, human damage, inbound waybill and freight.

        ``accepted`` is false when the application is not approved: the units
        are then held (not accepted as DOA) with a dealer task.
        """
        return receipt.receive(actor(), _app(number), args["serials"], human_damage=args["human_damage"],
                               waybill=args["waybill"], carrier=args["carrier"],
                               freight_cost=args["freight_cost"], note=args["note"])


@blp.route("/applications/<string:number>/sales-signoff")
class SalesSignoff(MethodView):
    @roles_required(Role.SALES)
    @blp.arguments(s.DoaNoteArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """The sales head signs for the receipt (DOA freight is the sales department's cost)."""
        return closing.sales_signoff(actor(), _app(number), args["note"])


@blp.route("/applications/<string:number>/purchasing")
class Purchasing(MethodView):
    @roles_required(Role.PURCHASING)
    @blp.arguments(s.DoaPurchasingArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """Purchasing repaired or swapped every received unit (swapped: the new serial)."""
        return replacement.record_purchasing(actor(), _app(number), args["units"], note=args["note"])


@blp.route("/applications/<string:number>/replacement-shipment")
class ReplacementShipment(MethodView):
    @roles_required(*st.HANDS)
    @blp.arguments(s.DoaReplacementShipmentArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """Record the finished-goods store's separate shipment of the replacement with its waybill."""
        return replacement.ship_replacement(actor(), _app(number), carrier=args["carrier"], waybill=args["waybill"],
                                        freight_cost=args["freight_cost"], shipped_at=args["shipped_at"],
                                        note=args["note"])


@blp.route("/applications/<string:number>/refund/product")
class RefundProduct(MethodView):
    @roles_required(Role.PRODUCT)
    @blp.arguments(s.DoaDecisionArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """Refund step 1: the product department approves or refuses."""
        return replacement.refund_decide(actor(), _app(number), "product", args["decision"], args["reason"])


@blp.route("/applications/<string:number>/refund/finance")
class RefundFinance(MethodView):
    @roles_required(Role.FINANCE)
    @blp.arguments(s.DoaDecisionArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """Refund step 2: finance approves or refuses (after product)."""
        return replacement.refund_decide(actor(), _app(number), "finance", args["decision"], args["reason"])


@blp.route("/applications/<string:number>/refund/credit")
class RefundCredit(MethodView):
    @roles_required(Role.COMMERCE)
    @blp.arguments(s.DoaCreditArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """Refund step 3: commerce issues the sales return / credit for the refund's amount (after finance).

        ``amount`` is required (more than 0, at most 2 decimals); ``currency`` defaults to CNY.
        """
        return replacement.issue_credit(actor(), _app(number), args["credit_number"], args["note"],
                                    amount=args["amount"], currency=args["currency"])


@blp.route("/applications/<string:number>/switch-to-replacement")
class SwitchToReplacement(MethodView):
    @roles_required(*st.CS)
    @blp.arguments(s.DoaNoteArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """After a refused refund the dealer takes a replacement instead."""
        return replacement.switch_to_replacement(actor(), _app(number), args["note"])


@blp.route("/applications/<string:number>/closing-waiver")
class ClosingWaiver(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(s.DoaWaiverArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """The supervisor waives the missing sales sign-off / signed scan so the case can close (reason required)."""
        return closing.waive_closing_papers(actor(), _app(number), args["reason"])


@blp.route("/applications/<string:number>/close")
class Close(MethodView):
    @roles_required(*st.ACTION_ROLES["close"])
    @blp.arguments(s.DoaNoteArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """Close a case whose replacement shipped or refund was credited.

        409 naming what is missing unless the sales head signed and the signed
        application is scanned, or the supervisor waived them.
        """
        return closing.close_case(actor(), _app(number), args["note"])


@blp.route("/applications/<string:number>/reopen")
class Reopen(MethodView):
    @roles_required(*st.ACTION_ROLES["reopen"])
    @blp.arguments(s.DoaSettleNoteArgs)
    @blp.response(200, s.DoaApplicationDetailSchema)
    def post(self, args, number):
        """The supervisor settles the dealer's dispute of a refusal in the dealer's favour: approval starts again."""
        return approvals.reopen(actor(), _app(number), args["note"])


@blp.route("/applications/<string:number>/attachments")
class Attachments(MethodView):
    @roles_required(*files.READERS)
    @blp.response(200, s.DoaAttachmentSchema(many=True))
    def get(self, number):
        """The scanned signed applications of one application."""
        return files.attachments(_app(number))

    @roles_required(*files.UPLOADERS)
    @blp.arguments(s.DoaAttachmentFileArgs, location="files")
    @blp.response(201, s.DoaAttachmentSchema)
    def post(self, upload, number):
        """Attach the scanned signed application (multipart ``file``: PDF, JPEG or PNG, checked by content)."""
        storage = upload["file"]
        return files.add_attachment(actor(), _app(number), getattr(storage, "stream", None),
                                    getattr(storage, "filename", "") or "")


@blp.route("/attachments/<int:attachment_id>")
class AttachmentFile(MethodView):
    @roles_required(*files.READERS)
    @blp.doc(responses={"200": {
        "description": "The scanned file, as an attachment (PDF, JPEG or PNG).",
        "content": {kind: {"schema": {"type": "string", "format": "binary"}} for _, kind, _ in SIGNATURES},
    }})
    def get(self, attachment_id):
        """Download a scanned signed application."""
        row, path = files.get_attachment(actor(), attachment_id)
        return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=files.download_name(row),
                         max_age=0)


@blp.route("/scan")
class Scan(MethodView):
    @roles_required(*st.HANDS)
    @blp.arguments(s.DoaScanArgs)
    @blp.response(200, s.DoaScanResultSchema)
    def post(self, args):
        """DOA receive mode of the scan station: a DOA number or a serial, one step per scan."""
        return receipt.scan_doa_arrival(actor(), args["code"], args["context"], human_damage=args["human_damage"],
                                        dealer_code=args["dealer_code"], waybill=args["waybill"],
                                        carrier=args["carrier"])


@blp.route("/holds")
class Holds(MethodView):
    @roles_required(*READERS)
    @blp.arguments(s.DoaHoldListArgs, location="query")
    @blp.response(200, s.DoaHoldPageSchema)
    def get(self, args):
        """Units that arrived as DOA without an approved application, oldest first, a page at a time
        (``after``: the previous page's ``next``)."""
        return receipt.holds_page(actor(), status=args["status"] or None, after=args["after"],
                                  per_page=args["per_page"])


@blp.route("/holds/<int:hold_id>/repair")
class HoldToRepair(MethodView):
    @roles_required(*st.HANDS)
    @blp.arguments(s.DoaConvertArgs)
    @blp.response(201, s.DoaParcelRefSchema)
    def post(self, args, hold_id):
        """Turn a held unit into an ordinary repair (a new RMA parcel, the unit received)."""
        return receipt.convert_hold_to_repair(actor(), receipt.get_hold(actor(), hold_id), **args)


@blp.route("/holds/<int:hold_id>/set-aside")
class HoldSetAside(MethodView):
    @roles_required(*st.HANDS)
    @blp.arguments(s.DoaSetAsideArgs)
    @blp.response(200, s.DoaHoldSchema)
    def post(self, args, hold_id):
        """Set a held unit aside (a note says why and where)."""
        return receipt.set_hold_aside(actor(), receipt.get_hold(actor(), hold_id), args["note"])


@blp.route("/tasks")
class Tasks(MethodView):
    @roles_required(Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
    @blp.arguments(s.DoaTaskListArgs, location="query")
    @blp.response(200, s.DoaTaskPageSchema)
    def get(self, args):
        """DOA dealer-contact tasks (due the day they open): ``/api/v1/tasks?process=doa`` in this API's older shape."""
        page = tasks.tasks_page(actor(), status=args["status"] or None, after=args["after"],
                                per_page=args["per_page"])
        page.loaded = task_service.preload(page.items)  # held until the page is written out
        return page


@blp.route("/tasks/<int:task_id>/resolve")
class TaskResolve(MethodView):
    @roles_required(*st.CS)
    @blp.arguments(s.DoaTaskDecisionArgs)
    @blp.response(200, s.DoaTaskSchema)
    def post(self, args, task_id):
        """Record the dealer's answer (as ``/api/v1/tasks/<id>/answer``): proceed / not_doa / dispute, or
        agreed / dispute."""
        return task_service.answer(actor(), tasks.get_task(actor(), task_id), args["decision"], args["note"])


@blp.route("/tasks/<int:task_id>/settle")
class TaskSettle(MethodView):
    @roles_required(Role.SUPERVISOR)
    @blp.arguments(s.DoaTaskDecisionArgs)
    @blp.response(200, s.DoaTaskSchema)
    def post(self, args, task_id):
        """The supervisor settles a dispute (as ``/api/v1/tasks/<id>/settle``): proceed / not_doa, reopen
        (a disputed refusal), or agreed."""
        return task_service.settle(actor(), tasks.get_task(actor(), task_id), args["decision"], args["note"])


@blp.route("/overdue")
class Overdue(MethodView):
    @roles_required(Role.SERVICE, Role.SUPERVISOR, Role.OFFICE)
    @blp.arguments(CursorArgs, location="query")
    @blp.response(200, s.DoaOverduePageSchema)
    def get(self, args):
        """Applications past the internal approval (1 working day) or the replacement (7 working days), the
        oldest due first, a page at a time (``after``: the previous page's ``next``)."""
        return overdue.overdue_page(actor(), after=args["after"], per_page=args["per_page"])


@blp.route("/lookup")
class Lookup(MethodView):
    @roles_required(*READERS)
    @blp.arguments(s.DoaLookupArgs, location="query")
    @blp.response(200, s.DoaApplicationSchema(many=True))
    def get(self, args):
        """Find DOA cases by DOA number, serial, replacement serial, waybill, credit number or dealer."""
        return lookup.find_doa(args["q"], actor=actor())
