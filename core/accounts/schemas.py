"""API input (*Args) and output (*Schema) schemas for accounts."""
from marshmallow import Schema, fields, validate


class TokenArgs(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    active = fields.Boolean()


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "The bearer token; shown only once."})


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.Method("role_names")
    office_id = fields.Integer(allow_none=True)
    locale = fields.String(allow_none=True)

    def role_names(self, user):
        return sorted(r.value for r in user.roles)
