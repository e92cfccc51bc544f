"""Applying for a DOA exchange (B.1): CS or the dealer creates an application; CS cancels one.

Also the purchase-date window (``DOA_WINDOW_DAYS``), the units' checks, and one open
application per unit.
"""
from __future__ import annotations

import hmac
import re
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from core import authz, lookup
from core.calendar import add_working_days, local_day
from core.codes import normalise_serial
from core.directory.brands import brand_ids_for_models, model_key
from core.directory.models import Dealer
from core.errors import Conflict, ValidationFailed
from core.extensions import db
from core.locking import lock_row
from core.sequences import next_number
from core.types import utcnow
from doa import states as st
from doa.models import DoaApplication, DoaUnit
from doa.service import (
    APPROVAL_DAYS,
    SERIAL_RE,
    _dealer,
    _event,
    _transition,
    _who,
    ensure_access,
    require_role,
)
from inventory.models import Part

REQUESTS = ("replacement", "refund")
MAX_UNITS = 200
# Calendar days after purchase within which a fault counts as dead on arrival; beyond it the
# application is flagged for the approvers. Config key DOA_WINDOW_DAYS overrides it.
DOA_WINDOW_DAYS = 15
MAX_KNOWN_MODELS = 500


def known_models() -> list[str]:
    """The model names Depot knows, for the pick list: stocked parts and the paid-repair price list.

    A model not in the list is still accepted: the list holds what Depot stocks or
    prices, not every product sold, and CS checks the unit against the application
    on arrival (B.2: a mismatch is talked through with the dealer).
    """
    parts = select(Part.model).where(Part.active.is_(True), Part.model != "")
    # The price list's models come from repairs, registered with core.lookup.
    names = {str(n).strip() for n in db.session.scalars(parts.union(*lookup.model_name_sources()))
             if n and str(n).strip()}
    return sorted(names)[:MAX_KNOWN_MODELS]


def window_days() -> int:
    """The DOA window after purchase in calendar days (config ``DOA_WINDOW_DAYS``, default 15)."""
    value = current_app.config.get("DOA_WINDOW_DAYS", DOA_WINDOW_DAYS)
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = DOA_WINDOW_DAYS
    return max(days, 0)


def purchase_age_days(app: DoaApplication) -> int:
    """Calendar days from the purchase to the application."""
    return (local_day(app.created_at) - app.purchase_date).days


def window_flag(app: DoaApplication) -> str | None:
    """The approvers' warning for a purchase older than the DOA window, in words (None when within it)."""
    if not app.outside_window:
        return None
    return _("Bought %(age)s days before the application, beyond the %(w)s-day DOA window: check before approving.",
             age=purchase_age_days(app), w=app.window_days if app.window_days is not None else window_days())


def _clean_units(raw_units, errors: dict) -> list[dict]:
    units = list(raw_units or [])
    if not units:
        errors["units"] = [_("List at least one unit.")]
        return []
    if len(units) > MAX_UNITS:
        errors["units"] = [_("At most %(n)s units per application.", n=MAX_UNITS)]
        return []
    clean, seen = [], set()
    for index, raw in enumerate(units):
        if not isinstance(raw, dict):
            errors[f"units.{index}"] = [_("Each unit needs a serial and a model.")]
            continue
        serial = normalise_serial(raw.get("serial"))
        model = str(raw.get("model") or "").strip()
        problems = []
        if not serial:
            problems.append(_("Serial is required."))
        elif not SERIAL_RE.match(serial):
            problems.append(_("Serial %(s)s has characters a barcode cannot carry.", s=serial[:64]))
        elif serial in seen:
            problems.append(_("Serial %(s)s is listed twice.", s=serial))
        if not model:
            problems.append(_("Model is required."))
        elif len(model) > 80:
            problems.append(_("Model is too long."))
        if problems:
            errors[f"units.{index}"] = problems
            continue
        seen.add(serial)
        clean.append({"serial": serial, "model": model, "fault": str(raw.get("fault") or "").strip()[:300]})
    return clean


def _validate_application(*, request, purchase_date, fault, units, today: date) -> tuple[dict, list[dict]]:
    """Check the fields every application has; raises ValidationFailed naming each bad field."""
    errors: dict = {}
    if request not in REQUESTS:
        errors["request"] = [_("Choose replacement or refund.")]
    if isinstance(purchase_date, str):
        try:
            purchase_date = date.fromisoformat(purchase_date.strip())
        except ValueError:
            errors["purchase_date"] = [_("Use YYYY-MM-DD.")]
            purchase_date = None
    if purchase_date is None and "purchase_date" not in errors:
        errors["purchase_date"] = [_("The purchase date is required.")]
    elif purchase_date is not None and purchase_date > today:
        errors["purchase_date"] = [_("The purchase date cannot be in the future.")]
    fault = (fault or "").strip()
    if not fault:
        errors["fault"] = [_("Describe the fault.")]
    elif len(fault) > 2000:
        errors["fault"] = [_("At most 2000 characters.")]
    clean = _clean_units(units, errors)
    if errors:
        raise ValidationFailed(_("The application has invalid fields."), errors=errors)
    return {"request": request, "purchase_date": purchase_date, "fault": fault}, clean


def _open_application_with(serials: list[str]) -> dict[str, str]:
    """Serials already on an application still in progress -> its number."""
    rows = db.session.execute(
        select(DoaUnit.serial, DoaApplication.number).join(DoaApplication, DoaUnit.application_id == DoaApplication.id)
        .where(DoaUnit.serial.in_(serials), DoaApplication.state.not_in(sorted(st.FINISHED)))
    )
    return {serial: number for serial, number in rows}


def _create(actor_name: str, actor, dealer: Dealer, fields: dict, units: list[dict], *, contact: str, source: str,
            at: datetime | None) -> DoaApplication:
    # One application at a time per dealer: the same application sent twice at once
    # waits here, then finds its units on the first one (409).
    lock_row(Dealer, dealer.id)
    busy = _open_application_with([u["serial"] for u in units])
    if busy:
        raise Conflict(_("Unit %(s)s is already on DOA application %(n)s.", s=sorted(busy)[0], n=busy[sorted(busy)[0]]),
                       errors={"units": [_("%(s)s is on %(n)s.", s=s, n=n) for s, n in sorted(busy.items())]})
    now = at or utcnow()
    day = local_day(now)
    window = window_days()
    outside = (day - fields["purchase_date"]).days > window
    app = DoaApplication(
        number=next_number("DOA", day.strftime("%y%m")), dealer_id=dealer.id, office_id=dealer.office_id,
        request=fields["request"], purchase_date=fields["purchase_date"], fault=fields["fault"],
        window_days=window, outside_window=outside,
        contact=(contact or "").strip()[:120], source=source, state=st.SUBMITTED, created_at=now,
        created_by=actor_name, approval_due=add_working_days(day, APPROVAL_DAYS), updated_at=now,
    )
    db.session.add(app)
    db.session.flush()
    brands = brand_ids_for_models(unit["model"] for unit in units)
    for i, unit in enumerate(units, start=1):
        db.session.add(DoaUnit(application_id=app.id, line_no=i, serial=unit["serial"], model=unit["model"],
                               brand_id=brands.get(model_key(unit["model"])), fault=unit["fault"], declared=True))
    db.session.flush()
    _event(actor, app.id, "apply", None, st.SUBMITTED, at=now,
           data={"units": [u["serial"] for u in units], "request": app.request, "source": source,
                 "outside_window": outside, "window_days": window})
    db.session.refresh(app)
    return app


def create_application(actor, *, dealer_id: int | None = None, dealer_code: str | None = None, request: str,
                       purchase_date, fault: str, units, contact: str = "", source: str = "staff",
                       at: datetime | None = None) -> DoaApplication:
    """Service staff enter a dealer's DOA application (number DOAyymm-nnnn).

    The internal approval is due one working day after the application.
    """
    require_role(actor, *st.CS)
    now = at or utcnow()
    fields, clean = _validate_application(request=request, purchase_date=purchase_date, fault=fault, units=units,
                                          today=local_day(now))
    dealer = _dealer(dealer_id, dealer_code)
    ensure_access(actor, dealer.office_id)
    return _create(_who(actor)[1], actor, dealer, fields, clean, contact=contact, source=source, at=now)


def dealer_verified(dealer_code: str, phone_last4: str) -> Dealer | None:
    """The dealer if the code and the last four digits of its phone match; None otherwise.

    Callers give every failure one neutral answer, so nobody learns which
    dealer codes exist.
    """
    code = (dealer_code or "").strip()
    last4 = (phone_last4 or "").strip()
    if not code or len(code) > 20 or not re.fullmatch(r"\d{4}", last4):
        return None
    dealer = db.session.scalar(select(Dealer).where(or_(Dealer.code == code, Dealer.code == code.upper())))
    if dealer is None or not dealer.active or len(dealer.phone_last4) != 4:
        return None
    if not hmac.compare_digest(dealer.phone_last4, last4):
        return None
    return dealer


def public_apply(*, dealer_code: str, phone_last4: str, request: str, purchase_date, fault: str, units,
                 contact: str = "") -> DoaApplication | None:
    """A dealer applies on the no-login page.

    The fields are checked first (the same answer whatever the dealer), then
    the dealer code + phone digits; a wrong pair gives None (one neutral answer).
    """
    now = utcnow()
    fields, clean = _validate_application(request=request, purchase_date=purchase_date, fault=fault, units=units,
                                          today=local_day(now))
    dealer = dealer_verified(dealer_code, phone_last4)
    if dealer is None:
        return None
    # The public form writes on the dealer's behalf: the system acts, created_by names the dealer.
    return _create(f"dealer:{dealer.code}"[:64], authz.SYSTEM, dealer, fields, clean, contact=contact, source="dealer",
                   at=now)


def cancel(actor, app: DoaApplication, reason: str) -> DoaApplication:
    """CS withdraws an application before the unit arrived (the dealer changed their mind)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the application is cancelled."), errors={"reason": [_("Required.")]})
    return _transition(actor, app, "cancel", note=reason[:500], closed_reason=reason[:500])
