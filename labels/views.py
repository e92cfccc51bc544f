"""Label pages: print one record's labels by code, or a batch from a list; files open to print.

Each route looks the record up (404 for an unknown code, 403 for another
office's record), renders the labels in the format asked for
(``format=a4|thermal60x40|thermal100x50|zpl``; for A4 the grid, for ZPL
``size`` and ``dpi``) and returns the PDF or ZPL. Errors show as a readable
page; the batch form shows them above the form, keeping what was typed.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.accounts.auth import actor, roles_required
from core.errors import DomainError, ValidationFailed
from labels import sources
from labels.output import Rendered, parse_options, render_labels
from labels.packing_slip import packing_slip_pdf

bp = Blueprint("labels", __name__, template_folder="templates", url_prefix="/labels")

SINGLE_DEFAULT = "thermal60x40"   # one record: the thermal printer at the bench
BATCH_DEFAULT = "a4"              # many records: a sheet on the office printer


def _print(kind: str, code: str):
    options = parse_options(request.args)
    specs = sources.specs_for(actor(), kind, code)
    return render_labels(specs, options, default_format=SINGLE_DEFAULT, name=f"{kind}-{code}").response()


@bp.route("/")
@roles_required(*sources.STAFF)
def index():
    """The print page: one record by code, or a batch of codes."""
    return render_template("labels/index.html", kinds=_kinds(), form={}, errors={})


def _kinds():
    user = actor()
    kinds = sources.KINDS if user.has_role(*sources.HQ) else ("shipment", "shelf", "part")
    return [(k, sources.KIND_LABELS[k]) for k in kinds]


_SINGLE_ENDPOINTS = {
    "unit": ("labels.unit_label", "serial"),
    "rma": ("labels.rma_label", "number"),
    "doa": ("labels.doa_label", "number"),
    "shipment": ("labels.shipment_label", "number"),
    "shelf": ("labels.shelf_label", "code"),
    "part": ("labels.part_label", "sku"),
}


@bp.route("/print")
@roles_required(*sources.STAFF)
def lookup():
    """Scan or type one code on the print page: go to that record's labels."""
    kind = request.args.get("kind", "")
    code = (request.args.get("code") or "").strip()
    if kind not in _SINGLE_ENDPOINTS or not code:
        flash(_("Choose a kind of label and scan or type a code."), "error")
        return render_template("labels/index.html", kinds=_kinds(), form=request.args, errors={}), 422
    endpoint, arg = _SINGLE_ENDPOINTS[kind]
    params = {k: v for k, v in request.args.items() if k not in ("kind", "code") and v != ""}
    return redirect(url_for(endpoint, **{arg: code}, **params))


@bp.route("/unit/<path:serial>")
@roles_required(*sources.HQ)
def unit_label(serial):
    """The label of a repair unit, by serial."""
    return _print("unit", serial)


@bp.route("/rma/<path:number>")
@roles_required(*sources.HQ)
def rma_label(number):
    """The parcel label of an RMA and one label per unit of the parcel."""
    return _print("rma", number)


@bp.route("/doa/<path:number>")
@roles_required(*sources.HQ)
def doa_label(number):
    """The label of a DOA application and one label per declared unit."""
    return _print("doa", number)


@bp.route("/shipment/<number>")
@roles_required(*sources.STAFF)
def shipment_label(number):
    """The labels of a shipment, one per piece."""
    return _print("shipment", number)


@bp.route("/shipment/<number>/packing-slip")
@roles_required(*sources.STAFF)
def packing_slip(number):
    """The packing slip PDF of a shipment."""
    shipment = sources.shipment_for(actor(), number)
    pdf = packing_slip_pdf(shipment)
    return Rendered(pdf, "application/pdf", f"packing-slip-{shipment.number}.pdf").response()


@bp.route("/shelf/<path:code>")
@roles_required(*sources.STAFF)
def shelf_label(code):
    """The label of a shelf, bin or store location, by its code."""
    return _print("shelf", code)


@bp.route("/part/<path:sku>")
@roles_required(*sources.STAFF)
def part_label(sku):
    """The label of a part, by SKU."""
    return _print("part", sku)


@bp.route("/batch", methods=["POST"])
@roles_required(*sources.STAFF)
def batch():
    """Labels for a list of codes of one kind (from the print page, a list or a search result).

    Form fields: ``kind``, ``codes`` (repeated, or one per line), ``format`` and
    the grid. Any error re-shows the print page with the message and the codes.
    """
    form = request.form
    kind = form.get("kind", "")
    raw = form.getlist("codes")
    codes = sources.split_codes(raw[0] if len(raw) == 1 else raw)
    try:
        options = parse_options(form)
        specs = sources.batch_specs(actor(), kind, codes)
        return render_labels(specs, options, default_format=BATCH_DEFAULT, name=f"{kind}-batch").response()
    except DomainError as err:
        flash(err.message, "error")
        errors = err.errors if isinstance(err, ValidationFailed) else {}
        values = {k: v for k, v in form.items() if k not in ("codes", "csrf_token")}
        values["codes"] = "\n".join(codes)
        return render_template("labels/index.html", kinds=_kinds(), form=values, errors=errors,
                               batch=True), err.status
