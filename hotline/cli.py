"""``flask depot hotline fetch-mail``: read the service mailbox into the hotline log."""
from __future__ import annotations

import click

from core.cli import depot_cli, fail_on_domain_error
from core.extensions import db
from hotline import mail_intake


@depot_cli.group("hotline")
def hotline_cli():
    """The hotline and e-mail desk."""


@hotline_cli.command("fetch-mail")
@fail_on_domain_error
def fetch_mail():
    """Import the mailbox's new messages (each once; commits after every message)."""
    try:
        result = mail_intake.fetch_mail(db.session.commit, db.session.rollback)
    except BaseException:
        db.session.rollback()
        raise
    click.echo(f"new questions: {result.new_entries}, replies joined: {result.joined}, "
               f"already imported: {result.duplicates}, refused: {result.refused}")
