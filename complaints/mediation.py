"""The mediation agreement (顾客投诉调解协议, 附件9) that may end a very serious complaint.

Only the supervisor and the GM's assistant record it and read the customer's personal
data (name, address, phone, ID number); everyone else reads masks. The ID number is
stored encrypted (:mod:`complaints.pii`); none of these fields reaches the audit log
(``__audit_exclude__``), an event row, an export or a log line.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from complaints import pii
from complaints import states as st
from complaints.models import Complaint, MediationAgreement
from complaints.service import event, may_see
from core import authz
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.locking import lock_row
from core.types import utcnow
from core.workflow import who

# What 附件9 holds besides the personal data (all text unless named in DATES).
FIELDS = ("agreement_number", "company_name", "company_address", "company_phone", "company_contact", "product",
          "customer_duties", "company_duties", "company_representative")
DATES = ("signed_on", "complained_on")


def record(actor, complaint: Complaint, *, customer_name: str, id_number: str, signed_on: date,
           customer_address: str = "", customer_phone: str = "", customer_representative: str = "",
           at: datetime | None = None, **fields) -> MediationAgreement:
    """Record the signed agreement of a very serious complaint (once); the ID number is encrypted."""
    authz.require(actor, *pii.PII_ROLES, message=_("Only the supervisor or the GM's assistant records a "
                                                   "mediation agreement."))
    if not may_see(actor, complaint):
        raise NotFound(_("No such complaint."))
    if complaint.tier != st.Tier.VERY_SERIOUS:
        raise Conflict(_("%(n)s: only a very serious complaint ends in a mediation agreement.", n=complaint.number))
    if complaint.state == st.CLOSED:
        raise Conflict(_("%(n)s is closed.", n=complaint.number), current_state=complaint.state)
    number = pii.normalise_id_number(id_number)
    problem = pii.id_number_problem(number)
    if problem is not None:
        # The message never repeats the number typed.
        raise ValidationFailed(_("Not a valid resident ID number."),
                               errors={"id_number": [_("18 characters with a valid check digit.")]})
    if not (customer_name or "").strip():
        raise ValidationFailed(_("Some fields need correcting."), errors={"customer_name": [_("Required.")]})
    if signed_on is None:
        raise ValidationFailed(_("Some fields need correcting."), errors={"signed_on": [_("Required.")]})
    # One agreement per complaint: a second sent at the same moment waits here, then finds the first.
    lock_row(Complaint, complaint.id)
    if db.session.scalar(select(MediationAgreement.id).where(MediationAgreement.complaint_id == complaint.id)):
        raise Conflict(_("%(n)s already has its mediation agreement.", n=complaint.number))
    now = at or utcnow()
    row = MediationAgreement(
        complaint_id=complaint.id, customer_name=customer_name.strip(), customer_address=(customer_address or "").strip(),
        customer_phone=(customer_phone or "").strip(), id_number_token=pii.encrypt(number),
        customer_representative=(customer_representative or "").strip(), signed_on=signed_on,
        complained_on=fields.pop("complained_on", None), recorded_by=who(actor)[1], recorded_at=now,
        **{k: (fields.get(k) or "").strip() for k in FIELDS},
    )
    db.session.add(row)
    db.session.flush()
    # The event says that it was recorded, never what it says about the customer.
    event(actor, complaint, "mediation", at=now, data={"agreement": row.id})
    return row


def shown(actor, row: MediationAgreement | None) -> dict | None:
    """The agreement as ``actor`` may read it: personal data in full or masked."""
    if row is None:
        return None
    out = {k: getattr(row, k) for k in (*FIELDS, *DATES, "recorded_by", "recorded_at")}
    if pii.may_see(actor):
        out.update(customer_name=row.customer_name, customer_address=row.customer_address,
                   customer_phone=row.customer_phone, id_number=pii.decrypt(row.id_number_token),
                   customer_representative=row.customer_representative, masked=False)
    else:
        out.update(customer_name=pii.mask_name(row.customer_name),
                   customer_address=pii.mask_address(row.customer_address),
                   customer_phone=pii.mask_phone(row.customer_phone), id_number=pii.mask_id_number(),
                   customer_representative=pii.mask_name(row.customer_representative), masked=True)
    return out
