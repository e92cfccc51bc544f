"""Double-request scenarios for DOA (applications, department steps, receipt, holds, tasks)."""
from __future__ import annotations

from datetime import timedelta

from core.tasks import service as task_service
from tests.concurrency.doubles import Case, audit_updates, count, exempt, probes, scenario

DEALER = "DBL-DOA-DEALER"
PHONE = "13800005678"
SERIAL = "DOADBL001"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

exempt("A status look-up on the no-login page: the POST carries the number and phone digits "
       "and reads, it changes no row.", "doa_public.status", "public.status")


def world(env):
    office = env.office()
    env.dealer(office, DEALER, PHONE)
    return office


def _purchase_day():
    from core.calendar import local_today

    return local_today() - timedelta(days=3)


def app_in(env, state: str, *, request: str = "replacement"):
    """A DOA application of one unit brought to ``state`` through the service (as the admin)."""
    from doa import applications, approvals, closing, receipt, replacement

    world(env)
    boss = env.admin()
    app = applications.create_application(boss, dealer_code=DEALER, request=request, purchase_date=_purchase_day(),
                                 fault="dead on arrival", units=[{"serial": SERIAL, "model": "DBL-SSD"}])
    if state == "submitted":
        return app
    if state == "channel_approved":
        approvals.decide(boss, app, "channel", "approve")
        return app
    if state == "refused":
        # Refused, and the dealer disputes the refusal: the supervisor may reopen it.
        approvals.decide(boss, app, "channel", "refuse", "not a DOA")
        task_service.answer(boss, _task(app), "dispute")
        return app
    approvals.decide(boss, app, "channel", "approve")
    approvals.decide(boss, app, "product", "approve")
    if state == "approved":
        return app
    if state in ("receipt_problem", "disputed"):
        receipt.receive(boss, app, [SERIAL], human_damage=[SERIAL])
        if state == "disputed":
            task_service.answer(boss, _task(app), "dispute")
        return app
    receipt.receive(boss, app, [SERIAL])
    if state == "received":
        return app
    if state in ("replacement_ready", "replacement_shipped", "closable"):
        replacement.record_purchasing(boss, app, [{"serial": SERIAL, "outcome": "repaired"}])
        if state == "replacement_ready":
            return app
        replacement.ship_replacement(boss, app, carrier="SF", waybill="DBLOUT8")
        if state == "closable":
            closing.waive_closing_papers(boss, app, "scan kept by the office")
        return app
    replacement.refund_decide(boss, app, "product", "approve" if state != "refund_refused" else "refuse", "no")
    if state in ("refund_product_approved", "refund_refused"):
        return app
    replacement.refund_decide(boss, app, "finance", "approve")
    return app  # refund_finance_approved


def _task(app):
    from sqlalchemy import select

    from core.extensions import db
    from core.tasks.models import Task

    return db.session.scalar(select(Task).where(Task.process == "doa").where(Task.case_type == "doa_application", Task.case_id == app.id).order_by(Task.id.desc()))


def events(app, *actions):
    from doa.models import DoaEvent

    return count(DoaEvent, DoaEvent.application_id == app.id, DoaEvent.action.in_(actions))


def _shipments(leg):
    from shipments.models import Shipment

    return count(Shipment, Shipment.leg == leg)


# --- applications ----------------------------------------------------------------------


def _applications():
    from doa.models import DoaApplication

    return count(DoaApplication)


@scenario("doa_api.Applications")
def api_apply(env, _):
    world(env)
    return Case("POST", "/api/v1/doa/applications", env.user("service"), _applications(),
                json={"dealer_code": DEALER, "request": "replacement", "purchase_date": _purchase_day().isoformat(),
                      "fault": "dead", "units": [{"serial": SERIAL, "model": "DBL-SSD"}]},
                note="a unit on an open application is the natural key: the second is 409")


@scenario("doa.new")
def page_apply(env, _):
    world(env)
    return Case("POST", "/doa/new", env.user("service"), _applications(), api=False,
                form={"dealer_code": DEALER, "request": "replacement", "purchase_date": _purchase_day().isoformat(),
                      "fault": "dead", "units": f"{SERIAL} DBL-SSD"})


@scenario("doa_public.apply")
def public_apply(env, _):
    world(env)
    env.user("service")  # the public page needs no user; the harness signs one in for its CSRF token
    return Case("POST", "/doa-apply", env.user("service"), _applications(), api=False,
                form={"dealer_code": DEALER, "phone_last4": PHONE[-4:], "request": "replacement",
                      "purchase_date": _purchase_day().isoformat(), "fault": "dead", "units": f"{SERIAL} DBL-SSD"})


def _attachments(app):
    from doa.models import DoaAttachment

    return count(DoaAttachment, DoaAttachment.application_id == app.id)


@scenario("doa_api.Attachments")
def api_attach(env, _):
    app = app_in(env, "submitted")
    return Case("POST", f"/api/v1/doa/applications/{app.number}/attachments", env.user("service"),
                _attachments(app), files={"file": ("signed.pdf", PDF, "application/pdf")},
                note="the same file twice on one application is the natural key: the second is 409")


@scenario("doa.upload")
def page_attach(env, _):
    app = app_in(env, "submitted")
    return Case("POST", f"/doa/{app.number}/attachments", env.user("service"), _attachments(app), api=False,
                files={"file": ("signed.pdf", PDF, "application/pdf")})


# --- department and desk steps -----------------------------------------------------------

# step -> (API path tail, page step, state before, role, body, event actions)
STEPS = {
    "channel": ("channel", "channel", "submitted", "channel", {"decision": "approve"}, ("channel_approve",)),
    "product": ("product", "product", "channel_approved", "product", {"decision": "approve"}, ("product_approve",)),
    "cancel": ("cancel", "cancel", "submitted", "service", {"reason": "dealer withdrew"}, ("cancel",)),
    "receipt": ("receipt", "receipt", "approved", "clerk", {"serials": [SERIAL], "waybill": "DBLIN9"},
                ("receive_ok", "unit_arrived")),
    "sales-signoff": ("sales-signoff", "sales-signoff", "received", "sales", {"note": "ok"}, ("sales_signoff",)),
    "purchasing": ("purchasing", "purchasing", "received", "purchasing",
                   {"units": [{"serial": SERIAL, "outcome": "repaired"}]}, ("purchasing_done",)),
    "ship-replacement": ("replacement-shipment", "ship-replacement", "replacement_ready", "clerk",
                         {"carrier": "SF", "waybill": "DBLOUT9"}, ("ship_replacement",)),
    "refund-product": ("refund/product", "refund-product", "received", "product", {"decision": "approve"},
                       ("refund_product_approve",)),
    "refund-finance": ("refund/finance", "refund-finance", "refund_product_approved", "finance",
                       {"decision": "approve"}, ("refund_finance_approve",)),
    "refund-credit": ("refund/credit", "refund-credit", "refund_finance_approved", "commerce",
                      {"credit_number": "CR-DBL-1", "amount": "199.00"}, ("issue_credit",)),
    "switch-to-replacement": ("switch-to-replacement", "switch-to-replacement", "refund_refused", "service",
                              {"note": "dealer takes a replacement"}, ("switch_to_replacement",)),
    "closing-waiver": ("closing-waiver", "closing-waiver", "replacement_shipped", "supervisor",
                       {"reason": "scan kept by the office"}, ("closing_waiver",)),
    "close": ("close", "close", "closable", "service", {"note": "done"}, ("close",)),
    "reopen": ("reopen", "reopen", "refused", "supervisor", {"note": "the dealer was right"}, ("reopen",)),
}
REFUND_STATES = {"refund_product_approved", "refund_finance_approved", "refund_refused"}
API_STEP_ENDPOINTS = {
    "channel": "doa_api.ChannelDecision", "product": "doa_api.ProductDecision", "cancel": "doa_api.Cancel",
    "receipt": "doa_api.Receipt", "sales-signoff": "doa_api.SalesSignoff", "purchasing": "doa_api.Purchasing",
    "ship-replacement": "doa_api.ReplacementShipment", "refund-product": "doa_api.RefundProduct",
    "refund-finance": "doa_api.RefundFinance", "refund-credit": "doa_api.RefundCredit",
    "switch-to-replacement": "doa_api.SwitchToReplacement", "closing-waiver": "doa_api.ClosingWaiver",
    "close": "doa_api.Close", "reopen": "doa_api.Reopen",
}


def _step_case(env, step, api: bool):
    tail, page_step, state, role, body, actions = STEPS[step]
    request = "refund" if state in REFUND_STATES or step.startswith("refund") else "replacement"
    app = app_in(env, state, request=request)
    parts = [events(app, *actions)]
    if step == "receipt":
        parts.append(_shipments("dealer_hq"))
    if step == "ship-replacement":
        parts.append(_shipments("fg_dealer"))
    probe = probes(*parts)
    delta = (2, 1) if step == "receipt" else 1  # receive_ok and the unit's arrival; one shipment
    if api:
        return Case("POST", f"/api/v1/doa/applications/{app.number}/{tail}", env.user(role), probe, json=body,
                    delta=delta)
    form = {}
    for key, value in body.items():
        if key == "serials":
            form[key] = "\n".join(value)
        elif key == "units":
            unit = app.units[0]
            form[f"outcome_{unit.id}"] = value[0]["outcome"]
        else:
            form[key] = value
    return Case("POST", f"/doa/{app.number}/step/{page_step}", env.user(role), probe, api=False, form=form,
                delta=delta)


def _register_api_step(step):
    @scenario(API_STEP_ENDPOINTS[step])
    def build(env, _):
        return _step_case(env, step, True)


for _step in STEPS:
    _register_api_step(_step)


@scenario("doa.step", variants=tuple(STEPS))
def page_step(env, step):
    return _step_case(env, step, False)


# --- scan station and holds ----------------------------------------------------------------


def _already_done(answer) -> bool:
    if answer.status_code != 200:
        return False
    body = answer.json() if answer.headers.get("Content-Type", "").startswith("application/json") else {}
    return body.get("status") == "already_done"


@scenario("doa_api.Scan")
def api_scan(env, _):
    app = app_in(env, "approved")
    return Case("POST", "/api/v1/doa/scan", env.user("clerk"), events(app, "unit_arrived"),
                json={"code": SERIAL, "context": app.number}, also_fine=_already_done)


@scenario("doa.receive_station")
def page_scan(env, _):
    """A unit without an application scanned twice at once: held once, one dealer task."""
    from core.tasks.models import Task
    from doa.models import DoaHold

    world(env)
    return Case("POST", "/doa/receive", env.user("clerk"), probes(count(DoaHold), count(Task, Task.process == "doa")), api=False,
                form={"code": "DOANOAPP1"})  # no dealer, no application: nothing but the serial to go by


def _hold(env):
    from doa import receipt

    world(env)
    return receipt.hold_unit(env.admin(), "DOAHELD01", dealer_code=DEALER, model="DBL-SSD")


def _hold_decided(hold, status):
    from doa.models import DoaHold

    return count(DoaHold, DoaHold.id == hold.id, DoaHold.status == status)


def _parcels():
    from repairs.models import ReturnParcel

    return count(ReturnParcel)


@scenario("doa_api.HoldToRepair")
def api_hold_repair(env, _):
    hold = _hold(env)
    return Case("POST", f"/api/v1/doa/holds/{hold.id}/repair", env.user("clerk"),
                probes(_hold_decided(hold, "repair"), _parcels()), json={"fault": "dead"})


@scenario("doa_api.HoldSetAside")
def api_hold_aside(env, _):
    hold = _hold(env)
    return Case("POST", f"/api/v1/doa/holds/{hold.id}/set-aside", env.user("clerk"),
                _hold_decided(hold, "set_aside"), json={"note": "shelf 3"})


@scenario("doa.hold_decision", variants=("repair", "set-aside"))
def page_hold(env, decision):
    hold = _hold(env)
    if decision == "repair":
        return Case("POST", f"/doa/holds/{hold.id}/repair", env.user("clerk"),
                    probes(_hold_decided(hold, "repair"), _parcels()), api=False, form={"fault": "dead"})
    return Case("POST", f"/doa/holds/{hold.id}/set-aside", env.user("clerk"), _hold_decided(hold, "set_aside"),
                api=False, form={"note": "shelf 3"})


# --- dealer tasks --------------------------------------------------------------------------


def _open_task(env):
    """The dealer task of a held unit (no application step: only the task changes)."""
    from sqlalchemy import select

    from core.extensions import db
    from core.tasks.models import Task

    hold = _hold(env)
    return db.session.scalar(select(Task).where(Task.subject_type == "doa_hold", Task.subject_id == hold.id))


def _disputed_task(env):
    task = _open_task(env)
    task_service.answer(env.admin(), task, "dispute")
    return task


@scenario("doa_api.TaskResolve")
def api_task_resolve(env, _):
    task = _open_task(env)
    return Case("POST", f"/api/v1/doa/tasks/{task.id}/resolve", env.user("service"),
                audit_updates("task", task.id), json={"decision": "agreed", "note": "phoned"})


@scenario("doa_api.TaskSettle")
def api_task_settle(env, _):
    task = _disputed_task(env)
    return Case("POST", f"/api/v1/doa/tasks/{task.id}/settle", env.user("supervisor"),
                audit_updates("task", task.id), json={"decision": "agreed", "note": "settled"})


@scenario("doa.task_decision", variants=("resolve", "settle"))
def page_task(env, how):
    task = _open_task(env) if how == "resolve" else _disputed_task(env)
    return Case("POST", f"/doa/tasks/{task.id}/{how}", env.user("supervisor"), audit_updates("task", task.id),
                api=False, form={"decision": "agreed", "note": "phoned"})


# --- the one tasks page and API (core.tasks), with a DOA task -------------------------------


@scenario("tasks_api.TaskAnswer")
def api_task_answer(env, _):
    task = _open_task(env)
    return Case("POST", f"/api/v1/tasks/{task.id}/answer", env.user("service"), audit_updates("task", task.id),
                json={"decision": "agreed", "note": "phoned"})


@scenario("tasks_api.TaskSettle")
def api_task_settle_core(env, _):
    task = _disputed_task(env)
    return Case("POST", f"/api/v1/tasks/{task.id}/settle", env.user("supervisor"), audit_updates("task", task.id),
                json={"decision": "agreed", "note": "settled"})


@scenario("tasks.decide", variants=("answer", "settle"))
def page_task_decide(env, verb):
    task = _open_task(env) if verb == "answer" else _disputed_task(env)
    return Case("POST", f"/tasks/{task.id}/{verb}", env.user("supervisor"), audit_updates("task", task.id),
                api=False, form={"decision": "agreed", "note": "phoned"}, form_page="/tasks?status=all")
