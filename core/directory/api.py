"""Directory API: dealers, offices, factories, repair routes, vendors, departments.

Handlers parse input, call one service function and return its result; the
service checks roles and office scoping, so an office user gets 403 for
another office's dealer or office here exactly as on the pages.
"""
from flask.views import MethodView
from core.api import Blueprint

from core.accounts.auth import actor, roles_required
from core.directory import schemas as s
from core.directory import service
from core.directory.dealer_import import import_dealers
from core.directory.service import DEALER_READER_ROLES, EDITOR_ROLES, REFERENCE_READER_ROLES

blp = Blueprint("directory_api", __name__, url_prefix="/api/v1", description="Dealers, offices, factories, routes")


# ------------------------------------------------------------------ dealers

@blp.route("/dealers")
class Dealers(MethodView):
    @roles_required(*DEALER_READER_ROLES)
    @blp.arguments(s.DealerListArgs, location="query")
    @blp.response(200, s.DealerPageSchema)
    def get(self, args):
        """Search dealers (an office user finds only its own office's dealers)."""
        return service.search_dealers(actor(), args["q"], office_id=args["office_id"], active=args["active"],
                                      page=args["page"], per_page=args["per_page"])

    @roles_required(*EDITOR_ROLES)
    @blp.arguments(s.DealerCreateArgs)
    @blp.response(201, s.DealerSchema)
    def post(self, args):
        """Create a dealer."""
        return service.create_dealer(actor(), args)


@blp.route("/dealers/<int:dealer_id>")
class DealerItem(MethodView):
    @roles_required(*DEALER_READER_ROLES)
    @blp.response(200, s.DealerSchema)
    def get(self, dealer_id):
        """One dealer."""
        return service.get_dealer(actor(), dealer_id)

    @roles_required(*EDITOR_ROLES)
    @blp.arguments(s.DealerUpdateArgs)
    @blp.response(200, s.DealerSchema)
    def patch(self, args, dealer_id):
        """Change some fields of a dealer."""
        return service.update_dealer(actor(), dealer_id, args)


@blp.route("/dealers/import")
class DealerImport(MethodView):
    @roles_required(*EDITOR_ROLES)
    @blp.arguments(s.DealerImportQueryArgs, location="query")
    @blp.arguments(s.DealerImportFileArgs, location="files")
    @blp.response(200, s.DealerImportSchema)
    def post(self, query, files):
        """Import dealers from a CSV file (multipart field ``file``).

        Upsert by dealer code. If any row is bad the answer is 422 with every
        bad row in ``rows`` (line number and reasons) and nothing is imported,
        unless ``?skip_bad_rows=true``.
        """
        return import_dealers(actor(), files["file"].read(), skip_bad_rows=query["skip_bad_rows"],
                              filename=files["file"].filename or "")


# ------------------------------------------------------------------ offices

@blp.route("/offices")
class Offices(MethodView):
    @roles_required(*DEALER_READER_ROLES)
    @blp.arguments(s.DirectoryListArgs, location="query")
    @blp.response(200, s.OfficePageSchema)
    def get(self, args):
        """Search regional offices (an office user finds only its own)."""
        return service.search_offices(actor(), args["q"], page=args["page"], per_page=args["per_page"])

    @roles_required(*EDITOR_ROLES)
    @blp.arguments(s.OfficeCreateArgs)
    @blp.response(201, s.OfficeSchema)
    def post(self, args):
        """Create a regional office."""
        return service.create_office(actor(), args)


@blp.route("/offices/<int:office_id>")
class OfficeItem(MethodView):
    @roles_required(*DEALER_READER_ROLES)
    @blp.response(200, s.OfficeSchema)
    def get(self, office_id):
        """One regional office."""
        return service.get_office(actor(), office_id)

    @roles_required(*EDITOR_ROLES)
    @blp.arguments(s.OfficeUpdateArgs)
    @blp.response(200, s.OfficeSchema)
    def patch(self, args, office_id):
        """Change some fields of a regional office."""
        return service.update_office(actor(), office_id, args)


# ------------------------------------------------------------------ factories, routes, vendors, departments

def _reference_endpoints(kind: str, path: str, title: str, create_args, update_args, one, page):
    """Register list/create and get/patch views for one reference kind."""

    class Collection(MethodView):
        @roles_required(*REFERENCE_READER_ROLES)
        @blp.arguments(s.DirectoryListArgs, location="query")
        @blp.response(200, page)
        def get(self, args):
            return service.search_records(actor(), kind, args["q"], page=args["page"], per_page=args["per_page"])

        @roles_required(*EDITOR_ROLES)
        @blp.arguments(create_args)
        @blp.response(201, one)
        def post(self, args):
            return service.create_record(actor(), kind, args)

    class Item(MethodView):
        @roles_required(*REFERENCE_READER_ROLES)
        @blp.response(200, one)
        def get(self, record_id):
            return service.get_record(actor(), kind, record_id)

        @roles_required(*EDITOR_ROLES)
        @blp.arguments(update_args)
        @blp.response(200, one)
        def patch(self, args, record_id):
            return service.update_record(actor(), kind, record_id, args)

    Collection.get.__doc__ = f"Search {title}."
    Collection.post.__doc__ = f"Create one of the {title}."
    Item.get.__doc__ = f"One of the {title}."
    Item.patch.__doc__ = f"Change some fields of one of the {title}."
    Collection.__name__ = f"{kind.title()}Collection"
    Item.__name__ = f"{kind.title()}Item"
    blp.route(path, endpoint=f"{kind}_collection")(Collection)
    blp.route(f"{path}/<int:record_id>", endpoint=f"{kind}_item")(Item)


_reference_endpoints("factory", "/factories", "factories", s.FactoryCreateArgs, s.FactoryUpdateArgs,
                     s.FactorySchema, s.FactoryPageSchema)
_reference_endpoints("route", "/routes", "repair routes", s.RouteCreateArgs, s.RouteUpdateArgs,
                     s.RouteSchema, s.RoutePageSchema)
_reference_endpoints("vendor", "/vendors", "vendors", s.VendorCreateArgs, s.VendorUpdateArgs,
                     s.VendorSchema, s.VendorPageSchema)
_reference_endpoints("department", "/departments", "departments", s.DepartmentCreateArgs, s.DepartmentUpdateArgs,
                     s.DepartmentSchema, s.DepartmentPageSchema)
_reference_endpoints("brand", "/brands", "brands", s.BrandCreateArgs, s.BrandUpdateArgs, s.BrandSchema,
                     s.BrandPageSchema)
