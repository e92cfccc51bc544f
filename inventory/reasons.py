"""Why stock moved: the reason codes the services write, named for people.

A movement posted by hand may carry any short reason the clerk typed; it is
shown as typed.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

REASON_LABELS = {
    "receipt": _l("Goods received"),
    "reversal": _l("Reversal"),
    "count_adjustment": _l("Count adjustment"),
    "office_issue": _l("Issued to an office"),
    "office_receipt": _l("Received by the office"),
    "swap_out": _l("Swapped out to a customer"),
    "swap_in": _l("Defective unit taken back"),
    "year_end_return": _l("Year-end return sent"),
    "year_end_receipt": _l("Year-end return received"),
    "shipment_out": _l("Shipped"),
    "shipment_in": _l("Shipment received"),
    "vendor_batch": _l("Vendor pool batch"),
    "vendor_receipt": _l("Received from the vendor"),
    "vendor_defective_in": _l("Defective unit into the vendor pool"),
    "vendor_swap": _l("Swapped to a dealer from the vendor pool"),
}


# What a movement refers to (its ``ref_type``); a reference typed through the API is shown as typed.
REF_TYPE_LABELS = {
    "shipment": _l("shipment"),
    "count": _l("stock count"),
    "spare_request": _l("spare request"),
    "office_return": _l("year-end return"),
    "vendor_batch": _l("vendor batch"),
    "dealer": _l("Dealer"),
    "repair_unit": _l("repair unit"),
    "doa_unit": _l("DOA unit"),
}


def ref_type_label(code: str | None) -> str:
    """What a movement refers to, in words (a free-text reference as it is)."""
    label = REF_TYPE_LABELS.get(code or "")
    return str(label) if label is not None else (code or "")


def reason_label(code: str | None) -> str:
    """The reason in words (a free-text reason as it is)."""
    label = REASON_LABELS.get(code or "")
    return str(label) if label is not None else (code or "")
