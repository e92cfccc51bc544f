"""Scan station modes a process adds to the repairs scan station.

The scan station (``repairs.scan``) owns its own modes; another process (DOA
receive) registers its mode here in its ``init_app``, so the station offers and
runs it without importing that process. A mode's handler takes
``(actor, code, context, findings)`` and answers in the station's shape
(``ok``, ``status``, ``message``, ``unit``, ``parcel``, ``context``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ScanMode:
    """A mode another process runs at the scan station: its code, its label (lazy) and its handler."""

    name: str
    label: object
    handler: Callable[..., dict]


_MODES: dict[str, ScanMode] = {}


def register_scan_mode(name: str, label, handler: Callable[..., dict]) -> None:
    """Offer ``name`` at the scan station; ``handler(actor, code, context, findings)`` answers its scans."""
    _MODES.setdefault(name, ScanMode(name, label, handler))


def scan_mode(name: str) -> ScanMode | None:
    """The registered mode called ``name``, if any."""
    return _MODES.get(name)


def registered_modes() -> tuple[ScanMode, ...]:
    """The registered modes in the order they were registered."""
    return tuple(_MODES.values())


class ModeNames:
    """The station's mode codes, read when asked: its own modes, then the registered ones.

    A live sequence, so a schema built at import (``OneOf``) accepts modes
    registered later by another process's ``init_app``.
    """

    def __init__(self, own: tuple[str, ...]):
        self.own = own

    def _all(self) -> tuple[str, ...]:
        return self.own + tuple(m for m in _MODES if m not in self.own)

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __contains__(self, name: object) -> bool:
        return name in self.own or name in _MODES

    def __len__(self) -> int:
        return len(self._all())

    def __getitem__(self, index):
        return self._all()[index]
