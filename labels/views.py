"""Label pages: print one record's labels by code, or a batch from a list; files open to print.

Each route looks the record up (404 for an unknown code, 403 for another
office's record), renders the labels in the format asked for
(``format=a4|thermal60x40|thermal100x50|zpl``; for A4 the grid, for ZPL
``size`` and ``dpi``) and returns the PDF or ZPL. Errors show as a readable
page; the batch form shows them above the form, keeping what was typed.
"""
from __future__ import annotations

from flask import Blueprint, flash, get_template_attribute, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from flask_babel import gettext as _

from core.accounts.auth import actor, roles_required
from core.errors import DomainError, ValidationFailed
from core.forms import flash_refusal, read_form, refused, ticked
from core.idempotency import idempotent, new_form_key
from labels import printing, sources
from labels.output import Rendered, parse_options, render_labels
from labels.packing_slip import packing_slip_pdf
from labels.render import THERMAL_SIZES, ZPL_DPIS
from labels.schemas import PDF_FORMATS, DefaultPrinterArgs, LabelBatchArgs, PrintArgs, PrinterArgs, RetryArgs

bp = Blueprint("labels", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/labels", url_prefix="/labels")
bp.add_app_template_global(new_form_key, "new_form_key")

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
        options = read_form(LabelBatchArgs, {**form.to_dict(), "codes": codes})
        kind, codes = options.pop("kind"), options.pop("codes")
        specs = sources.batch_specs(actor(), kind, codes)
        return render_labels(specs, options, default_format=BATCH_DEFAULT, name=f"{kind}-batch").response()
    except DomainError as err:
        # Shown in this answer, so the codes typed stay in the form.
        flash_refusal(err)
        errors = err.errors if isinstance(err, ValidationFailed) else {}
        values = {k: v for k, v in form.items() if k not in ("codes", "csrf_token")}
        values["codes"] = "\n".join(codes)
        return render_template("labels/index.html", kinds=_kinds(), form=values, errors=errors,
                               batch=True), err.status


# --- printers and print jobs ---------------------------------------------------------------------

def _back_url(default_endpoint: str) -> str:
    # Back to the page the form was on (a path on this site only), else ``default_endpoint``.
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for(default_endpoint)


def _back(default_endpoint: str):
    return redirect(_back_url(default_endpoint))


def _refused(err: DomainError, default_endpoint: str):
    return refused(err, back=_back_url(default_endpoint))


def _job_flash(job) -> None:
    if job.status == "sent":
        flash(_("%(count)d label(s) sent to %(printer)s (job %(id)d).", count=job.label_count,
                printer=job.printer.name, id=job.id), "success")
    else:
        flash(_("Job %(id)d to %(printer)s failed: %(reason)s You can retry it or send it to another printer "
                "on the print jobs page.", id=job.id, printer=job.printer.name, reason=job.error or ""), "error")


@bp.route("/send", methods=["POST"])
@roles_required(*sources.STAFF)
@idempotent
def send():
    """"Print to …": send the labels of ``kind``/``codes`` to the chosen (or the default) printer."""
    form = request.form
    raw = form.getlist("codes")
    codes = sources.split_codes(raw[0] if len(raw) == 1 else raw)
    try:
        # The page's select is ``printer_id``; the API's field is ``printer``.
        args = read_form(PrintArgs, {"kind": form.get("kind", ""), "codes": codes,
                                     "printer": form.get("printer_id", "")})
        job = printing.print_labels(actor(), args["kind"], args["codes"], printer_id=args["printer"])
    except DomainError as err:
        return _refused(err, "labels.jobs")
    _job_flash(job)
    return _back("labels.jobs")


@bp.route("/jobs")
@roles_required(*sources.STAFF)
def jobs():
    """The latest print jobs with their state; failed ones can be retried or sent to another printer."""
    user = actor()
    return render_template("labels/jobs.html", jobs=printing.recent_jobs(user), printers=printing.printers(),
                           status_label=printing.status_label, kind_labels=printing.JOB_KIND_LABELS)


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@roles_required(*sources.STAFF)
def retry_job(job_id):
    """Send a failed job again, to its printer or to the one chosen."""
    try:
        args = read_form(RetryArgs, {"printer": request.form.get("printer_id", "")})
        job = printing.retry_job(actor(), job_id, printer_id=args["printer"])
    except DomainError as err:
        return _refused(err, "labels.jobs")
    _job_flash(job)
    return redirect(url_for("labels.jobs"))


@bp.route("/printers")
@roles_required(*printing.ADMIN_ROLES)
def printers():
    """Printers (administrators): register one, change it, give users their default printer."""
    return _printers_page({}, {})


def _printers_page(form, errors, status=200):
    return render_template("labels/printers.html", printers=printing.printers(active_only=False),
                           defaults=printing.defaults(), users=printing.label_users(), form=form, errors=errors,
                           kinds=printing.KIND_LABELS, cjk_modes=printing.CJK_MODE_LABELS,
                           sizes=list(THERMAL_SIZES), dpis=list(ZPL_DPIS), pdf_formats=PDF_FORMATS), status


def _printer_source(*, creating: bool) -> dict:
    """The printer form as the schema loads it: a new printer is in use; on a change the
    unticked "In use" box takes it out of use."""
    return {**request.form.to_dict(), "active": "on" if creating or ticked("active") else ""}


@bp.route("/printers", methods=["POST"])
@roles_required(*printing.ADMIN_ROLES)
@idempotent
def printer_create():
    """Register a printer."""
    source = _printer_source(creating=True)
    try:
        printer = printing.create_printer(actor(), read_form(PrinterArgs, source, named=True))
    except ValidationFailed as err:
        # Shown in this answer, so what was typed stays in the form, each message beside its field.
        flash_refusal(err, beside=PrinterArgs().fields.keys())
        return _printers_page(source, err.errors, 422)
    flash(_("Printer %(name)s registered.", name=printer.name), "success")
    return redirect(url_for("labels.printers"))


@bp.route("/printers/<int:printer_id>", methods=["POST"])
@roles_required(*printing.ADMIN_ROLES)
def printer_update(printer_id):
    """Change a printer's settings, or take it out of use."""
    try:
        printer = printing.update_printer(actor(), printer_id,
                                          read_form(PrinterArgs, _printer_source(creating=False)))
    except DomainError as err:
        return _refused(err, "labels.printers")
    flash(_("Printer %(name)s saved.", name=printer.name), "success")
    return redirect(url_for("labels.printers"))


@bp.route("/printers/defaults", methods=["POST"])
@roles_required(*printing.ADMIN_ROLES)
def printer_default():
    """Give a user (a scan station's sign-in) a default printer, or none."""
    try:
        args = read_form(DefaultPrinterArgs)
        printing.set_default_printer(actor(), args["user_id"], args["printer_id"])
    except DomainError as err:
        return _refused(err, "labels.printers")
    flash(_("Default printer saved."), "success")
    return redirect(url_for("labels.printers"))


@bp.app_template_global("label_printers")
def label_printers():
    """The printers the signed-in user can send labels to, the default first ("Print to …" buttons)."""
    user = actor()
    if user is None or not user.has_role(*sources.STAFF):
        return []
    mine = printing.default_printer(user)
    found = printing.printers()
    return sorted(found, key=lambda p: (mine is None or p.id != mine.id, p.name))


@bp.app_template_global("station_print_script")
def station_print_script():
    """The scan station's F9 binding (print the current unit's label on the default printer), as a script tag."""
    user = actor()
    if user is None or not user.has_role(*sources.HQ):
        return Markup("")
    printer = printing.default_printer(user)
    where = printer.name if printer is not None else _("no default printer: ask an administrator")
    data = {
        "print-url": url_for("labels_api.PrintLabels"),
        "msg-hint": _("F9 prints the label of the unit scanned last (%(printer)s).", printer=where),
        "msg-ready": _("F9: print the label of %(serial)s", serial="{serial}"),
        "msg-sending": _("Sending the label of %(serial)s…", serial="{serial}"),
        "msg-sent": _("Label of %(serial)s sent to %(printer)s.", serial="{serial}", printer="{printer}"),
        "msg-failed": _("The label of %(serial)s did not print: %(reason)s Retry it on the print jobs page.",
                        serial="{serial}", reason="{reason}"),
        "msg-refused": _("The label of %(serial)s cannot be printed: %(reason)s", serial="{serial}",
                         reason="{reason}"),
        "msg-offline": _("No answer from Depot: the label of %(serial)s was not printed. Press F9 again.",
                         serial="{serial}"),
        "msg-nothing": _("Scan a unit first: F9 prints its label."),
    }
    attrs = " ".join(f'data-{k}="{escape(v)}"' for k, v in data.items())
    src = url_for("labels.static", filename="station_print.js")
    return Markup(f'<script src="{escape(src)}" {attrs}></script>')


@bp.app_template_global("label_print_to")
def label_print_to(kind: str, codes):
    """A "Print to …" form (printer choice and button) for other packages' pages; empty without printers.

    ``{% if label_print_to is defined %}{{ label_print_to('unit', [unit.serial]) }}{% endif %}``
    """
    return get_template_attribute("labels/_print.html", "print_to")(kind, list(codes))
