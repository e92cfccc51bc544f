"""API input (*Args) and output (*Schema) schemas for the directory.

Args check types only; the rules (formats, unique codes, existing office)
live in :mod:`core.directory.service` so pages and API give the same answers.
Create args mark the required fields; update args (PATCH) make every field
optional. Unknown fields are refused (marshmallow's default).
"""
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from core.ids import ID_RANGE
from core.schemas import PageArgs, PageSchema


class DirectoryListArgs(PageArgs):
    q = fields.String(load_default="", metadata={"description": "Search words (code, name, contact, phone...)."})


class DealerListArgs(DirectoryListArgs):
    office_id = fields.Integer(load_default=None, validate=ID_RANGE)
    active = fields.Boolean(load_default=None)


def _optional_text(**kw):
    return fields.String(allow_none=True, **kw)


# ------------------------------------------------------------------ offices

class OfficeUpdateArgs(Schema):
    code = fields.String()
    name = fields.String()
    region = _optional_text()
    contact = _optional_text()
    phone = _optional_text()
    email = _optional_text()
    active = fields.Boolean()


class OfficeCreateArgs(OfficeUpdateArgs):
    code = fields.String(required=True)
    name = fields.String(required=True)


class OfficeSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    region = fields.String()
    contact = fields.String()
    phone = fields.String()
    email = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()


class OfficePageSchema(PageSchema):
    items = fields.List(fields.Nested(OfficeSchema))


# ------------------------------------------------------------------ dealers

class DealerUpdateArgs(Schema):
    code = fields.String()
    name = fields.String()
    contact = _optional_text()
    phone = _optional_text()
    email = _optional_text()
    birthday = fields.Date(allow_none=True)
    region = _optional_text()
    address = _optional_text()
    office_id = fields.Integer(allow_none=True)
    channel_rep = _optional_text()
    active = fields.Boolean()


class DealerCreateArgs(DealerUpdateArgs):
    code = fields.String(required=True)
    name = fields.String(required=True)


class OfficeRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class DealerSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    contact = fields.String()
    phone = fields.String()
    email = fields.String(allow_none=True)
    birthday = fields.Date(allow_none=True)
    region = fields.String()
    address = fields.String()
    office_id = fields.Integer(allow_none=True)
    office = fields.Nested(OfficeRefSchema, allow_none=True)
    channel_rep = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()


class DealerPageSchema(PageSchema):
    items = fields.List(fields.Nested(DealerSchema))


class DealerImportFileArgs(Schema):
    file = Upload(required=True, metadata={"description": "CSV, UTF-8 or GBK, header line first."})


class DealerImportQueryArgs(Schema):
    skip_bad_rows = fields.Boolean(load_default=False,
                                   metadata={"description": "Import the good rows even if some rows are bad."})


class DealerImportBadRowSchema(Schema):
    line = fields.Integer()
    code = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class DealerImportSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    skipped = fields.Integer()
    bad_rows = fields.List(fields.Nested(DealerImportBadRowSchema))


# ------------------------------------------------------------------ factories and routes

class FactoryUpdateArgs(Schema):
    code = fields.String()
    name = fields.String()
    contact = _optional_text()
    email = _optional_text()
    phone = _optional_text()
    address = _optional_text()


class FactoryCreateArgs(FactoryUpdateArgs):
    code = fields.String(required=True)
    name = fields.String(required=True)


class FactorySchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    contact = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String()
    address = fields.String()
    created_at = fields.DateTime()


class FactoryPageSchema(PageSchema):
    items = fields.List(fields.Nested(FactorySchema))


class RouteUpdateArgs(Schema):
    code = fields.String()
    name = fields.String()
    factory_id = fields.Integer()
    promise_days = fields.Integer(allow_none=True, metadata={"description": "Working days; null: no promise."})
    dispatch_days = fields.Integer()
    factory_chase_days = fields.Integer(metadata={"description": "Calendar days at the factory before it is chased."})
    chase_after_days = fields.Integer(
        metadata={"description": "Route without a promise: days at the repairer before the unit is long outstanding."})
    active = fields.Boolean()


class RouteCreateArgs(RouteUpdateArgs):
    code = fields.String(required=True)
    name = fields.String(required=True)
    factory_id = fields.Integer(required=True)


class FactoryRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class RouteSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    factory_id = fields.Integer()
    factory = fields.Nested(FactoryRefSchema)
    promise_days = fields.Integer(allow_none=True)
    dispatch_days = fields.Integer()
    factory_chase_days = fields.Integer()
    chase_after_days = fields.Integer()
    active = fields.Boolean()


class RoutePageSchema(PageSchema):
    items = fields.List(fields.Nested(RouteSchema))


# ------------------------------------------------------------------ vendors and departments

class VendorUpdateArgs(Schema):
    code = fields.String()
    name = fields.String()
    contact = _optional_text()
    email = _optional_text()
    phone = _optional_text()


class VendorCreateArgs(VendorUpdateArgs):
    code = fields.String(required=True)
    name = fields.String(required=True)


class VendorSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    contact = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String()


class VendorPageSchema(PageSchema):
    items = fields.List(fields.Nested(VendorSchema))


class DepartmentUpdateArgs(Schema):
    code = fields.String()
    name = fields.String()
    email = _optional_text()


class DepartmentCreateArgs(DepartmentUpdateArgs):
    code = fields.String(required=True)
    name = fields.String(required=True)


class DepartmentSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    email = fields.String(allow_none=True)


class DepartmentPageSchema(PageSchema):
    items = fields.List(fields.Nested(DepartmentSchema))


class BrandUpdateArgs(Schema):
    code = fields.String()
    name = fields.String()
    model_prefixes = _optional_text()
    active = fields.Boolean()


class BrandCreateArgs(BrandUpdateArgs):
    code = fields.String(required=True)
    name = fields.String(required=True)


class BrandSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    model_prefixes = fields.String()
    active = fields.Boolean()


class BrandPageSchema(PageSchema):
    items = fields.List(fields.Nested(BrandSchema))
