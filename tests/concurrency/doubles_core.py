"""Double-request scenarios for core."""
from __future__ import annotations

from tests.concurrency.doubles import Case, audit_updates, count, exempt, probes, scenario  # noqa: F401

