"""User administration for admins: pages under /admin/users and the API under /api/v1/users."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.accounts import service
from core.accounts.admin_schemas import (
    PasswordArgs,
    UserCreateArgs,
    UserListArgs,
    UserPageSchema,
    UserSchema,
    UserUpdateArgs,
)
from core.accounts.auth import actor, keep_session, roles_required
from core.accounts.roles import ROLE_LABELS, Role
from core.api import Blueprint as ApiBlueprint
from core.audit.service import trail
from core.directory.models import Office
from core.errors import DomainError
from core.forms import flash_refusal, read_form, refused, ticked
from core.extensions import db
from core.nav import register_nav
from core.pagination import page_number

bp = Blueprint("accounts_admin", __name__, template_folder="templates", url_prefix="/admin/users")
blp = ApiBlueprint("users_api", __name__, url_prefix="/api/v1/users", description="User administration (admins)")



def _offices():
    return list(db.session.scalars(select(Office).order_by(Office.code)))


# The fields the user form shows a message beside (create_user names the office "office").
_BESIDE = {"username", "password", "display_name", "email", "roles", "office_id", "office", "active"}


def _field_errors(err: DomainError) -> dict:
    errors = dict(err.errors)
    if "office" in errors:  # create_user names it "office"; the form field is office_id
        errors["office_id"] = errors.pop("office")
    return errors


def _render(template: str, status: int = 200, **ctx):
    return render_template(template, roles=ROLE_LABELS, offices=_offices(), **ctx), status


# ------------------------------------------------------------------ pages

@bp.route("")
@roles_required(Role.ADMIN)
def users():
    """All users, searchable."""
    page_no = page_number(request.args.get("page"))
    q = request.args.get("q", "").strip()
    page = service.search_users(actor(), q, page=page_no, per_page=50)
    return render_template("accounts/admin_users.html", page=page, q=q, roles=ROLE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    """Create a user."""
    values = {"roles": []}
    if request.method == "POST":
        values = request.form.to_dict()
        values["roles"] = request.form.getlist("roles")
        try:
            args = read_form(UserCreateArgs, named=True)
            user = service.admin_create_user(actor(), args["username"], args["password"], args["roles"],
                                             display_name=args["display_name"], email=args["email"],
                                             office_id=args["office_id"])
        except DomainError as err:
            flash_refusal(err, beside=_BESIDE)
            values.pop("password", None)
            return _render("accounts/admin_user_form.html", 422 if err.status == 422 else err.status,
                           user=None, values=values, errors=_field_errors(err))
        flash(_("User %(name)s created.", name=user.username), "success")
        return redirect(url_for("accounts_admin.edit_user", user_id=user.id))
    return _render("accounts/admin_user_form.html", user=None, values=values, errors={})


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id):
    """Change a user's roles, office, name, email, active flag."""
    user = service.user_by_id(user_id)
    values = {"display_name": user.display_name, "email": user.email or "", "roles": [r.value for r in user.roles],
              "office_id": user.office_id or "", "active": user.active}
    errors, status = {}, 200
    if request.method == "POST":
        values = request.form.to_dict()
        values["roles"] = request.form.getlist("roles")
        values["active"] = ticked("active")
        try:
            # A page sends every field: one left empty is cleared, not left as it was (the API's PATCH).
            args = read_form(UserUpdateArgs, named=True)
            service.update_user(actor(), user_id, display_name=args.get("display_name", ""),
                                email=args.get("email"), roles=args.get("roles", []),
                                office_id=args.get("office_id"), active=values["active"])
        except DomainError as err:
            flash_refusal(err, beside=_BESIDE)
            errors, status = _field_errors(err), err.status
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("accounts_admin.edit_user", user_id=user_id))
    return _render("accounts/admin_user_form.html", status, user=user, values=values, errors=errors,
                   entries=trail("user_account", user.id))


@bp.route("/<int:user_id>/password", methods=["POST"])
@roles_required(Role.ADMIN)
def reset_password(user_id):
    """Set a new password for a user."""
    try:
        user = service.set_password(actor(), user_id, read_form(PasswordArgs)["password"])
    except DomainError as err:
        return refused(err, url_for("accounts_admin.edit_user", user_id=user_id))
    if user.id == actor().id:
        keep_session(user)  # the admin's other sessions end; this one goes on
    flash(_("New password set for %(name)s.", name=user.username), "success")
    return redirect(url_for("accounts_admin.edit_user", user_id=user_id))


register_nav(_l("Users"), "accounts_admin.users", roles=(Role.ADMIN,), order=90)


# ------------------------------------------------------------------ API

@blp.route("")
class Users(MethodView):
    @roles_required(Role.ADMIN)
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, UserPageSchema)
    def get(self, args):
        """Search users."""
        return service.search_users(actor(), args["q"], page=args["page"], per_page=args["per_page"])

    @roles_required(Role.ADMIN)
    @blp.arguments(UserCreateArgs)
    @blp.response(201, UserSchema)
    def post(self, args):
        """Create a user."""
        return service.admin_create_user(actor(), args["username"], args["password"], args["roles"],
                                         display_name=args["display_name"], email=args["email"],
                                         office_id=args["office_id"])


@blp.route("/<int:user_id>")
class UserItem(MethodView):
    @roles_required(Role.ADMIN)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user."""
        return service.user_by_id(user_id)

    @roles_required(Role.ADMIN)
    @blp.arguments(UserUpdateArgs)
    @blp.response(200, UserSchema)
    def patch(self, args, user_id):
        """Change roles, office, name, email or the active flag."""
        return service.update_user(actor(), user_id, **args)


@blp.route("/<int:user_id>/password")
class UserPassword(MethodView):
    @roles_required(Role.ADMIN)
    @blp.arguments(PasswordArgs)
    @blp.response(200, UserSchema)
    def post(self, args, user_id):
        """Set a new password."""
        return service.set_password(actor(), user_id, args["password"])
