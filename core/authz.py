"""Who may do what: the one place that answers it.

Every service checks its own rules here, so a page, the API, the command line and
a background sweep all obey the same ones:

- :func:`require` — the actor holds one of the roles (admins and :data:`SYSTEM` pass).
- :func:`require_office` / :func:`can_see_office` — the actor may see data of an office.
- :func:`scope_to_office` — a query limited to the offices the actor may see.

Nobody acting (``None``) is never allowed anything. Work that no person starts
(command line, chase sweep, demo loading, imports, internal postings) acts as
:data:`SYSTEM`, which has a name for the audit log and event rows and passes every check.
"""
from __future__ import annotations

from flask_babel import gettext as _

from core.accounts.roles import DEPARTMENT_ROLES, HQ_ROLES, Role
from core.errors import Forbidden


class SystemPrincipal:
    """The acting principal of work that no signed-in person starts; passes every check.

    It answers the questions a user or a token principal answers (``id``, ``username``,
    ``roles``, ``has_role``, ``office_id``, ``is_hq``); ``id`` is None, so rows it writes
    name no user, and ``username`` ("system") is what event rows and the audit log show.
    """

    id = None
    username = "system"
    display_name = "System"
    email = None
    locale = None
    office_id = None
    roles = frozenset({Role.ADMIN})
    departments: frozenset = frozenset()
    is_hq = True
    is_system = True
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def has_role(self, *roles) -> bool:
        """The system may do everything."""
        return True

    def get_id(self) -> None:
        return None

    def __repr__(self) -> str:
        return "<SystemPrincipal>"


SYSTEM = SystemPrincipal()

# The office limit of an actor who may see no office's data.
NO_OFFICE = -1


def is_system(actor) -> bool:
    """True for the system principal."""
    return getattr(actor, "is_system", False) is True


def signed_in(actor) -> None:
    """Raise Forbidden when nobody is named as acting (None)."""
    if actor is None:
        raise Forbidden(_("Sign in first."))


def require(actor, *roles: Role | str, message: str | None = None) -> None:
    """Raise Forbidden unless ``actor`` holds one of ``roles``.

    Admins and :data:`SYSTEM` pass every check; with no roles any actor passes.
    ``None`` never passes: callers that act for nobody in particular pass SYSTEM.
    ``message`` says in words what the role does not allow (default: "this").
    """
    signed_in(actor)
    if roles and not actor.has_role(*roles):
        raise Forbidden(message or _("Your role does not allow this."))


def visible_office_id(actor, *, approvers_see_all: bool = False) -> int | None:
    """The one office ``actor`` is limited to, or None for those who see every office.

    HQ staff (clerk, service, supervisor, admin) and SYSTEM see all; an office user
    its own office. Department approvers see no office's stock (:data:`NO_OFFICE`),
    except where ``approvers_see_all`` (DOA cases, which they decide for every office);
    there an actor with neither role is refused.
    """
    signed_in(actor)
    if is_system(actor):
        return None
    roles = actor.roles
    if actor.is_hq or actor.has_role(Role.SUPERVISOR):
        return None
    if approvers_see_all:
        if roles & DEPARTMENT_ROLES or roles & HQ_ROLES:
            return None
        if Role.OFFICE in roles and actor.office_id is not None:
            return actor.office_id
        raise Forbidden(_("Your role does not allow this."))
    if Role.OFFICE in roles:
        return actor.office_id
    return NO_OFFICE


def can_see_office(actor, office_id: int | None, *, approvers_see_all: bool = False) -> bool:
    """Whether ``actor`` may see data of ``office_id`` (None: HQ's own)."""
    limit = visible_office_id(actor, approvers_see_all=approvers_see_all)
    return limit is None or limit == office_id


def require_office(actor, office_id: int | None, *, approvers_see_all: bool = False,
                   message: str | None = None) -> None:
    """Raise Forbidden unless ``actor`` may see data of ``office_id``."""
    if not can_see_office(actor, office_id, approvers_see_all=approvers_see_all):
        raise Forbidden(message or _("This record belongs to another office."))


def scope_to_office(stmt, actor, office_column, *, approvers_see_all: bool = False):
    """``stmt`` limited to the rows whose ``office_column`` the actor may see.

    The one query helper for office scoping: HQ staff and SYSTEM get ``stmt`` as it
    is, an office user its own office's rows, others none.
    """
    limit = visible_office_id(actor, approvers_see_all=approvers_see_all)
    return stmt if limit is None else stmt.where(office_column == limit)
