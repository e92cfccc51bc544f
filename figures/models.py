"""Indexes the figures need on the repairs tables (no tables of their own).

Every report asks "which units were received / sent / back / returned in this
week or month". Without an index on those timestamps that is a pass over the
whole ``repair_unit`` table (a million rows at full scale); with them the
database reads only the period's units (an index union on SQLite, a bitmap OR
on PostgreSQL). They are declared here, beside the reads that need them, and
named ``ix_fig_*`` so they never clash with indexes the repairs package adds.
"""
from __future__ import annotations

from sqlalchemy import Index

from repairs.models import RepairUnit, ReturnParcel

_unit = RepairUnit.__table__
_parcel = ReturnParcel.__table__

FIGURE_INDEXES = (
    Index("ix_fig_repair_unit_received_at", _unit.c.received_at),
    Index("ix_fig_repair_unit_dispatched_at", _unit.c.dispatched_at),
    Index("ix_fig_repair_unit_returned_at", _unit.c.returned_at),
    Index("ix_fig_repair_unit_shipped_at", _unit.c.shipped_at),
    Index("ix_fig_return_parcel_arrived_at", _parcel.c.arrived_at),
)
