"""``flask depot demo``: a realistic data set to try Depot with.

Each package registers a loader; loaders run in order inside one unit of work.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

import click
from sqlalchemy import func, select

from core.accounts.models import User
from core.cli import depot_cli, fail_on_domain_error
from core.demo_users import DEMO_USERS, demo_password
from core.extensions import db
from core.uow import unit_of_work


@dataclass(frozen=True)
class DemoLoader:
    name: str
    order: int
    load: Callable  # load(rng, echo) -> None


_LOADERS: list[DemoLoader] = []


def register_demo_loader(name: str, order: int, load: Callable) -> None:
    """Register ``load(rng, echo)``; lower ``order`` runs first."""
    if all(loader.name != name for loader in _LOADERS):
        _LOADERS.append(DemoLoader(name, order, load))


def load_demo(seed: int = 2026, echo=click.echo) -> None:
    """Run every loader once (flush only; the caller commits)."""
    rng = random.Random(seed)
    loaders = sorted(_LOADERS, key=lambda loader: loader.order)
    with click.progressbar(loaders, label="Loading demo data", item_show_func=lambda l: l.name if l else "") as bar:
        for loader in bar:
            loader.load(rng, echo)


@depot_cli.command("demo")
@click.option("--seed", default=2026, show_default=True, help="Random seed for the generated data.")
@click.option("--if-empty", is_flag=True, help="Do nothing (but list the demo logins) if data is already there.")
@fail_on_domain_error
@unit_of_work
def demo_command(seed, if_empty):
    """Load the demo data set (into an empty database)."""
    if db.session.scalar(select(func.count(User.id))):
        if not if_empty:
            raise click.ClickException("The database already has users; demo data goes into an empty database.")
        click.echo("Demo data is already loaded. Logins (username / password):")
        for username, roles, _office in DEMO_USERS:
            click.echo(f"  {username:<12} / {demo_password(username):<18} {', '.join(roles)}")
        return
    messages: list[str] = []
    load_demo(seed, echo=messages.append)
    for line in messages:
        click.echo(line)
