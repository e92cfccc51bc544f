"""``flask depot`` commands for shipments: late reports and freight bill import."""
from __future__ import annotations

from pathlib import Path

import click

from core.accounts.service import get_user
from core.audit.service import set_actor
from core.authz import SYSTEM
from core.cli import depot_cli, fail_on_domain_error
from core.extensions import db
from core.uow import unit_of_work
from shipments.freight import finding_counts, import_freight_bill
from shipments.late_reports import late_reports


@depot_cli.command("late-reports")
def late_reports_command():
    """List factory shipments reported after the next working day (or not yet)."""

    reports = late_reports(SYSTEM)
    if not reports:
        click.echo("Every factory shipment was reported in time.")
        return
    for r in reports:
        reported = r.reported_on.isoformat() if r.reported_on else "not reported"
        click.echo(f"{r.shipment.number}  {r.shipment.leg:<15} due {r.due.isoformat()}  {reported:<12} "
                   f"{r.days_late()} day(s) late")


@depot_cli.command("import-freight-bill")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="The supervisor importing the bill.")
@click.option("--period", default=None, help="The billed month, YYYY-MM (default: from the lines' dates).")
@fail_on_domain_error
@unit_of_work
def import_freight_bill_command(path: Path, username: str, period: str | None):
    """Import a factory logistics bill (CSV or XLSX) and print the reconciliation."""
    user = get_user(username)
    set_actor(db.session, user)
    bill = import_freight_bill(user, filename=path.name, content=path.read_bytes(), period=period)
    counts = finding_counts(bill)
    click.echo(f"Bill {bill.id} for {bill.period}: {bill.line_count} lines, total {bill.total_amount}")
    for kind, count in counts.items():
        click.echo(f"  {kind:<12} {count}")
