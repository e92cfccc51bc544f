"""Handing a unit from one process to another without either importing the other.

A process that can take a unit in registers its intake here in its
``init_app``; another process hands a unit over through :func:`start_repair`.
Today: a unit held at DOA receipt becomes an ordinary repair (repairs
registers the intake, DOA calls it).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

_REPAIR_INTAKE: list[Callable] = []


def register_repair_intake(intake: Callable) -> None:
    """``intake(actor, *, dealer_id, serial, model, fault, note, source, at)`` opens a received repair
    for the unit and returns its parcel (the record that carries ``rma_number``)."""
    if intake not in _REPAIR_INTAKE:
        _REPAIR_INTAKE[:] = [intake]


def start_repair(actor, *, dealer_id: int, serial: str, model: str, fault: str, note: str, source: str,
                 at: datetime):
    """Open an ordinary repair for a unit through the registered intake; its parcel."""
    if not _REPAIR_INTAKE:
        raise RuntimeError("no repair intake registered (repairs.init_app registers it)")
    return _REPAIR_INTAKE[0](actor, dealer_id=dealer_id, serial=serial, model=model, fault=fault, note=note,
                             source=source, at=at)
