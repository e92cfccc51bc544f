"""Complaints API under /api/v1/complaints: register, list, read, the steps, the dealer's letter, the agreement.

Handlers parse input, call one service function and return its result; the services
check roles, office and the staff-complaint rule again, so pages and API answer alike.
"""
from __future__ import annotations

from flask import Response, send_file
from flask.views import MethodView

from complaints import documents, handling, letters, lookup, mediation, registering, service
from complaints import schemas as s
from complaints import states as st
from core.accounts.auth import actor, roles_required
from core.api import Blueprint
from core.idempotency import idempotent
from core.pagination import paginate
from core.uploads import SIGNATURES

blp = Blueprint("complaints_api", __name__, url_prefix="/api/v1/complaints",
                description="Dealer complaints (客诉): tiers, internal letter, handling report, return visit")

READERS = service.READER_ROLES
# Every step's own roles are checked by the service; the door admits whoever takes some step.
STEP_ROLES = (*st.CS, *st.GM)
MEDIATION_ROLES = (*st.HEAD, *st.GM)


@blp.route("")
class Complaints(MethodView):
    @roles_required(*READERS)
    @blp.arguments(s.ComplaintListArgs, location="query")
    @blp.response(200, s.ComplaintPageSchema)
    def get(self, args):
        """List complaints (newest first) by state, tier, overdue, or CS number / subject."""
        stmt = service.complaints(actor(), state=args["state"], tier=args["tier"], q=args["q"],
                                  overdue=args["overdue"])
        return paginate(stmt, args["page"], args["per_page"])

    @roles_required(*st.CS)
    @idempotent
    @blp.arguments(s.ComplaintArgs)
    @blp.response(201, s.ComplaintDetailSchema)
    def post(self, args):
        """Register a dealer's complaint under the next CS number; the answer is due by its tier
        (ordinary 2, serious 7 working days; very serious: set by the supervisor)."""
        complaint = registering.register(actor(), **args)
        return lookup.ComplaintView(actor(), complaint)


@blp.route("/<string:number>")
class ComplaintItem(MethodView):
    @roles_required(*READERS)
    @blp.response(200, s.ComplaintDetailSchema)
    def get(self, number):
        """One complaint with its report, sign-off, approval, return visit, letters, agreement and history."""
        return lookup.detail(actor(), number)


@blp.route("/<string:number>/steps/<string:step>")
class ComplaintStep(MethodView):
    @roles_required(*STEP_ROLES)
    @blp.arguments(s.ComplaintStepArgs)
    @blp.response(200, s.ComplaintDetailSchema)
    def post(self, args, number, step):
        """One step: ``refer`` (department_id, text: the internal letter), ``department_answer`` (text),
        ``report`` (text, compensation), ``sign_off``, ``gm_approve``, ``gm_return`` (text: what to change),
        ``set_due`` (due_on), ``update`` (text),
        ``answer`` (text), ``fix`` (text), ``visit`` (text, satisfied), ``close``.

        Answering a serious complaint before its handling report is signed off is a 409.
        """
        complaint = service.get_complaint(actor(), number)
        handling.step(actor(), complaint, step, args)
        return lookup.ComplaintView(actor(), complaint)


@blp.route("/<string:number>/letters")
class Letters(MethodView):
    @roles_required(*st.CS)
    @blp.arguments(s.AttachmentFileArgs, location="files")
    @blp.response(201, s.ComplaintAttachmentSchema)
    def post(self, upload, number):
        """Keep the dealer's written complaint letter on file (multipart ``file``: PDF, JPEG or PNG)."""
        storage = upload["file"]
        return letters.attach_letter(actor(), service.get_complaint(actor(), number),
                                     getattr(storage, "stream", None), getattr(storage, "filename", "") or "")


@blp.route("/letters/<int:attachment_id>")
class LetterFile(MethodView):
    @roles_required(*READERS)
    @blp.doc(responses={"200": {
        "description": "The dealer's letter as filed (PDF, JPEG or PNG).",
        "content": {kind: {"schema": {"type": "string", "format": "binary"}} for _, kind, _ in SIGNATURES},
    }})
    def get(self, attachment_id):
        """Download a dealer's complaint letter."""
        row, path, name = letters.get_attachment(actor(), attachment_id)
        return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=name, max_age=0)


@blp.route("/<string:number>/forms/<any(" + ", ".join(f'"{k}"' for k in documents.KINDS) + "):kind>")
class FormPdf(MethodView):
    @roles_required(*READERS)
    @blp.doc(responses={"200": {"description": "The form as a PDF with its form code and the CS number.",
                                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
    def get(self, number, kind):
        """One of the complaint's forms as a PDF: ``dealer-letter`` (附件6), ``internal-letter`` (附件7),
        ``report`` (附件8, with its sign-off block), ``mediation`` (附件9; supervisor and GM's assistant only)."""
        complaint = service.get_complaint(actor(), number)
        body, name = documents.render(actor(), complaint, kind)
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@blp.route("/<string:number>/mediation")
class Mediation(MethodView):
    @roles_required(*MEDIATION_ROLES)
    @blp.arguments(s.MediationArgs)
    @blp.response(201, s.MediationSchema)
    def post(self, args, number):
        """Record the signed mediation agreement (附件9) of a very serious complaint; the ID number is stored
        encrypted, and only the supervisor and the GM's assistant read the customer's data unmasked."""
        complaint = service.get_complaint(actor(), number)
        row = mediation.record(actor(), complaint, **args)
        return mediation.shown(actor(), row)
