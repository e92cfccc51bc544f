"""The dealer's status page: no login, RMA number + last four digits of the dealer's phone."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from core.errors import ValidationFailed
from core.forms import flash_refusal, read_form
from repairs import dealer_status
from repairs.api import public_limit
from repairs.schemas import RepairPublicStatusArgs
from repairs.states import UnitState

bp = Blueprint("public", __name__, url_prefix="/status", template_folder="templates")


@bp.route("", methods=["GET"])
def status_form():
    """The empty form."""
    return render_template("repairs/public_status.html", parcel=None, failed=False, form={})


@bp.route("", methods=["POST"])
@public_limit
def status():
    """Show the parcel's units and states for a matching pair; one neutral answer otherwise."""
    form = {"rma_number": (request.form.get("rma_number") or "").strip()[:20]}
    try:
        args = read_form(RepairPublicStatusArgs, {k: (v or "").strip() for k, v in request.form.items()})
    except ValidationFailed as err:
        flash_refusal(err)
        return render_template("repairs/public_status.html", parcel=None, failed=False, form=form), err.status
    parcel = dealer_status.public_status(args["rma_number"], args["phone_last4"])
    if parcel is None:
        return render_template("repairs/public_status.html", parcel=None, failed=True, form=form), 404
    units = [dealer_status.dealer_summary(u) for u in parcel.units]
    return render_template("repairs/public_status.html", parcel=parcel, units=units, failed=False, form=form,
                           UnitState=UnitState)
