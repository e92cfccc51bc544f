"""Registering a return parcel and its declared list (typed lines or an uploaded sheet)."""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from core import authz, sheets
from core.calendar import local_day
from core.codes import normalise_serial
from core.directory.brands import brand_ids_for_models, model_key
from core.directory.models import Dealer
from core.errors import ValidationFailed
from core.extensions import db
from core.sequences import next_number
from core.types import utcnow
from repairs import code_shapes
from repairs import states as st
from repairs.models import RepairUnit, ReturnParcel
from repairs.service import (
    HANDS,
    MAX_LINES,
    PARCEL_DESK,
    STARTED_BY_SCAN,
    _check_access,
    _event,
    _route,
    _who,
)

# --------------------------------------------------------------------------- parcels

def _clean_line(raw: dict, index: int, errors: dict) -> dict | None:
    serial = normalise_serial(raw.get("serial"))
    model = str(raw.get("model") or "").strip()
    problems = []
    if not serial:
        problems.append(_("Serial is required."))
    elif len(serial) > 64 or not re.fullmatch(r"[A-Za-z0-9._/\-]+", serial):
        problems.append(_("Serial %(s)s has characters a barcode cannot carry.", s=serial[:64]))
    if not model:
        problems.append(_("Model is required."))
    elif len(model) > 80:
        problems.append(_("Model is too long."))
    if serial and not problems:
        try:  # a product barcode or waybill pasted in the serial column; a serial not fitting the model's pattern
            code_shapes.ensure_serial(serial, model)
        except ValidationFailed as err:
            problems.append(err.message)
    warranty = raw.get("warranty_claimed", True)
    if isinstance(warranty, str):
        warranty = warranty.strip().lower() not in {"0", "no", "n", "false", "否", "过保", "out"}
    if problems:
        errors[f"lines.{index}"] = problems
        return None
    return {"serial": serial, "model": model, "fault": str(raw.get("fault") or "").strip()[:300],
            "warranty_claimed": bool(warranty), "route": (raw.get("route") or "").strip() or None}


def create_parcel(actor, *, dealer_id: int | None = None, dealer_code: str | None = None,
                  inbound_waybill: str | None = None, inbound_carrier: str = "", lines=(),
                  note: str = "", source: str = "form", at: datetime | None = None) -> ReturnParcel:
    """Register a dealer's return parcel with its declared lines; gives it an RMA number.

    A line whose serial is a product barcode, a waybill or one of our numbers
    (:mod:`repairs.code_shapes`) is refused. A serial still open on another
    parcel or DOA case is declared all the same: :func:`parcel_warnings` names it.
    """
    # A parcel that arrived without a list, or a DOA hold handed over, is started by whoever scans it.
    authz.require(actor, *(HANDS if source in STARTED_BY_SCAN else PARCEL_DESK))
    dealer = None
    if dealer_id is not None:
        dealer = db.session.get(Dealer, dealer_id)
    elif dealer_code:
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == dealer_code.strip()))
    if dealer is None:
        raise ValidationFailed(_("Choose a known dealer."), errors={"dealer": [_("Unknown dealer.")]})
    _check_access(actor, dealer.office_id)
    lines = list(lines or [])
    if len(lines) > MAX_LINES:
        raise ValidationFailed(_("At most %(n)s lines per parcel.", n=MAX_LINES), errors={"lines": [_("Too many.")]})
    errors: dict = {}
    clean = [c for i, raw in enumerate(lines) if (c := _clean_line(raw, i, errors)) is not None]
    seen: set[str] = set()
    for i, line in enumerate(clean):
        if line["serial"] in seen:
            errors.setdefault(f"lines.{i}", []).append(_("Serial %(s)s is listed twice.", s=line["serial"]))
        seen.add(line["serial"])
    routes = {}
    for i, line in enumerate(clean):
        try:
            routes[i] = _route(line["route"])
        except ValidationFailed:
            errors.setdefault(f"lines.{i}", []).append(_("Unknown repair route %(c)s.", c=line["route"]))
    if errors:
        raise ValidationFailed(_("Some declared lines are not valid."), errors=errors)
    waybill = (inbound_waybill or "").strip() or None
    now = at or utcnow()
    parcel = ReturnParcel(
        rma_number=next_number("RMA", local_day(now).strftime("%y%m")), dealer_id=dealer.id,
        office_id=dealer.office_id, inbound_waybill=waybill, inbound_carrier=(inbound_carrier or "").strip()[:60],
        source=source, note=(note or "").strip(), created_by=_who(actor)[1], created_at=now,
    )
    db.session.add(parcel)
    db.session.flush()
    brands = brand_ids_for_models(line["model"] for line in clean)
    for i, line in enumerate(clean):
        route = routes[i]
        unit = RepairUnit(parcel_id=parcel.id, line_no=i + 1, serial=line["serial"], model=line["model"],
                          brand_id=brands.get(model_key(line["model"])), fault=line["fault"], warranty_claimed=line["warranty_claimed"], declared=True,
                          state=st.DECLARED, route_id=route.id if route else None, updated_at=now)
        db.session.add(unit)
        db.session.flush()
        _event(actor, parcel.id, unit.id, "declare", None, st.DECLARED, at=now)
    _event(actor, parcel.id, None, "create_parcel", note=source, at=now)
    db.session.flush()
    db.session.refresh(parcel)
    return parcel


HEADER_ALIASES = {
    "serial": {"serial", "sn", "s/n", "serial number", "序列号", "条码", "机身号"},
    "model": {"model", "型号", "产品型号"},
    "fault": {"fault", "problem", "故障", "故障描述", "不良现象"},
    "warranty_claimed": {"warranty", "in warranty", "warranty claimed", "保修", "保固"},
    "route": {"route", "路线", "维修路线"},
}


DECLARED_COLUMNS = sheets.Columns(aliases=HEADER_ALIASES, required=("serial",),
                                  positional=("model", "serial", "fault", "warranty_claimed"),
                                  codes=("serial",))


def parse_declared_rows(data: bytes | str, filename: str = "") -> list[dict]:
    """Turn pasted CSV/TSV text or an uploaded CSV/XLSX file into declared lines.

    A header row naming the columns (English or Chinese) is used when present;
    otherwise the columns are model, serial, fault, warranty. Files are read by
    :mod:`core.sheets` (GBK and UTF-8 CSV, XLSX); each line carries its file
    ``line`` number. Pasted text that is empty gives no lines.
    """
    if isinstance(data, str) and not data.strip():
        return []
    out = []
    for row in sheets.read_table(data, filename, DECLARED_COLUMNS).rows:
        line = row.as_dict()
        if line.get("warranty_claimed", "") == "":
            line.pop("warranty_claimed", None)
        line["line"] = row.line
        out.append(line)
    return out
