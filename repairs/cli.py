"""``flask depot sweep``: mail overdue repair units (run from cron)."""
from __future__ import annotations

import smtplib
from datetime import date

import click
from sqlalchemy.exc import IntegrityError

from core.calendar import local_today
from core.cli import depot_cli
from core.extensions import db


@depot_cli.command("sweep")
@click.option("--date", "day", default=None, help="Treat this day (YYYY-MM-DD) as today.")
@click.option("--dry-run", is_flag=True, help="List what would be mailed; send and record nothing.")
def sweep_command(day, dry_run):
    """E-mail the factory contact and the CS supervisor about overdue units, once per unit per day."""
    from repairs import sweep

    try:
        today = date.fromisoformat(day) if day else local_today()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    groups = sweep.plan(today)
    if not groups:
        click.echo("No overdue units left to mail today.")
        db.session.rollback()
        return
    failed = 0
    for group in groups:
        if dry_run:
            click.echo(f"would mail {len(group.units)} unit(s) to {', '.join(group.recipients)}")
            continue
        # One transaction per e-mail: claim the units, send, commit.
        try:
            sweep.record(group, today)
            sweep.send(sweep.compose(group, today))
            db.session.commit()
            click.echo(f"mailed {len(group.units)} unit(s) to {', '.join(group.recipients)}")
        except IntegrityError:
            db.session.rollback()
            click.echo(f"skipped {group.title}: another sweep is mailing these units")
        except (smtplib.SMTPException, OSError, ValueError) as exc:  # ValueError: a header the mail refuses
            db.session.rollback()
            failed += 1
            click.echo(f"could not mail {', '.join(group.recipients)}: {exc.__class__.__name__}: {exc}", err=True)
    db.session.rollback()
    if failed:
        raise click.ClickException(f"{failed} e-mail(s) not sent; the next sweep retries them.")
