"""Roles, and what each one may do.

A user holds one or more roles. ``office`` users are bound to one regional
office and see only its data. Department approvers (channel, product, ...)
take part in DOA approvals.
"""
from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    CLERK = "clerk"
    SERVICE = "service"
    OFFICE = "office"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    CHANNEL = "channel"
    PRODUCT = "product"
    FINANCE = "finance"
    COMMERCE = "commerce"
    SALES = "sales"
    PURCHASING = "purchasing"
    # The general manager's assistant approves the handling report of a complaint with compensation.
    GM_ASSISTANT = "gm_assistant"


DEPARTMENT_ROLES = frozenset(
    {Role.CHANNEL, Role.PRODUCT, Role.FINANCE, Role.COMMERCE, Role.SALES, Role.PURCHASING}
)

# Staff of the customer-service department: may see every office's data.
HQ_ROLES = frozenset({Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.ADMIN})


class RoleChecks:
    """Role questions answered from ``self.roles`` (a set of :class:`Role`); shared by
    users and token principals."""

    def has_role(self, *roles) -> bool:
        """Admins pass every role check."""
        mine = self.roles
        return Role.ADMIN in mine or any(Role(r) in mine for r in roles)

    @property
    def is_hq(self) -> bool:
        return bool(self.roles & HQ_ROLES)

    @property
    def departments(self) -> set[Role]:
        return set(self.roles & DEPARTMENT_ROLES)


ROLE_LABELS = {
    Role.CLERK: _l("Warehouse clerk"), Role.SERVICE: _l("Service staff"), Role.OFFICE: _l("Regional office"),
    Role.SUPERVISOR: _l("Supervisor"), Role.ADMIN: _l("Administrator"), Role.CHANNEL: _l("Channel dept"),
    Role.PRODUCT: _l("Product dept"), Role.FINANCE: _l("Finance dept"), Role.COMMERCE: _l("Commerce dept"),
    Role.SALES: _l("Sales dept"), Role.PURCHASING: _l("Purchasing dept"),
    Role.GM_ASSISTANT: _l("General manager's assistant"),
}


def role_label(role) -> str:
    """The role's name for people (an unknown code as it is)."""
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)


def parse_roles(values) -> set[Role]:
    """Turn role names into roles; raises ValueError naming the unknown one."""
    roles = set()
    for value in values:
        try:
            roles.add(Role(value.strip().lower()))
        except ValueError:
            raise ValueError(str(_l("Unknown role %(role)s; the roles are: %(known)s.", role=value,
                                    known=", ".join(r.value for r in Role)))) from None
    return roles
