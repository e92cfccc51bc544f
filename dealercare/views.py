"""Dealer care pages: new dealers being onboarded, one dealer's steps, the policy documents."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from core.accounts.auth import actor, roles_required
from core.errors import DomainError
from core.forms import refused
from core.idempotency import idempotent
from core.pagination import paginate
from core.tasks import service as task_service
from dealercare import documents, onboarding

bp = Blueprint("dealercare", __name__, template_folder="templates", url_prefix="/dealer-care")


@bp.route("/")
@roles_required(*onboarding.STAFF)
def index():
    """New dealers still being onboarded (or all), and the documents the welcome pack carries."""
    user = actor()
    show_all = request.args.get("all") == "1"
    page = paginate(onboarding.onboardings(user, open_only=not show_all), request.args.get("page", 1), 50)
    return render_template("dealercare/index.html", page=page, show_all=show_all,
                           documents=documents.active_documents(),
                           can_edit_documents=user.has_role(*documents.EDITORS),
                           status_label=task_service.status_label)


@bp.route("/dealers/<int:dealer_id>")
@roles_required(*onboarding.STAFF)
def detail(dealer_id):
    """One new dealer: the call script, the call task, the welcome pack and the hand-off."""
    user = actor()
    item = onboarding.get_onboarding(user, dealer_id)
    return render_template("dealercare/detail.html", item=item, dealer=item.dealer,
                           script=onboarding.script_for(item, user), call_done=onboarding.call_done(item),
                           can_send_pack=onboarding.can_send_pack(user, item),
                           can_hand_off=onboarding.can_hand_off(user, item),
                           documents=documents.active_documents(), status_label=task_service.status_label)


@bp.route("/dealers/<int:dealer_id>/<any('welcome-pack', 'hand-off'):step>", methods=["POST"])
@roles_required(*onboarding.STAFF)
@idempotent
def step(dealer_id, step):
    """Send the welcome pack or hand the file to the channel department."""
    user = actor()
    back = url_for("dealercare.detail", dealer_id=dealer_id)
    try:
        item = onboarding.get_onboarding(user, dealer_id)
        if step == "welcome-pack":
            onboarding.send_welcome_pack(user, item)
            flash(_("Welcome pack sent to %(to)s.", to=item.pack_sent_to), "success")
        else:
            onboarding.hand_off(user, item)
            flash(_("Dealer's file sent to the channel department (%(to)s).", to=item.handed_off_to), "success")
    except DomainError as err:
        return refused(err, back)
    return redirect(back)


@bp.route("/documents", methods=["POST"])
@roles_required(*documents.EDITORS)
@idempotent
def upload_document():
    """Add a policy document (PDF) to every welcome pack from now on."""
    storage = request.files.get("file")
    try:
        doc = documents.add_document(actor(), storage.stream if storage else None,
                                     storage.filename if storage else "", request.form.get("title", ""))
    except DomainError as err:
        return refused(err, url_for("dealercare.index"))
    flash(_("Document %(t)s added to the welcome pack.", t=doc.title), "success")
    return redirect(url_for("dealercare.index"))


@bp.route("/documents/<int:document_id>/retire", methods=["POST"])
@roles_required(*documents.EDITORS)
@idempotent
def retire_document(document_id):
    """Stop sending a policy document."""
    try:
        doc = documents.retire_document(actor(), document_id)
    except DomainError as err:
        return refused(err, url_for("dealercare.index"))
    flash(_("Document %(t)s is no longer sent.", t=doc.title), "success")
    return redirect(url_for("dealercare.index"))


@bp.route("/documents/<int:document_id>")
@roles_required(*onboarding.STAFF)
def download_document(document_id):
    """A policy document, as the dealer receives it."""
    doc, path = documents.get_document(actor(), document_id)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=doc.filename, max_age=0)
