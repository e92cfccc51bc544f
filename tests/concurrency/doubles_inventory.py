"""Double-request scenarios for inventory (parts, movements, counts, spare requests, returns, vendor)."""
from __future__ import annotations

from datetime import date, timedelta

from tests.concurrency.doubles import NATURAL_KEY, Case, count, probes, scenario

SKU = "DBL-PART"


class Stock:
    """An office with a dealer, a bulk part with 10 at HQ; users by role."""

    def __init__(self, env):
        from inventory import service as inv

        self.env = env
        self.office = env.office()
        self.dealer = env.dealer(self.office, "DBL-INV-DEALER")
        boss = env.admin()
        self.part = inv.create_part(boss, sku=SKU, model="DBL-SSD")
        self.hq = inv.system_location("hq_store")
        self.office_loc = inv.office_location(self.office)
        inv.post_movement(actor=boss, part=self.part, from_location=inv.system_location("finished_goods"),
                          to_location=self.hq, quantity=10, reason="receipt")
        self.office_user = env.user("office", office_id=self.office)
        self.supervisor = env.user("supervisor")
        self.clerk = env.user("clerk")

    def to_office(self, quantity: int):
        from inventory import service as inv

        inv.post_movement(actor=self.env.admin(), part=self.part, from_location=self.hq,
                          to_location=self.office_loc, quantity=quantity, reason="transfer")

    def request(self, status: str = "requested", quantity: int = 2) -> int:
        """A spare request of the office brought to ``status`` through the API; its id."""
        env = self.env
        req = env.call(self.office_user, "POST", "/api/v1/inventory/requests",
                       {"office_id": self.office, "lines": [{"sku": SKU, "quantity": quantity}]})
        rid = req["id"]
        if status in ("approved", "issued"):
            env.call(self.supervisor, "POST", f"/api/v1/inventory/requests/{rid}/approve", {})
        if status == "issued":
            env.call(self.clerk, "POST", f"/api/v1/inventory/requests/{rid}/issue", {})
        return rid


def movements(*where):
    from inventory.models import Movement

    return count(Movement, *where)


def _requests():
    from inventory.models import SpareRequest

    return count(SpareRequest)


def _status(model, row_id, status):
    return count(model, model.id == row_id, model.status == status)


# --- catalogue -------------------------------------------------------------------------


@scenario("inventory_api.Parts")
def api_part(env, _):
    from inventory.models import Part

    return Case("POST", "/api/v1/inventory/parts", env.user("supervisor"), count(Part, Part.sku == "DBL-NEW"),
                json={"sku": "DBL-NEW", "model": "new"}, note="the SKU is the natural key: the second is 409", refusals=NATURAL_KEY)


@scenario("inventory_api.PartItem", "PATCH")
def api_part_brand(env, _):
    from inventory import service as inv
    from inventory.models import Part

    part = inv.create_part(env.admin(), sku="DBL-BRANDED", model="DBL-MX1")
    brand = env.call(env.user("admin"), "POST", "/api/v1/brands", {"code": "DBL-B", "name": "Brand"})
    return Case("PATCH", f"/api/v1/inventory/parts/{part.id}", env.user("supervisor"),
                count(Part, Part.brand_id == brand["id"]), json={"brand_id": brand["id"]}, same_result=True,
                note="setting the brand twice leaves the part filed under it once")


@scenario("inventory_api.Locations")
def api_location(env, _):
    from inventory.models import Location

    stock = Stock(env)
    return Case("POST", "/api/v1/inventory/locations", stock.clerk, count(Location, Location.code == "DBL-BIN-1"),
                json={"parent": stock.hq.code, "code": "DBL-BIN-1", "name": "bin"}, refusals=NATURAL_KEY)


# --- movements -------------------------------------------------------------------------


@scenario("inventory_api.Movements")
def api_move(env, _):
    from inventory.models import Movement

    stock = Stock(env)
    return Case("POST", "/api/v1/inventory/movements", stock.clerk, movements(Movement.reason == "transfer"),
                idempotency_key=True, json={"sku": SKU, "from_location": stock.hq.code,
                                            "to_location": stock.office_loc.code, "quantity": 2, "reason": "transfer"})


@scenario("inventory.post_movement")
def page_move(env, _):
    from inventory.models import Movement

    stock = Stock(env)
    return Case("POST", "/inventory/movements", stock.clerk, movements(Movement.reason == "transfer"), api=False,
                idempotency_key=True, form_page="/inventory/movements",
                form={"sku": SKU, "from": stock.hq.code, "to": stock.office_loc.code, "quantity": "2",
                      "reason": "transfer"})


def _movement(stock):
    from inventory import service as inv

    return inv.post_movement(actor=stock.env.admin(), part=stock.part, from_location=stock.hq,
                             to_location=stock.office_loc, quantity=2, reason="transfer")


@scenario("inventory_api.Reverse")
def api_reverse(env, _):
    from inventory.models import Movement

    stock = Stock(env)
    stock.to_office(4)  # enough stock for the reversal to be possible twice
    moved = _movement(stock)
    return Case("POST", f"/api/v1/inventory/movements/{moved.id}/reverse", stock.clerk,
                movements(Movement.reverses_id == moved.id), json={"note": "wrong shelf"})


@scenario("inventory.reverse")
def page_reverse(env, _):
    from inventory.models import Movement

    stock = Stock(env)
    stock.to_office(4)
    moved = _movement(stock)
    return Case("POST", f"/inventory/movements/{moved.id}/reverse", stock.clerk,
                movements(Movement.reverses_id == moved.id), api=False, form={"note": "wrong shelf"})


# --- counts ----------------------------------------------------------------------------


def _counts():
    from inventory.models import StockCount

    return count(StockCount)


def _count(stock) -> int:
    """A count of the office finding 2 where the ledger says 3; its id."""
    stock.to_office(3)
    out = stock.env.call(stock.office_user, "POST", "/api/v1/inventory/counts",
                         {"location": stock.office_loc.code, "kind": "weekly", "lines": [{"sku": SKU, "quantity": 2}]})
    return out["id"]


@scenario("inventory_api.Counts")
def api_count(env, _):
    stock = Stock(env)
    stock.to_office(3)
    return Case("POST", "/api/v1/inventory/counts", stock.office_user, _counts(),
                json={"location": stock.office_loc.code, "kind": "weekly", "lines": [{"sku": SKU, "quantity": 2}]})


@scenario("inventory_api.CountUpload")
def api_count_upload(env, _):
    stock = Stock(env)
    stock.to_office(3)
    return Case("POST", "/api/v1/inventory/counts/upload", stock.office_user, _counts(),
                form={"location": stock.office_loc.code, "kind": "weekly"},
                files={"file": ("count.csv", f"sku,quantity\n{SKU},2\n".encode(), "text/csv")})


@scenario("inventory.new_count")
def page_count(env, _):
    stock = Stock(env)
    stock.to_office(3)
    return Case("POST", "/inventory/counts/new", stock.office_user, _counts(), api=False, idempotency_key=True,
                form_page="/inventory/counts/new",
                form={"location": str(stock.office_loc.id), "kind": "weekly", f"qty-{stock.part.id}": "2",
                      "full": "1"})


def _adjustments():
    from inventory.models import Movement

    return movements(Movement.reason != "transfer", Movement.reason != "receipt")


@scenario("inventory_api.CountAccept")
def api_count_accept(env, _):
    stock = Stock(env)
    cid = _count(stock)
    return Case("POST", f"/api/v1/inventory/counts/{cid}/accept", stock.supervisor, _adjustments(), json={})


@scenario("inventory.count_accept")
def page_count_accept(env, _):
    stock = Stock(env)
    cid = _count(stock)
    return Case("POST", f"/inventory/counts/{cid}/accept", stock.supervisor, _adjustments(), api=False)


def _count_step(env, api: bool, step: str):
    from inventory.models import StockCount

    stock = Stock(env)
    cid = _count(stock)
    actor = stock.supervisor if step == "recount" else stock.office_user
    probe = probes(count(StockCount, StockCount.id == cid, StockCount.status == "submitted"), _counts())
    path = f"/api/v1/inventory/counts/{cid}/{step}" if api else f"/inventory/counts/{cid}/{step}"
    # The submitted count leaves that status once; nothing new is made.
    return Case("POST", path, actor, probe, api=api, json={"note": "again"} if api else None,
                form=None if api else {"note": "again"}, delta=(-1, 0))


@scenario("inventory_api.CountRecount")
def api_count_recount(env, _):
    return _count_step(env, True, "recount")


@scenario("inventory.count_recount")
def page_count_recount(env, _):
    return _count_step(env, False, "recount")


@scenario("inventory_api.CountWithdraw")
def api_count_withdraw(env, _):
    return _count_step(env, True, "withdraw")


@scenario("inventory.count_withdraw")
def page_count_withdraw(env, _):
    return _count_step(env, False, "withdraw")


# --- spare requests --------------------------------------------------------------------


@scenario("inventory_api.Requests")
def api_request(env, _):
    stock = Stock(env)
    return Case("POST", "/api/v1/inventory/requests", stock.office_user, _requests(),
                json={"office_id": stock.office, "lines": [{"sku": SKU, "quantity": 2}]})


@scenario("inventory.new_request")
def page_request(env, _):
    stock = Stock(env)
    return Case("POST", "/inventory/requests/new", stock.office_user, _requests(), api=False, idempotency_key=True,
                form_page="/inventory/requests",
                form={"office_id": str(stock.office), "lines": f"{SKU} 2", f"qty-{stock.part.id}": "2"})


@scenario("inventory_api.RequestItem", "PATCH")
def api_request_edit(env, _):
    from inventory.models import SpareRequestLine

    stock = Stock(env)
    rid = stock.request()
    return Case("PATCH", f"/api/v1/inventory/requests/{rid}", stock.office_user,
                count(SpareRequestLine, SpareRequestLine.request_id == rid), delta=0, same_result=True,
                json={"lines": [{"sku": SKU, "quantity": 3}]})


# action -> (status before, actor attribute, JSON body, probe builder)
REQUEST_STEPS = {
    "approve": ("requested", "supervisor", {"approved": {SKU: 1}}, "approved"),
    "reject": ("requested", "supervisor", {"note": "no"}, "rejected"),
    "cancel": ("requested", "office_user", {"note": "not needed"}, "cancelled"),
    "issue": ("approved", "clerk", {}, "moves"),
    "receive": ("issued", "office_user", {"codes": [f"{SKU}*2"]}, "moves"),
}


def _request_case(env, action, api: bool):
    from inventory.models import SpareRequest

    status, who, body, probe_kind = REQUEST_STEPS[action]
    stock = Stock(env)
    rid = stock.request(status)
    probe = movements() if probe_kind == "moves" else _status(SpareRequest, rid, probe_kind)
    path = f"/api/v1/inventory/requests/{rid}/{action}" if api else f"/inventory/requests/{rid}/{action}"
    form = None
    if not api:
        form = {"note": body.get("note", ""), "codes": " ".join(body.get("codes", []))}
    # An approved request not yet issued may be approved again (other quantities): setting them twice is fine.
    return Case("POST", path, getattr(stock, who), probe, api=api, json=body if api else None, form=form,
                same_result=action == "approve", delta=0 if action == "approve" and status == "approved" else 1)


def _register_request_step(action, endpoint):
    @scenario(endpoint)
    def build(env, _):
        return _request_case(env, action, True)


for _action, _endpoint in [("approve", "inventory_api.RequestApprove"), ("reject", "inventory_api.RequestReject"),
                           ("cancel", "inventory_api.RequestCancel"), ("issue", "inventory_api.RequestIssue"),
                           ("receive", "inventory_api.RequestReceive")]:
    _register_request_step(_action, _endpoint)


@scenario("inventory.request_action", variants=tuple(REQUEST_STEPS))
def page_request_step(env, action):
    return _request_case(env, action, False)


@scenario("inventory_api.NewYearRequest")
def api_new_year(env, _):
    stock = Stock(env)
    stock.request("issued")  # last year's request, to copy
    return Case("POST", f"/api/v1/inventory/offices/{stock.office}/new-year-request", stock.office_user,
                _requests(), note="one new-year request per office and year", refusals=NATURAL_KEY)


# --- office swaps and the year-end return ----------------------------------------------


@scenario("inventory_api.Swaps")
def api_swap(env, _):
    stock = Stock(env)
    stock.to_office(2)
    return Case("POST", f"/api/v1/inventory/offices/{stock.office}/swaps", stock.office_user, movements(),
                idempotency_key=True, json={"sku": SKU, "dealer_id": stock.dealer, "note": "swap"}, delta=2)


@scenario("inventory.swap")
def page_swap(env, _):
    stock = Stock(env)
    stock.to_office(2)
    return Case("POST", "/inventory/offices/swap", stock.office_user, movements(), api=False, idempotency_key=True,
                form={"office_id": str(stock.office), "sku": SKU, "dealer_id": str(stock.dealer), "note": "swap"},
                delta=2)


def _returns():
    from inventory.models import OfficeReturn

    return count(OfficeReturn)


YEAR_END = {"confirm": True, "override": True, "override_note": "test outside the window"}


@scenario("inventory_api.YearEndReturn")
def api_year_end(env, _):
    stock = Stock(env)
    stock.to_office(2)
    return Case("POST", f"/api/v1/inventory/offices/{stock.office}/year-end-return", stock.supervisor, _returns(),
                json=YEAR_END, note="one open return per office", refusals=NATURAL_KEY)


@scenario("inventory.office_action", variants=("new-year-request", "year-end-return"))
def page_office_action(env, action):
    stock = Stock(env)
    stock.to_office(2)
    if action == "new-year-request":
        stock.request("issued")
        return Case("POST", f"/inventory/offices/{action}", stock.office_user, _requests(), api=False,
                    form={"office_id": str(stock.office)})
    return Case("POST", f"/inventory/offices/{action}", stock.supervisor, _returns(), api=False,
                form={"office_id": str(stock.office), "confirm": "yes", "override": "yes",
                      "override_note": "test outside the window"})


def _office_return(stock, status: str) -> int:
    env = stock.env
    out = env.call(stock.supervisor, "POST", f"/api/v1/inventory/offices/{stock.office}/year-end-return", YEAR_END)
    rid = out["id"]
    if status == "shipped":
        env.call(stock.supervisor, "POST", f"/api/v1/inventory/returns/{rid}/ship")
    return rid


RETURN_STEPS = {"ship": ("prepared", "moves"), "cancel": ("prepared", "cancelled"), "receive": ("shipped", "moves")}


def _return_case(env, action, api: bool):
    from inventory.models import OfficeReturn

    before, probe_kind = RETURN_STEPS[action]
    stock = Stock(env)
    stock.to_office(2)
    rid = _office_return(stock, before)
    probe = movements() if probe_kind == "moves" else _status(OfficeReturn, rid, probe_kind)
    path = f"/api/v1/inventory/returns/{rid}/{action}" if api else f"/inventory/returns/{rid}/{action}"
    body = {"note": "no"} if action == "cancel" else None
    return Case("POST", path, stock.supervisor, probe, api=api, json=body if api else None,
                form=None if api else (body or {}))


for _action, _endpoint in [("ship", "inventory_api.ReturnShip"), ("cancel", "inventory_api.ReturnCancel"),
                           ("receive", "inventory_api.ReturnReceive")]:
    def _make(action):
        @scenario(_endpoint)
        def build(env, _):
            return _return_case(env, action, True)
    _make(_action)


@scenario("inventory.return_action", variants=tuple(RETURN_STEPS))
def page_return_step(env, action):
    return _return_case(env, action, False)


# --- vendor-managed spares ---------------------------------------------------------------


class VendorStock:
    def __init__(self, env):
        from core.directory.models import Vendor
        from core.extensions import db
        from inventory import service as inv

        self.env = env
        vendor = Vendor(code="DBLVEN", name="Double vendor")
        db.session.add(vendor)
        db.session.flush()
        self.vendor = vendor.id
        self.part = inv.create_part(env.admin(), sku="DBL-VPART", model="V", vendor_managed=True, vendor_id=vendor.id)
        inv.create_part(env.admin(), sku="DBL-VSER", model="V", vendor_managed=True, vendor_id=vendor.id,
                        serialized=True)
        self.clerk = env.user("clerk")
        self.supervisor = env.user("supervisor")


def _defectives():
    from inventory.models import Movement

    return movements(Movement.reason != "receipt")


@scenario("inventory_api.VendorDefectives")
def api_defective(env, _):
    vs = VendorStock(env)
    return Case("POST", "/api/v1/inventory/vendor/defectives", vs.clerk, _defectives(),
                json={"sku": "DBL-VSER", "serial": "DBLDEF01"}, note="a serial comes back defective once", refusals=NATURAL_KEY)


@scenario("inventory_api.VendorSales", method="PUT")
def api_vendor_sales(env, _):
    from core.calendar import local_today
    from inventory.models import VendorPartSales

    VendorStock(env)
    month = (local_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return Case("PUT", "/api/v1/inventory/vendor/sales", env.user("service"), count(VendorPartSales),
                json={"sku": "DBL-VPART", "month": month, "quantity": 120}, same_result=True,
                note="one row per part and month; both may set the same figure")


def _batches():
    from inventory.models import VendorBatch

    return count(VendorBatch)


def _batch(vs) -> int:
    vs.env.call(vs.clerk, "POST", "/api/v1/inventory/vendor/defectives", {"sku": "DBL-VPART", "quantity": 2})
    return vs.env.call(vs.clerk, "POST", "/api/v1/inventory/vendor/batches", {"vendor_id": vs.vendor})["id"]


@scenario("inventory_api.VendorBatches")
def api_batch(env, _):
    vs = VendorStock(env)
    env.call(vs.clerk, "POST", "/api/v1/inventory/vendor/defectives", {"sku": "DBL-VPART", "quantity": 2})
    return Case("POST", "/api/v1/inventory/vendor/batches", vs.clerk, _batches(), json={"vendor_id": vs.vendor},
                note="one batch per vendor and month", refusals=NATURAL_KEY)


@scenario("inventory_api.VendorCheckIn")
def api_check_in(env, _):
    vs = VendorStock(env)
    bid = _batch(vs)
    return Case("POST", f"/api/v1/inventory/vendor/batches/{bid}/check-in", vs.clerk, movements(),
                json={"received": [{"sku": "DBL-VPART", "quantity": 2}]})


@scenario("inventory.batch_detail")
def page_check_in(env, _):
    vs = VendorStock(env)
    bid = _batch(vs)
    return Case("POST", f"/inventory/vendor/batches/{bid}", vs.clerk, movements(), api=False,
                form={f"qty-{vs.part.id}": "2"})


def _statements():
    from inventory.models import ShippingStatement

    return count(ShippingStatement)


STATEMENT_WEEK = date(2026, 11, 23)


@scenario("inventory_api.VendorStatements")
def api_statement(env, _):
    vs = VendorStock(env)
    return Case("POST", "/api/v1/inventory/vendor/statements", vs.clerk, _statements(),
                json={"week_start": STATEMENT_WEEK.isoformat(),
                      "lines": [{"day": STATEMENT_WEEK.isoformat(), "direction": "in", "sku": "DBL-VPART",
                                 "quantity": 1, "reference": "R1"}]},
                note="one statement per week", refusals=NATURAL_KEY)


@scenario("inventory.vendor_action", variants=("defective", "batch", "statement"))
def page_vendor(env, action):
    vs = VendorStock(env)
    if action == "defective":
        return Case("POST", "/inventory/vendor/defective", vs.clerk, _defectives(), api=False,
                    form={"sku": "DBL-VSER", "serial": "DBLDEF02"})
    if action == "batch":
        env.call(vs.clerk, "POST", "/api/v1/inventory/vendor/defectives", {"sku": "DBL-VPART", "quantity": 2})
        return Case("POST", "/inventory/vendor/batch", vs.clerk, _batches(), api=False,
                    form={"vendor_id": str(vs.vendor)})
    sheet = f"day,direction,sku,quantity,serial,reference\n{STATEMENT_WEEK.isoformat()},in,DBL-VPART,1,,R1\n"
    return Case("POST", "/inventory/vendor/statement", vs.clerk, _statements(), api=False,
                form={"week_start": STATEMENT_WEEK.isoformat()},
                files={"file": ("statement.csv", sheet.encode(), "text/csv")})


# --- signed documents (备品签字版文件) ------------------------------------------------------------

SIGNED_PDF = b"%PDF-1.4 signed spare paper\n%%EOF\n"


def _signed_documents():
    from inventory.models import SignedDocument

    return count(SignedDocument)


def _record_for_documents(stock, kind: str) -> tuple[int, str]:
    """A record of the office of ``kind`` (request, return, count): its id and its page."""
    if kind == "request":
        return (rid := stock.request()), f"/inventory/requests/{rid}"
    if kind == "return":
        stock.to_office(2)
        return (rid := _office_return(stock, "prepared")), f"/inventory/returns/{rid}"
    return (cid := _count(stock)), f"/inventory/counts/{cid}"


def _document_case(env, kind: str, api: bool):
    stock = Stock(env)
    rid, page = _record_for_documents(stock, kind)
    plural = {"request": "requests", "return": "returns", "count": "counts"}[kind]
    path = f"/api/v1/inventory/{plural}/{rid}/attachments" if api else f"{page}/attachments"
    return Case("POST", path, stock.office_user, _signed_documents(), api=api, idempotency_key=True,
                files={"file": ("signed.pdf", SIGNED_PDF, "application/pdf")}, form_page=None if api else page,
                note="the same key is replayed; without it the same file on one record is the natural key (409)")


for _kind, _api_endpoint, _page_endpoint in [
        ("request", "inventory_api.RequestAttachments", "inventory.request_attach"),
        ("return", "inventory_api.ReturnAttachments", "inventory.return_attach"),
        ("count", "inventory_api.CountAttachments", "inventory.count_attach")]:
    def _make_documents(kind, api_endpoint, page_endpoint):
        @scenario(api_endpoint)
        def build_api(env, _):
            return _document_case(env, kind, True)

        @scenario(page_endpoint)
        def build_page(env, _):
            return _document_case(env, kind, False)
    _make_documents(_kind, _api_endpoint, _page_endpoint)
