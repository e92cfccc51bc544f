"""A count's reconciliation as CSV and XLSX."""
from __future__ import annotations


from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import sheets
from inventory.counts.reconciliation import Reconciliation


def export_sheets(rec: Reconciliation) -> list[sheets.Sheet]:
    """The reconciliation as export sheets: the lines, then the serial findings (if any)."""
    lines = sheets.Sheet(rec.count.number, [
        sheets.Column(_l("SKU")), sheets.Column(_l("Model")), sheets.Column(_l("Counted"), "int"),
        sheets.Column(_l("Ledger"), "int"), sheets.Column(_l("Variance"), "int"),
        sheets.Column(_l("Unit cost"), "money"), sheets.Column(_l("Variance value"), "money")],
        ([line.sku, line.model, line.counted, line.ledger, line.variance, line.unit_cost, line.value]
         for line in rec.lines))
    # What the supervisor signs: the values written off, found and taken from other locations,
    # and each swapped unit in the words the count page uses.
    summary = [[_("Written off: %(s)s RMB; found: %(f)s RMB; recount threshold %(t)s RMB.",
                  s=rec.shortfall_value, f=rec.surplus_value, t=current_app.config["INVENTORY_RECOUNT_THRESHOLD"])]]
    if rec.relocated_value:
        summary.append([_("Units registered at other locations: %(v)s RMB (their loss).", v=rec.relocated_value)])
    if rec.serials is not None:
        summary += [[_("Swapped unit of %(sku)s: %(x)s missing; %(y)s found, registered at %(w)s. "
                       "Written off: %(v)s RMB.", sku=sku, x=gone, y=found, w=where, v=value)]
                    for sku, gone, found, where, value in rec.serials.swaps]
    summary_sheet = sheets.Sheet(_l("Summary"), [_l("Summary")], summary)
    if rec.serials is None:
        return [lines, summary_sheet]
    found = rec.serials
    rows = ([[s, sku, _l("missing"), ""] for sku, s in found.missing]
            + [[s, sku or "", _l("unexpected"), ""] for sku, s in found.unexpected]
            + [[s, sku, _l("registered elsewhere"), where] for sku, s, where in found.elsewhere])
    return [lines, sheets.Sheet(_l("Serials"), [_l("Serial"), _l("SKU"), _l("Finding"), _l("Registered at")], rows),
            summary_sheet]


def export_csv(rec: Reconciliation, *, locale=None) -> bytes:
    """The reconciliation as CSV (headers in ``locale``, else the request's language)."""
    return sheets.csv_bytes(export_sheets(rec), locale=locale)


def export_xlsx(rec: Reconciliation, *, locale=None) -> bytes:
    """The reconciliation as XLSX: the lines on the first sheet, serial findings on the second."""
    return sheets.xlsx_bytes(export_sheets(rec), locale=locale)
