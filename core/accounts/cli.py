"""``flask depot create-user`` and ``flask depot create-token``."""
import click

from core.accounts import service
from core.cli import depot_cli, fail_on_domain_error
from core.directory.service import office_by_code
from core.uow import unit_of_work


@depot_cli.command("create-user")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Role; repeat for several.")
@click.option("--office", "office_code", help="Regional office code (office users).")
@click.option("--name", "display_name", default="")
@click.option("--email", default=None)
@click.password_option(help="Password (asked for if not given).")
@fail_on_domain_error
@unit_of_work
def create_user_command(username, roles, office_code, display_name, email, password):
    """Create a user with one or more roles."""
    office_id = None
    if office_code:
        office_id = office_by_code(office_code).id
    user = service.create_user(
        username, password, roles, display_name=display_name, email=email, office_id=office_id
    )
    click.echo(f"created user {user.username} ({', '.join(sorted(r.value for r in user.roles))})")


@depot_cli.command("create-token")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. 'scanner 3'.")
@fail_on_domain_error
@unit_of_work
def create_token_command(username, name):
    """Issue an API token and print it (shown once)."""
    user = service.get_user(username)
    _, plain = service.create_token(user, name)
    click.echo(plain)
