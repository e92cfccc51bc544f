"""Printers, each user's default printer, and print jobs (labels.printing sends them)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, utcnow
from core.workflow import LabelledEnum, Workflow

# How Depot reaches a printer: ZPL over a raw TCP socket (port 9100), or PDF by IPP (a printer or a CUPS queue).
PRINTER_KINDS = ("zpl", "ipp")
RAW_PORT = 9100


class JobStatus(LabelledEnum):
    """Where a print job is; each member carries its words."""

    QUEUED = "queued", _l("queued")  # recorded, not sent yet
    SENT = "sent", _l("sent")  # the printer took every byte (done, never sent again)
    # not (or not surely) taken, with the reason; a retry sends the same job again
    FAILED = "failed", _l("failed")


JOB_STATUSES = tuple(JobStatus)

# A sent job is finished: nothing leads out of it, so a retry of it is refused (409).
JOB_TRANSITIONS: dict[str, dict[str, str]] = {
    JobStatus.QUEUED: {"send_ok": JobStatus.SENT, "send_fail": JobStatus.FAILED},
    JobStatus.FAILED: {"retry": JobStatus.QUEUED},
    JobStatus.SENT: {},
}

JOB_ACTION_LABELS = {"send_ok": _l("sent to the printer"), "send_fail": _l("sending failed"),
                     "retry": _l("retry")}

# No event table: the audited flush records each change of status.
JOB_WORKFLOW = Workflow(states=JobStatus, transitions=JOB_TRANSITIONS, action_labels=JOB_ACTION_LABELS,
                        column="status", name_attr="name", stamp=None)
# What a job prints: labels of one kind of record, or a shipment's packing slip (labels.printing).
DOCUMENT_KINDS = ("labels", "packing_slip")


class Printer(db.Model):
    """A printer Depot sends to: a Zebra on raw TCP (ZPL) or an IPP printer or CUPS queue (PDF)."""

    __tablename__ = "label_printer"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    # zpl: host and port; ipp: the printer's URI (ipp://host:631/printers/x).
    host: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    uri: Mapped[str | None] = mapped_column(String(500))
    # zpl: the label size and resolution; how Chinese is drawn (a font on the printer, or a graphic field).
    label_size: Mapped[str] = mapped_column(String(16), default="60x40")
    dpi: Mapped[int] = mapped_column(Integer, default=203)
    cjk_mode: Mapped[str] = mapped_column(String(8), default="graphic")
    cjk_font: Mapped[str | None] = mapped_column(String(64))
    # ipp: the PDF layout it takes (a4, thermal60x40, thermal100x50).
    pdf_format: Mapped[str] = mapped_column(String(16), default="a4")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def target(self) -> str:
        """Where the printer is, as shown to people."""
        return f"{self.host}:{self.port}" if self.kind == "zpl" else (self.uri or "")


class PrinterDefault(db.Model):
    """The printer a user's labels go to unless they choose another (the scan station's F9)."""

    __tablename__ = "label_printer_default"
    __audited__ = True

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    printer_id: Mapped[int] = mapped_column(ForeignKey("label_printer.id", ondelete="CASCADE"))

    printer: Mapped[Printer] = relationship()


class PrintJob(db.Model):
    """One document sent (or to be sent) to one printer: what it prints, its bytes, its attempts."""

    __tablename__ = "label_print_job"
    __audited__ = True
    __audit_exclude__ = ("body",)   # the document itself: kilobytes, recorded in the job
    __table_args__ = (Index("ix_label_print_job_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Put in the document itself (a ZPL comment, the IPP job name): a duplicate is recognisable.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    printer_id: Mapped[int] = mapped_column(ForeignKey("label_printer.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED.value)
    document: Mapped[str] = mapped_column(String(16), default="labels")
    # The records printed: the kind of label and their codes (a shipment number for a slip).
    source_kind: Mapped[str] = mapped_column(String(16))
    source_codes: Mapped[list] = mapped_column(JSON, default=list)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    label_count: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    printer: Mapped[Printer] = relationship()

    @property
    def has_failed(self) -> bool:
        """The printer refused it; it may be retried."""
        return self.status == JobStatus.FAILED

    @property
    def name(self) -> str:
        """The job as messages name it."""
        return _("print job %(id)d", id=self.id)
