"""Account rules: creating users, checking passwords, issuing API tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.accounts.models import ApiToken, User
from core.accounts.passwords import check_strength, hash_password, verify_password
from core.accounts.principal import (
    PRINCIPAL_BY_TOKEN_HASH,
    PrincipalCache,
    TokenPrincipal,
    principal_cache,
    principal_from_rows,
    user_record,
)
from core.accounts.roles import Role, parse_roles
from core.authz import require
from core.directory.models import Office
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.extensions import db
from core.input_limits import single_line_problem
from core.locking import lock_row
from core.pagination import paginate
from core.queries import contains
from core.types import utcnow

TOKEN_PREFIX = "dpt_"
# How precisely a token's "last used" time is kept.
LAST_USED_RESOLUTION = timedelta(minutes=15)


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
        raise ValidationFailed(_("A username is required."), errors={"username": [_("Required.")]})
    _check_one_line(username=username, display_name=display_name)
    problem = check_strength(password or "")
    if problem:
        raise ValidationFailed(problem, errors={"password": [problem]})
    try:
        role_set = parse_roles(roles)
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors={"roles": [str(exc)]}) from None
    if not role_set:
        raise ValidationFailed(_("A user needs at least one role."), errors={"roles": [_("Required.")]})
    if Role.OFFICE in role_set and office_id is None:
        raise ValidationFailed(
            _("An office user must be bound to a regional office."), errors={"office": [_("Required.")]}
        )
    if office_id is not None:
        if db.session.get(Office, office_id) is None:
            raise ValidationFailed(_("No such regional office."), errors={"office": [_("Unknown office.")]})
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise _username_taken(username)
    user = User(
        username=username,
        display_name=display_name or username,
        email=email,
        password_hash=hash_password(password),
        office_id=office_id if Role.OFFICE in role_set else None,
    )
    user.set_roles(role_set)
    try:
        # The unique username decides between two requests creating the same user at once.
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise _username_taken(username) from None
    return user


def _username_taken(username: str) -> Conflict:
    return Conflict(_("The username %(name)s is taken.", name=username), errors={"username": [_("Taken.")]})


def _check_one_line(**values) -> None:
    """Names are one line of text: control characters (a line break too) are refused."""
    errors = {key: [problem] for key, value in values.items()
              if isinstance(value, str) and (problem := single_line_problem(value.strip()))}
    if errors:
        raise ValidationFailed(_("Some fields need correcting."), errors=errors)


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
        raise NotFound(_("No user named %(name)s.", name=username))
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a bearer token; the plain token is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A token needs a name."), errors={"name": [_("Required.")]})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:100], prefix=plain[:12], token_hash=_hash_token(plain))
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
        raise NotFound(_("No such token."))
    if token.user_id != actor.id and not actor.has_role(Role.ADMIN):
        raise Forbidden(_("You may revoke only your own tokens."))
    # Hold the token's row, then read it again: of two revocations at the same moment the
    # second waits here, sees the first one's revocation and is told so. (Changed through
    # the ORM so the audit trail records it.)
    lock_row(ApiToken, token_id)
    db.session.refresh(token)
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."), code="already_revoked")
    token.revoked_at = utcnow()
    db.session.flush()
    _forget(token_id=token.id)
    return token


def _forget(*, token_id: int | None = None, user_id: int | None = None) -> None:
    """Stop this process trusting a revoked token or a changed user's tokens."""
    cache = principal_cache()
    if cache is not None:
        if token_id is not None:
            cache.forget_token(token_id)
        if user_id is not None:
            cache.forget_user(user_id)


_TOKEN_USED = (update(ApiToken.__table__).where(ApiToken.__table__.c.id == bindparam("token_id"))
               .values(last_used_at=bindparam("used_at")))


def user_for_token(plain: str, cache: PrincipalCache | None = None) -> TokenPrincipal | None:
    """The active user behind a bearer token, as a :class:`TokenPrincipal`, or None.

    With ``cache``, a principal read less than its seconds ago is answered from it.
    """
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    token_hash = _hash_token(plain)
    if cache is not None:
        known = cache.get(token_hash)
        if known is not None:
            return known
    conn = db.session.connection()
    rows = conn.execute(PRINCIPAL_BY_TOKEN_HASH, {"token_hash": token_hash}).all()
    if not rows or rows[0].revoked_at is not None or not rows[0].active:
        return None
    last_used_at = rows[0].last_used_at
    now = utcnow()
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        # Coarse on purpose: a write per request would be a write per scan. A plain
        # UPDATE, outside the audit log like the column itself.
        conn.execute(_TOKEN_USED, {"token_id": rows[0].id, "used_at": now})
    principal = principal_from_rows(rows)
    if cache is not None:
        cache.put(token_hash, principal)
    return principal


def set_locale(user, locale: str | None) -> None:
    """Remember the user's language (``user``: a User or a token principal)."""
    user_record(user).locale = locale
    db.session.flush()


# ---------------------------------------------------------------- user administration (admins)

def _require_admin(actor) -> None:
    require(actor, Role.ADMIN, message=_("Only administrators manage users."))


def _check_email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > 200 or not re.match(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$", email):
        message = _("Not a valid email address.")
        raise ValidationFailed(message, errors={"email": [message]})
    return email


def user_by_id(user_id: int) -> User:
    """The user with this id (NotFound otherwise)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def search_users(actor: User, q: str = "", *, page: int = 1, per_page: int = 50):
    """Users whose name, display name or email contains ``q`` (admins only)."""
    _require_admin(actor)
    stmt = select(User)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(contains(User.username, q, ignore_case=True),
                              contains(User.display_name, q, ignore_case=True),
                              contains(User.email, q, ignore_case=True)))
    return paginate(stmt.order_by(User.username), page, per_page)


def admin_create_user(actor: User, username: str, password: str, roles, *, display_name: str = "",
                      email: str | None = None, office_id: int | None = None) -> User:
    """An admin creates a user (same rules as :func:`create_user`, plus a valid email)."""
    _require_admin(actor)
    email = _check_email(email)
    return create_user(username, password, roles, display_name=(display_name or "").strip()[:120],
                       email=email, office_id=office_id)


_UNSET = object()


def update_user(actor: User, user_id: int, *, display_name=_UNSET, email=_UNSET, roles=_UNSET,
                office_id=_UNSET, active=_UNSET) -> User:
    """Change a user's name, email, roles, office or active flag (admins only).

    An admin cannot take away their own admin role or deactivate themselves,
    so Depot is never left without a way in.
    """
    _require_admin(actor)
    # Hold the user's row first: a second edit at the same moment waits and then reads
    # the roles the first one saved, so it never inserts the same role again.
    lock_row(User, user_id)
    user = user_by_id(user_id)
    db.session.refresh(user)
    errors: dict[str, list[str]] = {}
    new_roles = user.roles
    if roles is not _UNSET:
        try:
            new_roles = parse_roles(roles or [])
        except ValueError as exc:
            errors["roles"] = [str(exc)]
        else:
            if not new_roles:
                errors["roles"] = [_("A user needs at least one role.")]
            elif user.id == actor.id and Role.ADMIN not in new_roles:
                errors["roles"] = [_("You cannot remove your own admin role.")]
    new_office = user.office_id if office_id is _UNSET else office_id
    if Role.OFFICE in new_roles and new_office is None:
        errors["office_id"] = [_("An office user must be bound to a regional office.")]
    if new_office is not None:
        if db.session.get(Office, new_office) is None:
            errors["office_id"] = [_("Unknown office.")]
    if email is not _UNSET:
        try:
            email = _check_email(email)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if display_name is not _UNSET and len((display_name or "").strip()) > 120:
        errors["display_name"] = [_("At most %(n)s characters.", n=120)]
    elif display_name is not _UNSET and single_line_problem((display_name or "").strip()):
        errors["display_name"] = [single_line_problem((display_name or "").strip())]
    if active is not _UNSET and not active and user.id == actor.id:
        errors["active"] = [_("You cannot deactivate yourself.")]
    if errors:
        raise ValidationFailed(_("Some fields need correcting."), errors=errors)
    if display_name is not _UNSET:
        user.display_name = (display_name or "").strip() or user.username
    if email is not _UNSET:
        user.email = email
    if roles is not _UNSET:
        user.set_roles(new_roles)
    # Only office users are bound to an office.
    user.office_id = new_office if Role.OFFICE in new_roles else None
    if active is not _UNSET:
        user.active = bool(active)
    db.session.flush()
    _forget(user_id=user.id)
    return user


def set_password(actor: User, user_id: int, password: str) -> User:
    """Set a new password for a user (admins; anyone for themselves)."""
    if actor is None or actor.id != user_id:
        require(actor, Role.ADMIN, message=_("Only administrators set other users' passwords."))
    user = user_by_id(user_id)
    problem = check_strength(password or "")
    if problem:
        raise ValidationFailed(problem, errors={"password": [problem]})
    user.password_hash = hash_password(password)
    end_sessions(user)
    return user


def end_sessions(user) -> None:
    """End every signed-in session of ``user`` (a User or a token principal): sign-out,
    a password change. The sessions are signed cookies, so each carries the user's
    session version, which this raises."""
    record = user_record(user)
    # One UPDATE on the current value, so two at once both count.
    db.session.execute(update(User).where(User.id == record.id)
                       .values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(record, ["session_version"])


def deactivate(actor: User, user_id: int) -> User:
    """Stop a user from signing in; their API tokens stop working too."""
    return update_user(actor, user_id, active=False)
