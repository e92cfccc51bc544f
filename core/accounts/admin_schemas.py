"""API input (*Args) and output (*Schema) schemas for user administration."""
from marshmallow import Schema, fields, validate

from core.accounts.roles import Role
from core.schemas import Line, PageArgs

ROLE_NAMES = [r.value for r in Role]


class UserListArgs(PageArgs):
    q = fields.String(load_default="")


class UserCreateArgs(Schema):
    username = Line(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)), required=True,
                        validate=validate.Length(min=1))
    display_name = Line(load_default="", validate=validate.Length(max=120))
    email = fields.String(load_default=None, allow_none=True)
    office_id = fields.Integer(load_default=None, allow_none=True)


class UserUpdateArgs(Schema):
    display_name = Line(validate=validate.Length(max=120))
    email = fields.String(allow_none=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)), validate=validate.Length(min=1))
    office_id = fields.Integer(allow_none=True)
    active = fields.Boolean()


class PasswordArgs(Schema):
    password = fields.String(required=True, load_only=True)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    roles = fields.Method("role_names")
    office_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()

    def role_names(self, user):
        return sorted(r.value for r in user.roles)


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
