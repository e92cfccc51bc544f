"""Account rules: creating users, checking passwords, issuing API tokens."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from core.accounts.models import ApiToken, User
from core.accounts.passwords import check_strength, hash_password, verify_password
from core.accounts.roles import Role, parse_roles
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.types import utcnow

TOKEN_PREFIX = "dpt_"


def create_user(
    username: str,
    password: str,
    roles,
    *,
    display_name: str = "",
    email: str | None = None,
    office_id: int | None = None,
) -> User:
    """Create a user; an ``office`` user must name its office."""
    username = (username or "").strip()
    if not username:
        raise ValidationFailed("A username is required.", errors={"username": ["Required."]})
    problem = check_strength(password or "")
    if problem:
        raise ValidationFailed(problem, errors={"password": [problem]})
    try:
        role_set = parse_roles(roles)
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors={"roles": [str(exc)]}) from None
    if not role_set:
        raise ValidationFailed("A user needs at least one role.", errors={"roles": ["Required."]})
    if Role.OFFICE in role_set and office_id is None:
        raise ValidationFailed(
            "An office user must be bound to a regional office.", errors={"office": ["Required."]}
        )
    if office_id is not None:
        from core.directory.models import Office

        if db.session.get(Office, office_id) is None:
            raise ValidationFailed("No such regional office.", errors={"office": ["Unknown office."]})
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"The username {username!r} is taken.", errors={"username": ["Taken."]})
    user = User(
        username=username,
        display_name=display_name or username,
        email=email,
        password_hash=hash_password(password),
        office_id=office_id if Role.OFFICE in role_set else None,
    )
    user.set_roles(role_set)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, or None.

    Unknown names and wrong passwords take the same time and give the same
    answer, so a login form does not reveal which usernames exist.
    """
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is None or not ok or not user.active:
        return None
    return user


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a bearer token; the plain token is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A token needs a name.", errors={"name": ["Required."]})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:100], prefix=plain[:12], token_hash=_hash_token(plain))
    db.session.add(token)
    db.session.flush()
    return token, plain


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token; users revoke their own, admins anyone's."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("No such token.")
    if token.user_id != actor.id and not actor.has_role(Role.ADMIN):
        raise Forbidden("You may revoke only your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()
    return token


def user_for_token(plain: str) -> User | None:
    """The active user behind a bearer token, or None."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(plain)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token.user


def set_locale(user: User, locale: str | None) -> None:
    user.locale = locale
    db.session.flush()
