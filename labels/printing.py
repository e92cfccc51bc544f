"""Printers and print jobs: labels sent straight to a Zebra (ZPL, raw TCP 9100) or an IPP printer (PDF).

Admins register printers and give users a default printer (the one the scan
station's F9 and "Print to …" buttons use). Printing records a
:class:`~labels.models.PrintJob` (what it prints: the kind of label and the
codes; its bytes; the printer) and sends it in the same request:

- ``queued`` → ``sent`` when the printer took the whole job, or ``failed`` with
  the reason. A failed job can be retried, on its printer or redirected to
  another; a sent job is done: retrying it is refused (409), so a retry never
  prints it again.
- The send happens after the job's row is claimed with a guarded transition
  (``JOB_WORKFLOW``, a :class:`core.workflow.Workflow`) and before the request commits, so of two retries at once
  the second waits for the first and finds it sent.

Raw TCP (ZPL): the whole job goes in one connection; Depot then closes its
side and waits for the printer to close its own. Only that clean close marks
the job sent. A connection refused, reset or dropped before then is tried again
with the same job, up to :data:`ATTEMPTS` connections. Each label format carries
the job's token in a ``^FX`` comment, so a printer log or a capture shows a
duplicate for what it is.

What this cannot promise (at least once, not exactly once): a connection cut
after the printer had read some *complete* label formats prints those again on
the retry; and a printer that prints but never closes the connection leaves the
job ``failed`` ("did not confirm"), which a person may retry. IPP: a request
that left whole but got no answer is not tried again on its own (it may have
printed); the job is ``failed`` with that reason.
"""
from __future__ import annotations

import socket
import time
import uuid

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE
from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import select

from core.accounts.models import User
from core.accounts.roles import Role
from core.authz import SYSTEM, require
from core.accounts.service import user_by_id
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.locking import lock_row
from core.types import utcnow
from core.validation_messages import translate_messages
from labels import ipp, render, sources
from labels.models import JOB_WORKFLOW, RAW_PORT, JobStatus, Printer, PrinterDefault, PrintJob
from labels.output import render_labels
from labels.packing_slip import packing_slip_pdf
from labels.schemas import PrinterArgs

ATTEMPTS = 3                 # connections tried for one send (DEPOT_PRINT_ATTEMPTS)
TIMEOUT_SECONDS = 10.0       # connect, send and the printer's close (DEPOT_PRINT_TIMEOUT)
RETRY_PAUSE_SECONDS = 0.2    # between two connections of one send
BUSY_PAUSE_SECONDS = 0.5     # before asking a printer busy with another job again
ADMIN_ROLES = (Role.ADMIN,)
PACKING_SLIP = "packing_slip"
PRINT_KINDS = (*sources.KINDS, PACKING_SLIP)   # what a print job prints: labels of a kind, or a packing slip

STATUS_LABELS = JobStatus.labels()
KIND_LABELS = {"zpl": _l("Zebra (ZPL over TCP)"), "ipp": _l("IPP printer or CUPS queue (PDF)")}
JOB_KIND_LABELS = {**sources.KIND_LABELS, PACKING_SLIP: _l("Packing slip")}
CJK_MODE_LABELS = {"graphic": _l("draw Chinese as a graphic (any printer)"),
                   "font": _l("a CJK font stored on the printer")}


def status_label(status: str) -> str:
    """A job status in words."""
    return JobStatus.label_of(status)


def _setting(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


# --- printers ---------------------------------------------------------------------------------

def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]})


def _require_admin(actor) -> None:
    require(actor, *ADMIN_ROLES, message=_("Only an administrator can set up printers."))


def printers(*, active_only: bool = True) -> list[Printer]:
    """The registered printers by name."""
    query = select(Printer).order_by(Printer.name)
    if active_only:
        query = query.where(Printer.active.is_(True))
    return list(db.session.scalars(query))


def _row_id(value) -> int | None:
    """``value`` as a row id the database can hold, or None (a typed form value, a bogus number)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if is_id(number) else None


def printer_by_id(printer_id) -> Printer:
    """The printer ``printer_id``, or NotFound."""
    ident = _row_id(printer_id)
    printer = db.session.get(Printer, ident) if ident is not None else None
    if printer is None:
        raise NotFound(_("There is no such printer."))
    return printer


def _printer_values(data: dict) -> dict:
    """A printer's settings loaded through :class:`~labels.schemas.PrinterArgs` (the API's and
    the page's schema), or ValidationFailed naming every wrong field."""
    try:
        return PrinterArgs().load(data, unknown=EXCLUDE)
    except MarshmallowError as err:
        errors = translate_messages(err.messages if isinstance(err.messages, dict) else {"": err.messages})
        first = next(iter(_messages(errors)), _("Some fields need correcting."))
        raise ValidationFailed(first, errors=errors) from None


def _messages(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _messages(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _messages(item)
    else:
        yield str(value)


def _name_taken(name: str, except_id: int | None = None) -> bool:
    query = select(Printer.id).where(Printer.name == name)
    if except_id is not None:
        query = query.where(Printer.id != except_id)
    return db.session.scalar(query) is not None


def create_printer(actor, data: dict) -> Printer:
    """Register a printer (administrators)."""
    _require_admin(actor)
    values = _printer_values(data)
    if _name_taken(values["name"]):
        raise _field_error("name", _("A printer named “%(name)s” exists already.", name=values["name"]))
    printer = Printer(**values)
    db.session.add(printer)
    db.session.flush()
    return printer


def update_printer(actor, printer_id, data: dict) -> Printer:
    """Change a printer's settings (administrators); ``active`` false takes it off the lists."""
    _require_admin(actor)
    printer = printer_by_id(printer_id)
    lock_row(Printer, printer.id)
    values = _printer_values(data)
    if _name_taken(values["name"], printer.id):
        raise _field_error("name", _("A printer named “%(name)s” exists already.", name=values["name"]))
    for key, value in values.items():
        setattr(printer, key, value)
    db.session.flush()
    return printer


def set_default_printer(actor, user_id, printer_id) -> PrinterDefault | None:
    """Give user ``user_id`` a default printer (None or "" removes it); administrators."""
    _require_admin(actor)
    ident = _row_id(user_id)
    if ident is None:
        raise _field_error("user_id", _("Choose a user."))
    user = user_by_id(ident)
    lock_row(type(user), user.id)
    current = db.session.get(PrinterDefault, user.id)
    if printer_id in (None, ""):
        if current is not None:
            db.session.delete(current)
            db.session.flush()
        return None
    printer = printer_by_id(printer_id)
    if not printer.active:
        raise _field_error("printer_id", _("This printer is switched off in Depot; choose another."))
    if current is None:
        current = PrinterDefault(user_id=user.id, printer_id=printer.id)
        db.session.add(current)
    else:
        current.printer_id = printer.id
    db.session.flush()
    return current


def label_users() -> list:
    """Active users who print labels (the people and scan stations a default printer is for)."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [u for u in users if u.has_role(*sources.STAFF)]


def defaults() -> dict[int, Printer]:
    """Every user's default printer, by user id."""
    rows = db.session.scalars(select(PrinterDefault))
    return {row.user_id: row.printer for row in rows}


def default_printer(actor) -> Printer | None:
    """``actor``'s default printer, if it has one that is in use."""
    if actor is None:
        return None
    row = db.session.get(PrinterDefault, actor.id)
    return row.printer if row is not None and row.printer.active else None


def _printer_for(actor, printer_id) -> Printer:
    if printer_id in (None, ""):
        printer = default_printer(actor)
        if printer is None:
            raise _field_error("printer", _("You have no default printer; choose a printer (an administrator "
                                            "can set your default under Labels → Printers)."))
        return printer
    printer = printer_by_id(printer_id)
    if not printer.active:
        raise _field_error("printer", _("This printer is switched off in Depot; choose another."))
    return printer


# --- documents --------------------------------------------------------------------------------

def _tag_zpl(text: str, token: str) -> str:
    # A comment in every label format: the job is recognisable in what the printer received.
    return text.replace("^XA\n", f"^XA\n^FXDepot job {token}^FS\n")


def _document(printer: Printer, specs, token: str) -> tuple[bytes, str]:
    """The bytes to send to ``printer`` for ``specs`` and their content type."""
    if printer.kind == "zpl":
        font = printer.cjk_font if printer.cjk_mode == "font" else None
        text = render.zpl(specs, size=printer.label_size, dpi=printer.dpi, cjk_font=font,
                          cjk_mode=printer.cjk_mode)
        return _tag_zpl(text, token).encode("utf-8"), "application/vnd.zebra-zpl"
    rendered = render_labels(specs, {"format": printer.pdf_format}, default_format="a4",
                             name=f"Depot job {token}")
    return rendered.body, "application/pdf"


def _build(actor, printer: Printer, kind: str, codes, token: str) -> tuple[bytes, str, int, str]:
    """(bytes, content type, labels or pages, document kind) of ``kind``/``codes`` for ``printer``.

    A packing slip is an A4 sheet: only an IPP printer takes it.
    """
    if kind == PACKING_SLIP:
        codes = sources.split_codes(codes)
        if len(codes) != 1:
            raise _field_error("codes", _("Print one shipment's packing slip at a time."))
        if printer.kind != "ipp":
            raise _field_error("printer", _("A packing slip is an A4 sheet: choose an IPP printer."))
        body = packing_slip_pdf(sources.shipment_for(actor, codes[0]))
        return body, "application/pdf", 1, "packing_slip"
    specs = sources.batch_specs(actor, kind, codes)
    body, content_type = _document(printer, specs, token)
    return body, content_type, len(specs), "labels"


# --- sending ----------------------------------------------------------------------------------

class SendFailed(Exception):
    """A send that did not succeed; ``retry``: nothing (or no complete job) reached the printer;
    ``busy``: the printer took nothing because it is printing another job (worth waiting for)."""

    def __init__(self, reason: str, *, retry: bool, busy: bool = False):
        super().__init__(reason)
        self.retry = retry
        self.busy = busy


def send_raw(host: str, port: int, data: bytes, *, timeout: float) -> None:
    """The whole of ``data`` in one TCP connection; returns once the printer closed it cleanly."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as err:
        raise SendFailed(_("Could not connect to the printer (%(error)s).", error=err), retry=True) from err
    try:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            # The printer closes its side once it has read everything we sent: only then is it done.
            while sock.recv(4096):
                pass
        except socket.timeout as err:
            raise SendFailed(_("The printer did not confirm the end of the job within %(s)d seconds.",
                               s=int(timeout)), retry=False) from err
        except OSError as err:
            raise SendFailed(_("The connection to the printer dropped before the job was complete (%(error)s).",
                               error=err), retry=True) from err
    finally:
        sock.close()


def _send_once(job: PrintJob, printer: Printer, timeout: float) -> None:
    if printer.kind == "zpl":
        send_raw(printer.host, printer.port or RAW_PORT, job.body, timeout=timeout)
        return
    try:
        ipp.print_job(printer.uri, job.body, document_format=job.content_type, job_name=f"Depot job {job.token}",
                      user="depot", timeout=timeout)
    except ipp.IppError as err:
        reason = str(err)
        if err.sent:
            reason = _("%(reason)s It may have printed: check the printer before retrying.", reason=reason)
        raise SendFailed(reason, retry=not err.sent, busy=err.busy) from err


def _deliver(job: PrintJob) -> PrintJob:
    """Send a queued job (its row claimed by the caller): ``sent``, or ``failed`` with the reason.

    A connection refused or dropped is tried again, up to ATTEMPTS connections;
    a printer busy with another job (IPP) is asked again until the timeout.
    """
    printer = job.printer
    attempts = max(1, int(_setting("DEPOT_PRINT_ATTEMPTS", ATTEMPTS)))
    timeout = float(_setting("DEPOT_PRINT_TIMEOUT", TIMEOUT_SECONDS))
    deadline = time.monotonic() + timeout
    reason = ""
    dropped = 0
    while True:
        job.attempts += 1
        job.last_attempt_at = utcnow()
        try:
            _send_once(job, printer, timeout)
        except SendFailed as err:
            reason = str(err)
            if err.busy and time.monotonic() < deadline:
                time.sleep(BUSY_PAUSE_SECONDS)
                continue
            dropped += 1
            if err.retry and dropped < attempts:
                time.sleep(RETRY_PAUSE_SECONDS)
                continue
            break
        # The send is no person's step: SYSTEM records it (who asked is the job's user).
        JOB_WORKFLOW.apply(SYSTEM, job, "send_ok", sent_at=utcnow(), error=None)
        db.session.flush()
        return job
    JOB_WORKFLOW.apply(SYSTEM, job, "send_fail", error=reason[:2000])
    db.session.flush()
    return job


def print_labels(actor, kind: str, codes, *, printer_id=None) -> PrintJob:
    """Print the labels of ``codes`` (records of ``kind``) on a printer (the actor's default if none given).

    ``kind`` "packing_slip" prints one shipment's packing slip (an IPP printer).
    The same access rules as the label files; the job is recorded and sent
    now; the job says whether it was sent or why it failed.
    """
    if kind not in PRINT_KINDS:
        raise _field_error("kind", _("Unknown kind of label; use one of: %(kinds)s.", kinds=", ".join(PRINT_KINDS)))
    printer = _printer_for(actor, printer_id)
    token = uuid.uuid4().hex
    body, content_type, count, document = _build(actor, printer, kind, codes, token)
    job = PrintJob(token=token, printer_id=printer.id, printer=printer, user_id=getattr(actor, "id", None),
                   status=JobStatus.QUEUED, document=document, source_kind=kind,
                   source_codes=sources.split_codes(codes), options={}, label_count=count,
                   content_type=content_type, body=body, attempts=0, retries=0)
    db.session.add(job)
    db.session.flush()
    return _deliver(job)


def job_by_id(actor, job_id) -> PrintJob:
    """The print job ``job_id``: its owner's, or any for HQ staff; NotFound otherwise."""
    ident = _row_id(job_id)
    job = db.session.get(PrintJob, ident) if ident is not None else None
    if job is None or not _may_see(actor, job):
        raise NotFound(_("There is no such print job."))
    return job


def _may_see(actor, job: PrintJob) -> bool:
    return actor is not None and (job.user_id == actor.id or actor.has_role(*sources.HQ))


def retry_job(actor, job_id, *, printer_id=None) -> PrintJob:
    """Send a failed job again, to its printer or to ``printer_id`` (redirected).

    A job already sent is done: refused with 409, never printed twice. A job
    redirected to another printer is drawn again for that printer (ZPL or PDF,
    its size), from the same records, with the same token.
    """
    job = job_by_id(actor, job_id)
    JOB_WORKFLOW.apply(actor, job, "retry", retries=job.retries + 1)
    if printer_id not in (None, "") and _row_id(printer_id) != job.printer_id:
        printer = _printer_for(actor, printer_id)
        job.body, job.content_type, job.label_count, job.document = _build(
            actor, printer, job.source_kind, job.source_codes, job.token)
        job.printer_id, job.printer = printer.id, printer
    db.session.flush()
    return _deliver(job)


def recent_jobs(actor, *, limit: int = 100) -> list[PrintJob]:
    """The latest print jobs: HQ staff see every one, others their own."""
    query = select(PrintJob).order_by(PrintJob.id.desc()).limit(limit)
    if not actor.has_role(*sources.HQ):
        query = query.where(PrintJob.user_id == actor.id)
    return list(db.session.scalars(query))


def job_view(job: PrintJob) -> dict:
    """A job as the API and the pages show it."""
    return {
        "id": job.id, "token": job.token, "status": job.status, "status_label": status_label(job.status),
        "printer": {"id": job.printer.id, "name": job.printer.name, "kind": job.printer.kind},
        "document": job.document, "kind": job.source_kind, "codes": list(job.source_codes or []),
        "labels": job.label_count, "attempts": job.attempts, "retries": job.retries, "error": job.error,
        "created_at": job.created_at, "sent_at": job.sent_at, "bytes": len(job.body or b""),
    }


def printer_view(printer: Printer) -> dict:
    """A printer as the API shows it."""
    return {"id": printer.id, "name": printer.name, "kind": printer.kind, "target": printer.target,
            "label_size": printer.label_size, "dpi": printer.dpi, "cjk_mode": printer.cjk_mode,
            "pdf_format": printer.pdf_format, "active": printer.active}

