"""The parts catalogue: look-ups by SKU or id, the list, and adding a part."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.accounts.roles import Role
from core.authz import require
from core.directory.models import Brand, Vendor
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.ids import is_id
from core.queries import in_chunks
from inventory.models import (
    Part,
)



def part_by_sku(sku: str) -> Part:
    """The part with this SKU (NotFound otherwise)."""
    part = db.session.scalar(select(Part).where(Part.sku == (sku or "").strip()))
    if part is None:
        raise NotFound(_("No part with SKU %(sku)s.", sku=sku))
    return part


def by_id(model, ident):
    """``db.session.get`` that treats an id no database can hold as absent (never a 500)."""
    if not is_id(ident):
        return None
    return db.session.get(model, ident)


def get_part(part_id: int) -> Part:
    part = by_id(Part, part_id)
    if part is None:
        raise NotFound(_("No part %(id)s.", id=part_id))
    return part


def parts_by_sku(skus) -> dict[str, Part]:
    """SKU -> part for those of ``skus`` that exist (one query)."""
    found: dict[str, Part] = {}
    for chunk in in_chunks(s for s in skus if s):  # a count sheet may list more SKUs than a query takes
        found.update((p.sku, p) for p in db.session.scalars(select(Part).where(Part.sku.in_(chunk))))
    return found


def list_parts(*, active_only: bool = True, vendor_managed: bool | None = None) -> list[Part]:
    stmt = select(Part).order_by(Part.sku)
    if active_only:
        stmt = stmt.where(Part.active.is_(True))
    if vendor_managed is not None:
        stmt = stmt.where(Part.vendor_managed.is_(vendor_managed))
    return list(db.session.scalars(stmt))


def catalogue_brands(keys: set[str]) -> dict[str, int]:
    """{model key: brand id} of the catalogue parts with a brand whose model is one of ``keys``
    (stripped, upper-cased); where parts of one model disagree, the oldest part's brand."""
    key = func.upper(func.trim(Part.model))
    stmt = (select(key, Part.brand_id).where(Part.brand_id.isnot(None), key.in_(sorted(keys)))
            .order_by(Part.id.desc()))
    # Newest first, so the oldest part's brand is written last and wins.
    return dict(db.session.execute(stmt).all())


def create_part(actor, *, sku: str, model: str = "", family: str = "", vendor_managed: bool = False,
                serialized: bool = False, unit_cost=0, vendor_id: int | None = None,
                brand_id: int | None = None) -> Part:
    """Add a part to the catalogue (supervisors and admins)."""
    require(actor, Role.SUPERVISOR)
    errors = {}
    sku = (sku or "").strip()
    if not sku or len(sku) > 60 or any(ch.isspace() for ch in sku):
        errors["sku"] = [_("A SKU is 1-60 characters without spaces.")]
    try:
        cost = Decimal(str(unit_cost))
        if cost < 0 or cost != cost.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["unit_cost"] = [_("The unit cost is an amount of at least 0 with at most 2 decimals.")]
        cost = Decimal(0)
    if vendor_managed and vendor_id is None:
        errors["vendor_id"] = [_("A vendor-managed part needs its vendor.")]
    if vendor_id is not None:
        if by_id(Vendor, vendor_id) is None:
            errors["vendor_id"] = [_("No such vendor.")]
    if brand_id is not None and by_id(Brand, brand_id) is None:
        errors["brand_id"] = [_("No such brand.")]
    if cost >= Decimal("10000000000"):
        errors["unit_cost"] = [_("The unit cost is too large.")]
    if errors:
        raise ValidationFailed(_("The part is not valid."), errors=errors)
    if db.session.scalar(select(Part.id).where(Part.sku == sku)):
        raise Conflict(_("A part with SKU %(sku)s already exists.", sku=sku))
    part = Part(sku=sku, model=model.strip(), family=family.strip(), vendor_managed=vendor_managed,
                serialized=serialized, unit_cost=cost, vendor_id=vendor_id, brand_id=brand_id)
    _insert_once(part, _("A part with SKU %(sku)s already exists.", sku=sku))
    return part


def set_part_brand(actor, part: Part, brand_id: int | None) -> Part:
    """File a catalogue part under a brand, or under none (supervisors and admins).

    Units entered from now on with this exact model get the brand; units already entered keep theirs.
    """
    require(actor, Role.SUPERVISOR)
    if brand_id is not None and by_id(Brand, brand_id) is None:
        raise ValidationFailed(_("No such brand."), errors={"brand_id": [_("No such brand.")]})
    part.brand_id = brand_id
    db.session.flush()
    db.session.refresh(part)
    return part


def _insert_once(row, message: str) -> None:
    """Insert ``row``; a unique key taken by a request committed meanwhile is a 409, never a 500."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise Conflict(message) from None
