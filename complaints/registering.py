"""Registering a complaint (客诉登记, 6.1): the dealer, the tier, what it is about, the CS number and its deadline."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from complaints import states as st
from complaints.models import Complaint
from complaints.service import DESK, answer_due, event
from core import authz
from core.calendar import local_day
from core.directory.models import Dealer
from core.directory.service import brand_or_422
from core.errors import ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.sequences import next_number
from core.types import utcnow
from core.workflow import who

NUMBER_PREFIX = "KS"  # 客诉


def _dealer(dealer_id=None, dealer_code=None) -> Dealer:
    dealer = None
    if dealer_id is not None and is_id(dealer_id):
        dealer = db.session.get(Dealer, dealer_id)
    elif dealer_code:
        code = dealer_code.strip()
        dealer = db.session.scalar(select(Dealer).where(or_(Dealer.code == code, Dealer.code == code.upper())))
    if dealer is None or not dealer.active:
        raise ValidationFailed(_("Choose a known dealer."), errors={"dealer": [_("Unknown dealer.")]})
    return dealer


def register(actor, *, tier: str, subject: str, description: str = "", dealer_id: int | None = None,
             dealer_code: str | None = None, received_on: date | None = None, about_staff: bool = False,
             brand_id: int | None = None, at: datetime | None = None) -> Complaint:
    """Log a dealer's complaint under the next CS number; its answer is due by its tier.

    The dealer's office scopes it: an office user registers only for its own dealers.
    A very serious complaint has no due day until the supervisor sets one.
    """
    authz.require(actor, *DESK, message=_("Only customer service registers complaints."))
    if tier not in set(st.Tier):
        raise ValidationFailed(_("Choose the tier."), errors={"tier": [_("Not a tier.")]})
    dealer = _dealer(dealer_id, dealer_code)
    brand_or_422(brand_id)
    now = at or utcnow()
    day = received_on or local_day(now)
    if day > local_day(now):
        raise ValidationFailed(_("A complaint cannot be received in the future."),
                               errors={"received_on": [_("After today.")]})
    complaint = Complaint(
        number=next_number(NUMBER_PREFIX, day.strftime("%y%m")), tier=tier, dealer_id=dealer.id,
        office_id=dealer.office_id, about_staff=bool(about_staff), brand_id=brand_id, subject=subject.strip(),
        description=(description or "").strip(), received_on=day, state=st.REGISTERED, created_at=now,
        created_by=who(actor)[1], answer_due=answer_due(tier, day), updated_at=now,
    )
    db.session.add(complaint)
    db.session.flush()
    event(actor, complaint, "register", at=now, data={"tier": tier})
    return complaint
