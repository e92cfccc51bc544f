"""``flask depot sweep``: e-mail every owner about their overdue work, once per item per day (run from cron)."""
from __future__ import annotations

import smtplib
from datetime import date

import click
from sqlalchemy.exc import IntegrityError

from core import chase, mail
from core.calendar import local_today
from core.cli import depot_cli
from core.extensions import db


@depot_cli.command("sweep")
@click.option("--date", "day", default=None, help="Treat this day (YYYY-MM-DD) as today.")
@click.option("--dry-run", is_flag=True, help="List what would be mailed; send and record nothing.")
def sweep_command(day, dry_run):
    """E-mail each owner (factory, offices, departments, CS) their overdue items, once per item per day."""
    try:
        today = date.fromisoformat(day) if day else local_today()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    groups = chase.plan(today)
    if not groups:
        click.echo("No overdue units or other overdue work left to mail today.")
        db.session.rollback()
        return
    failed = 0
    for group in groups:
        if dry_run:
            click.echo(f"would mail {len(group.items)} item(s) of {group.title} to {', '.join(group.recipients)}")
            continue
        # One transaction per e-mail: claim the items, send, commit.
        try:
            chase.record(group, today)
            mail.send(chase.compose(group, today))
            db.session.commit()
            click.echo(f"mailed {len(group.items)} item(s) of {group.title} to {', '.join(group.recipients)}")
        except IntegrityError:
            db.session.rollback()
            click.echo(f"skipped {group.title}: another sweep is mailing these items")
        except (smtplib.SMTPException, OSError, ValueError) as exc:  # ValueError: a header the mail refuses
            db.session.rollback()
            failed += 1
            click.echo(f"could not mail {', '.join(group.recipients)}: {exc.__class__.__name__}: {exc}", err=True)
    db.session.rollback()
    if failed:
        raise click.ClickException(f"{failed} e-mail(s) not sent; the next sweep retries them.")
