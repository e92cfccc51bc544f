"""Age bands: records counted by how many days old or late they are, with translated labels.

A process names its band limits once, with the rule each limit comes from (repairs:
``repairs.clocks.BACKLOG_BANDS``, ``LATE_BANDS``); reports and pages count with
:meth:`Bands.index` and show :meth:`Bands.labels`.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bands:
    """Consecutive bands of whole days: ``first``..``limits[0]``, ``limits[0] + 1``..``limits[1]``, ...,
    and one open band past the last limit.

    ``span_words`` and ``open_words`` are the (lazy) translated words of a band, with
    ``%(lo)s`` and ``%(hi)s`` for its first and last day ("3–7 working days", "21 or more").
    """

    limits: tuple[int, ...]
    span_words: Any
    open_words: Any
    first: int = 0

    @property
    def spans(self) -> list[tuple[int, int | None]]:
        """Each band's first and last day (None: no last day)."""
        starts = (self.first, *(limit + 1 for limit in self.limits))
        return list(zip(starts, (*self.limits, None)))

    def index(self, days: int) -> int:
        """The band ``days`` falls in (a value below ``first`` counts in the first band)."""
        return bisect_left(self.limits, days)

    def key(self, days: int) -> str:
        """The stable name of the band ``days`` falls in ("3-5", "11+"), for the API and counting."""
        return self.keys()[self.index(days)]

    def keys(self) -> list[str]:
        """Every band's stable name, in order."""
        return [f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in self.spans]

    def labels(self) -> list[str]:
        """Every band's words in the current language, in order."""
        return [str(self.span_words) % {"lo": lo, "hi": hi} if hi is not None else str(self.open_words) % {"lo": lo}
                for lo, hi in self.spans]
