"""``flask depot report --month 2026-10 [--out FILE] [--email ADDRESS]``: the monthly PDF summary."""
from __future__ import annotations

import smtplib
from pathlib import Path

import click
from sqlalchemy import func, select

from core.calendar import local_today
from core.cli import depot_cli, fail_on_domain_error
from core.directory.models import Office
from core.errors import DomainError
from core.extensions import db
from core.mail import send as send_mail
from figures import export, mail, service
from figures.periods import month_period, parse_month, parse_week


@depot_cli.command("report")
@click.option("--month", default=None, help="The month, YYYY-MM (Shanghai calendar); default: last month.")
@click.option("--week", default=None, help="A week instead: YYYY-Www or a day in it.")
@click.option("--office", default=None, help="Only this office's figures (office code).")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the PDF; default: depot-figures-<period>.pdf here.")
@click.option("--email", default=None, help="Also e-mail the PDF to this address (SMTP: DEPOT_SMTP_*).")
@fail_on_domain_error
def report_command(month, week, office, out, email):
    """Write the monthly (or weekly) figures summary as a PDF, and optionally e-mail it."""
    try:
        if month and week:
            raise click.UsageError("give --month or --week, not both")
        if week:
            period = parse_week(week)
        elif month:
            period = parse_month(month)
        else:
            today = local_today()
            period = month_period(today.year, today.month).previous()
        address = mail.check_address(email) if email is not None else None
    except DomainError as exc:
        raise click.BadParameter(exc.message, param_hint="--week" if week and not month else
                                 ("--email" if "email" in exc.errors else "--month")) from None
    scope = service.Scope(None)
    if office:
        row = db.session.scalar(select(Office).where(func.upper(Office.code) == office.strip().upper()))
        if row is None:
            raise click.BadParameter(f"no office {office!r}", param_hint="--office")
        scope = service.Scope(row.id, row.code, row.name)
    try:
        report = service.compute_report(period, scope)
        pdf = export.report_pdf(report)
    finally:
        db.session.rollback()  # the report only reads: nothing to keep
    suffix = f"-{scope.office_code}" if scope.office_code else ""
    filename = f"depot-figures-{period.key}{suffix}.pdf"
    path = Path(out) if out else Path(filename)
    try:
        path.write_bytes(pdf)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    click.echo(f"wrote {path} ({len(pdf)} bytes): {period.key}, {report.scope_label}")
    if address:
        try:
            send_mail(mail.compose(report, pdf, address, filename))
        except (smtplib.SMTPException, OSError) as exc:
            raise click.ClickException(f"could not e-mail {address}: {exc.__class__.__name__}: {exc}") from None
        click.echo(f"mailed it to {address}")
