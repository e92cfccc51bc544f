"""The zh-CN catalogue: its source (.po) and the compiled file (.mo) the app reads."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

import core

ROOT = Path(core.__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "core" / "translations"
PO = TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def read_catalog():
    """The .po as babel reads it."""
    with PO.open("rb") as fh:
        return read_po(fh)
