"""Roles, and what each one may do.

A user holds one or more roles. ``office`` users are bound to one regional
office and see only its data. Department approvers (channel, product, ...)
take part in DOA approvals.
"""
from __future__ import annotations

from enum import StrEnum


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


DEPARTMENT_ROLES = frozenset(
    {Role.CHANNEL, Role.PRODUCT, Role.FINANCE, Role.COMMERCE, Role.SALES, Role.PURCHASING}
)

# Staff of the customer-service department: may see every office's data.
HQ_ROLES = frozenset({Role.CLERK, Role.SERVICE, Role.SUPERVISOR, Role.ADMIN})


def parse_roles(values) -> set[Role]:
    """Turn role names into roles; raises ValueError naming the unknown one."""
    roles = set()
    for value in values:
        try:
            roles.add(Role(value.strip().lower()))
        except ValueError:
            raise ValueError(
                f"unknown role {value!r}; known roles: {', '.join(r.value for r in Role)}"
            ) from None
    return roles
