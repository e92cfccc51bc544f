"""The new dealer's welcome call, welcome pack and hand-off (manual ch. 3 二.1.1-1.3).

1. A dealer created through the directory opens its onboarding and a welcome-call task, due
   within one working day, with the standard script (1.1, 1.2).
2. After the call CS completes the dealer's file (e-mail, birthday) and sends the welcome pack:
   the policy documents and the staff member's contact, by e-mail from the record (1.2).
3. The completed file is handed to the channel department by e-mail (1.3).

Each step is claimed with a guarded UPDATE, so a second click or a concurrent request is a 409
and nothing is sent twice.
"""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from core import authz, mail
from core.accounts.roles import Role
from core.calendar.service import add_working_days, local_day
from core.directory.models import Dealer, Department
from core.errors import Conflict, MailNotSent, NotFound, ValidationFailed
from core.extensions import db
from core.i18n import N_, message
from core.ids import is_id
from core.tasks import service as task_service
from core.types import utcnow
from core.workflow import who
from dealercare.documents import active_documents, document_path
from dealercare.models import Onboarding, PolicyDocument

STAFF = (Role.SERVICE, Role.SUPERVISOR)
PROCESS = "dealercare"
DEALER = "dealer"
# A new dealer is called within one working day of being created (二.1.1).
WELCOME_CALL_DAYS = 1
# The department the completed file goes to (二.1.3: 传达给对应渠道人员).
CHANNEL_DEPARTMENT = "channel"

WELCOME_SCRIPT = _l(
    "%(contact)s, hello! This is %(staff)s of customer service, your after-sales contact; glad to serve you. "
    "We are entering your details in our records; may I check them with you to be sure they are right? "
    "(Complete the dealer's file: e-mail, birthday, address.) Thank you for your support! To keep in touch, "
    "I will send our policies, the warranty terms and my contact details to your e-mail shortly; please read "
    "them, and call us any time. Goodbye!")


def on_dealer_created(sender, *, dealer: Dealer, at: datetime | None = None, **_extra) -> None:
    """The directory created ``dealer``: start its onboarding (connected in ``init_app``)."""
    start_onboarding(dealer, at=at)


def start_onboarding(dealer: Dealer, *, at: datetime | None = None) -> Onboarding:
    """Open the welcome call for ``dealer`` (once: a dealer already on record keeps its onboarding)."""
    found = db.session.scalar(select(Onboarding).where(Onboarding.dealer_id == dealer.id))
    if found is not None:
        return found
    now = at or utcnow()
    task = task_service.open_task(
        PROCESS, "welcome_call", message(N_("Welcome call to a new dealer, with the standard script")),
        case=(DEALER, dealer.id), dealer_id=dealer.id, office_id=dealer.office_id,
        due_on=add_working_days(local_day(now), WELCOME_CALL_DAYS), at=now)
    onboarding = Onboarding(dealer_id=dealer.id, call_task_id=task.id, started_at=now)
    db.session.add(onboarding)
    db.session.flush()
    return onboarding


# --------------------------------------------------------------------------- reading

def get_onboarding(actor, dealer_id) -> Onboarding:
    """The onboarding of dealer ``dealer_id``; 404 if the dealer has none."""
    authz.require(actor, *STAFF, message=_("Dealer care is for customer service."))
    found = db.session.scalar(select(Onboarding).where(Onboarding.dealer_id == dealer_id)) \
        if is_id(dealer_id) else None
    if found is None:
        raise NotFound(_("This dealer has no onboarding on record."))
    return found


def onboardings(actor, *, open_only: bool = True):
    """Select statement of onboardings, newest first; ``open_only``: not yet handed to the channel department."""
    authz.require(actor, *STAFF, message=_("Dealer care is for customer service."))
    stmt = select(Onboarding).order_by(Onboarding.started_at.desc(), Onboarding.id.desc())
    if open_only:
        stmt = stmt.where(Onboarding.handed_off_at.is_(None))
    return stmt


def script_for(onboarding: Onboarding, actor) -> str:
    """The welcome-call script with the dealer's contact and the caller's name filled in."""
    dealer = onboarding.dealer
    return str(WELCOME_SCRIPT) % {"contact": dealer.contact or dealer.name,
                                  "staff": getattr(actor, "display_name", None) or who(actor)[1]}


def call_done(onboarding: Onboarding) -> bool:
    """The welcome call has been answered (the task is no longer open)."""
    task = onboarding.call_task
    return task is not None and task.status != "open"


def can_send_pack(actor, onboarding: Onboarding) -> bool:
    """Whether the page offers sending the welcome pack: CS, after the call, not yet sent."""
    return actor is not None and actor.has_role(*STAFF) and call_done(onboarding) and onboarding.pack_sent_at is None


def can_hand_off(actor, onboarding: Onboarding) -> bool:
    """Whether the page offers the hand-off: CS, after the welcome pack, not yet handed off."""
    return (actor is not None and actor.has_role(*STAFF) and onboarding.pack_sent_at is not None
            and onboarding.handed_off_at is None)


# --------------------------------------------------------------------------- steps

def _claim(onboarding: Onboarding, column, values: dict, taken_message: str) -> None:
    """Set ``values`` if ``column`` is still empty; a step already done (or done concurrently) is a 409."""
    done = db.session.execute(update(Onboarding).where(Onboarding.id == onboarding.id, column.is_(None))
                              .values(**values).execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.refresh(onboarding)
        raise Conflict(taken_message)
    db.session.refresh(onboarding)


def send_welcome_pack(actor, onboarding: Onboarding, *, at: datetime | None = None) -> Onboarding:
    """E-mail the dealer the policy documents and the caller's contact, once, after the welcome call."""
    authz.require(actor, *STAFF, message=_("Dealer care is for customer service."))
    dealer = onboarding.dealer
    if not call_done(onboarding):
        raise Conflict(_("Make the welcome call first and record it on the task."))
    if not dealer.email:
        raise ValidationFailed(_("The dealer has no e-mail address: complete the dealer's file first."),
                               errors={"email": [_("Required.")]})
    documents = active_documents()
    if not documents:
        raise Conflict(_("There are no policy documents to send: upload them on the dealer care page first."))
    now = at or utcnow()
    _claim(onboarding, Onboarding.pack_sent_at,
           {"pack_sent_at": now, "pack_sent_by": who(actor)[1], "pack_sent_to": dealer.email},
           _("The welcome pack was already sent."))
    _send(welcome_message(dealer, actor, documents))
    return onboarding


def hand_off(actor, onboarding: Onboarding, *, at: datetime | None = None) -> Onboarding:
    """E-mail the completed dealer file to the channel department, once, after the welcome pack."""
    authz.require(actor, *STAFF, message=_("Dealer care is for customer service."))
    if onboarding.pack_sent_at is None:
        raise Conflict(_("Send the welcome pack first: the file is handed over once it is complete."))
    department = db.session.scalar(select(Department).where(Department.code == CHANNEL_DEPARTMENT))
    if department is None or not department.email:
        raise Conflict(_("The channel department has no e-mail address in the directory."))
    now = at or utcnow()
    _claim(onboarding, Onboarding.handed_off_at,
           {"handed_off_at": now, "handed_off_by": who(actor)[1], "handed_off_to": department.email},
           _("The dealer's file was already handed to the channel department."))
    _send(handoff_message(onboarding.dealer, department, actor))
    return onboarding


def _send(message: EmailMessage) -> None:
    try:
        mail.send(message)
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors
        raise MailNotSent(_("The e-mail could not be sent (%(e)s); nothing was recorded. Try again later.",
                            e=type(exc).__name__)) from exc


# --------------------------------------------------------------------------- the messages

def _sender() -> str:
    return current_app.config.get("MAIL_SENDER") or "depot@localhost"


def welcome_message(dealer: Dealer, actor, documents: list[PolicyDocument]) -> EmailMessage:
    """The welcome pack: a short letter with the caller's contact, the policy documents attached."""
    msg = EmailMessage()
    msg["Subject"] = _("Welcome: our service policy and warranty terms")
    msg["From"] = _sender()
    msg["To"] = dealer.email
    if getattr(actor, "email", None):
        msg["Reply-To"] = actor.email
    staff = getattr(actor, "display_name", None) or who(actor)[1]
    lines = [_("Dear %(contact)s,", contact=dealer.contact or dealer.name), "",
             _("Thank you for taking our call. As promised, our service policy and warranty terms are attached."),
             _("I am your after-sales contact: %(staff)s%(email)s.", staff=staff,
               email=f" <{actor.email}>" if getattr(actor, "email", None) else ""), "",
             _("Attached:")]
    lines += [f"- {d.title}" for d in documents]
    msg.set_content("\n".join(str(line) for line in lines))
    for doc in documents:
        data = document_path(doc).read_bytes()
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=doc.filename)
    return msg


def handoff_message(dealer: Dealer, department: Department, actor) -> EmailMessage:
    """The dealer's completed file, for the channel department (二.1.3)."""
    msg = EmailMessage()
    msg["Subject"] = _("New dealer's file: %(code)s %(name)s", code=dealer.code, name=dealer.name)
    msg["From"] = _sender()
    msg["To"] = department.email
    fields = [(_("Code"), dealer.code), (_("Name"), dealer.name), (_("Contact"), dealer.contact),
              (_("Phone"), dealer.phone), (_("E-mail"), dealer.email or ""), (_("Region"), dealer.region),
              (_("Address"), dealer.address), (_("Channel rep"), dealer.channel_rep),
              (_("Birthday"), dealer.birthday.strftime("%m-%d") if dealer.birthday else "")]
    lines = [_("Customer service has called the new dealer and completed its file:"), ""]
    lines += [f"{label}: {value or '-'}" for label, value in fields]
    lines += ["", _("Sent by %(staff)s from Depot.", staff=who(actor)[1])]
    msg.set_content("\n".join(str(line) for line in lines))
    return msg
