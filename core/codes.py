"""Scanned and typed codes (serials, waybills) in the one form they are compared in.

Labels and barcodes carry codes in upper case, but a clerk typing one, or a
dealer's spreadsheet, may not.
"""


def normalise_serial(value) -> str:
    """A unit's serial as stored: trimmed, upper case. Inner spaces stay, for the
    caller's validation to refuse (a serial never has one)."""
    return str(value or "").strip().upper()


def normalise_code(value) -> str:
    """A scanned code as stored on a shipment: trimmed, inner spaces removed, upper case."""
    return "".join(str(value or "").split()).upper()
