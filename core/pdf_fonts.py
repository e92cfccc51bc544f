"""The CJK font of every PDF Depot writes (labels, packing slips, figures): one TrueType file,
registered once, embedded (subset) in each PDF.

A PDF that only *names* a Chinese font (reportlab's CID font ``STSong-Light``)
prints Chinese only where the viewer or print server has a matching font of its
own; a Linux print server without one draws boxes. So the PDFs embed a subset
(the glyphs used) of a packaged TrueType font, and the ZPL graphic-field mode
draws Chinese with the same file.

The file: ``DEPOT_CJK_FONT`` (a path, ``path.ttc#index`` for a collection) or
the first of :data:`CANDIDATES` present. Debian's ``fonts-wqy-microhei``
provides the first one (``make printing``, part of ``make test``, and ``.ci/run``
install it). Noto CJK is not a candidate: its outlines are CFF, which reportlab
cannot embed.
"""
from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache

from PIL import ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

ENV_VAR = "DEPOT_CJK_FONT"
# (path, index in a collection): TrueType-outline CJK fonts Debian packages.
CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
EMBEDDED_NAME = "DepotCJK"
# Without any CJK font file: reportlab's built-in CID font, named but not embedded.
FALLBACK_NAME = "STSong-Light"

_lock = threading.Lock()
_registered: str | None = None


def font_file() -> tuple[str, int] | None:
    """The CJK font file and its index in a collection, or None when no candidate is installed."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        path, _sep, index = configured.partition("#")
        return path, int(index or 0)
    for path, index in CANDIDATES:
        if os.path.exists(path):
            return path, index
    return None


def cjk_font() -> str:
    """The reportlab name of the CJK font, registered on first use (thread-safe, once per process)."""
    global _registered
    if _registered:
        return _registered
    with _lock:
        if _registered:
            return _registered
        found = font_file()
        if found is None:
            log.warning("No CJK TrueType font found (install fonts-wqy-microhei or set %s): "
                        "PDFs name %s without embedding it", ENV_VAR, FALLBACK_NAME)
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_NAME))
            _registered = FALLBACK_NAME
        else:
            path, index = found
            # TTFont subsets: each PDF embeds only the glyphs it uses.
            pdfmetrics.registerFont(TTFont(EMBEDDED_NAME, path, subfontIndex=index))
            _registered = EMBEDDED_NAME
    return _registered


@lru_cache(maxsize=64)
def pil_font(size_px: int):
    """The same CJK font for Pillow at ``size_px`` pixels (ZPL graphic fields); None without a file."""
    found = font_file()
    if found is None:
        return None
    path, index = found
    return ImageFont.truetype(path, size_px, index=index)
