"""Directory commands: ``flask depot import-dealers FILE [--skip-bad-rows]``, ``flask depot fill-brands``."""
import click

from core.authz import SYSTEM
from core.cli import depot_cli
from core.directory.brands import fill_missing_brands
from core.directory.dealer_import import import_dealers
from core.errors import DomainError
from core.uow import unit_of_work


@depot_cli.command("import-dealers")
@click.argument("file", type=click.File("rb"))
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows even if some rows are bad.")
@unit_of_work
def import_dealers_command(file, skip_bad_rows):
    """Import dealers from a CSV file (UTF-8 or GBK), upserting by dealer code.

    Every bad row is listed with its line number. Without --skip-bad-rows a
    file with any bad row imports nothing and the command exits with status 1.
    """

    try:
        result = import_dealers(SYSTEM, file.read(), skip_bad_rows=skip_bad_rows, filename=getattr(file, "name", ""))
    except DomainError as exc:
        for row in exc.extra.get("rows", []):
            click.echo(_describe(row), err=True)
        for message in exc.errors.get("file", []):
            if message != exc.message:
                click.echo(message, err=True)
        raise click.ClickException(exc.message) from None
    for bad in result.bad_rows:
        click.echo("skipped " + bad.describe(), err=True)
    click.echo(f"dealers: {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
               f"{result.skipped} bad row(s) skipped")


def _describe(row: dict) -> str:
    reasons = " | ".join(f"{name}: {'; '.join(msgs)}" for name, msgs in row["errors"].items())
    return f"line {row['line']}" + (f" ({row['code']})" if row["code"] else "") + f": {reasons}"


@depot_cli.command("fill-brands")
@unit_of_work
def fill_brands_command():
    """Give the repair and DOA units recorded without a brand the brand of their model (catalogue part,
    else the longest model prefix): run after filling in the brands' prefixes or the parts' brands."""
    for table, filled in fill_missing_brands().items():
        click.echo(f"{table}: {filled} unit(s) given a brand")
