"""Records other processes keep open on a serial, for the repairs "open elsewhere" check.

A serial may be open on one record at a time: a repair unit, or a case of
another process (a DOA case). Repairs asks about its own units and about the
records each process registers here in its ``init_app`` (:func:`register_open_records`),
in the same statement, so the scan path keeps one round trip and repairs never
imports the other process.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OpenRecords:
    """How one process's open records on a serial are found and told.

    - ``rows(serial_is)``: a select of ``(kind, serial, state, unit_id, number, newest)``
      for records still open, ``serial_is(column)`` being the serial condition to use;
    - ``open_on(serial_column)``: an EXISTS clause, true when a record is open on that serial;
    - ``state_label(state)``: the state in words;
    - ``endpoint``, ``number_arg``: the record's page (``url_for(endpoint, **{number_arg: number})``);
    - ``message(found)``: the clerk's sentence naming the serial and the record.
    """

    kind: str
    rows: Callable
    open_on: Callable
    state_label: Callable[[str], str]
    endpoint: str
    number_arg: str
    message: Callable[[dict], str]


_SOURCES: dict[str, OpenRecords] = {}


def register_open_records(source: OpenRecords) -> None:
    """Have repairs count ``source``'s open records as "open elsewhere"."""
    _SOURCES.setdefault(source.kind, source)


def open_record_sources() -> tuple[OpenRecords, ...]:
    """The registered sources, in the order they were registered."""
    return tuple(_SOURCES.values())


def open_record_source(kind: str) -> OpenRecords | None:
    """The source of records of ``kind``, if registered."""
    return _SOURCES.get(kind)
