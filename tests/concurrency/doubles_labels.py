"""Double-request scenarios for printing labels: send, retry, printers and default printers.

A Zebra stand-in on loopback (tests.labels.printers) counts the connections that
reached it, so a probe sees a label job printed twice, not only a row written twice.
"""
from __future__ import annotations

from tests.concurrency.doubles import NATURAL_KEY, Case, count, probes, scenario
from tests.labels.printers import ZebraListener, free_port

# Listeners stay up until the process ends (daemon threads): the requests come after the builder returns.
_LISTENERS: list[ZebraListener] = []


def _zebra(env, name="Dbl Zebra"):
    from labels import printing

    zebra = ZebraListener()
    _LISTENERS.append(zebra)
    printer = printing.create_printer(env.admin(), {"name": name, "kind": "zpl", "host": "127.0.0.1",
                                                     "port": zebra.port})
    return zebra, printer


def _part(env):
    from inventory import service as inv

    return inv.create_part(env.admin(), sku="DBL-LBL-1", model="Label part", family="SSD")


def _jobs():
    from labels.models import PrintJob

    return count(PrintJob)


def _printed(zebra):
    def probe():
        return len(zebra.connections)

    return probe


def _failed_job(env, clerk, part):
    """A job that failed on a switched-off printer, and a live Zebra to redirect it to."""
    from labels import printing

    dead = printing.create_printer(env.admin(), {"name": "Dbl off", "kind": "zpl", "host": "127.0.0.1",
                                                  "port": free_port()})
    zebra, live = _zebra(env)
    job = printing.print_labels(env.actor(clerk), "part", [part.sku], printer_id=dead.id)
    assert job.status == "failed"
    return job, zebra, live


@scenario("labels_api.PrintLabels")
def api_print(env, _):
    clerk = env.user("clerk")
    part = _part(env)
    zebra, printer = _zebra(env)
    return Case("POST", "/api/v1/labels/print", clerk, probes(_jobs(), _printed(zebra)), idempotency_key=True,
                json={"kind": "part", "codes": [part.sku], "printer": printer.id})


@scenario("labels.send")
def page_send(env, _):
    clerk = env.user("clerk")
    part = _part(env)
    zebra, printer = _zebra(env)
    return Case("POST", "/labels/send", clerk, probes(_jobs(), _printed(zebra)), api=False, idempotency_key=True,
                form_page="/labels/", form={"kind": "part", "codes": part.sku, "printer_id": str(printer.id)})


@scenario("labels_api.PrintJobRetry")
def api_retry(env, _):
    clerk = env.user("clerk")
    job, zebra, live = _failed_job(env, clerk, _part(env))
    return Case("POST", f"/api/v1/labels/print-jobs/{job.id}/retry", clerk, _printed(zebra),
                json={"printer": live.id}, note="a job sent is done: the second retry is refused")


@scenario("labels.retry_job")
def page_retry(env, _):
    clerk = env.user("clerk")
    job, zebra, live = _failed_job(env, clerk, _part(env))
    return Case("POST", f"/labels/jobs/{job.id}/retry", clerk, _printed(zebra), api=False,
                form={"printer_id": str(live.id)})


def _printers(*where):
    from labels.models import Printer

    return count(Printer, *where)


@scenario("labels.printer_create")
def page_printer_create(env, _):
    admin = env.user("admin")
    return Case("POST", "/labels/printers", admin, _printers(), api=False, idempotency_key=True,
                form_page="/labels/printers", refusals=NATURAL_KEY,
                form={"name": "Dbl new", "kind": "ipp", "uri": "ipp://127.0.0.1:631/printers/x", "pdf_format": "a4"})


@scenario("labels_api.Printers")
def api_printer_create(env, _):
    return Case("POST", "/api/v1/labels/printers", env.user("admin"), _printers(), idempotency_key=True,
                refusals=NATURAL_KEY, json={"name": "Dbl api", "kind": "ipp", "uri": "ipp://127.0.0.1:631/printers/y",
                                            "pdf_format": "a4"},
                note="one Idempotency-Key registers one printer; the name is the natural key besides")


@scenario("labels_api.PrinterOne", "PUT")
def api_printer_update(env, _):
    from labels.models import Printer

    _zebra_, printer = _zebra(env)
    return Case("PUT", f"/api/v1/labels/printers/{printer.id}", env.user("admin"),
                _printers(Printer.name == "Dbl api renamed"), same_result=True,
                json={"name": "Dbl api renamed", "kind": "zpl", "host": "127.0.0.1", "port": 9100,
                      "label_size": "60x40", "dpi": 203, "cjk_mode": "graphic", "active": True},
                note="setting fields to given values: both may succeed, nothing is applied twice")


@scenario("labels.printer_update")
def page_printer_update(env, _):
    from labels.models import Printer

    admin = env.user("admin")
    _zebra_, printer = _zebra(env)
    return Case("POST", f"/labels/printers/{printer.id}", admin, _printers(Printer.name == "Dbl renamed"),
                api=False, form={"name": "Dbl renamed", "kind": "zpl", "host": "127.0.0.1", "port": "9100",
                                 "label_size": "60x40", "dpi": "203", "cjk_mode": "graphic", "active": "on"})


@scenario("labels.printer_default")
def page_printer_default(env, _):
    from labels.models import PrinterDefault

    admin = env.user("admin")
    clerk = env.actor(env.user("clerk"))
    _zebra_, printer = _zebra(env)
    return Case("POST", "/labels/printers/defaults", admin, count(PrinterDefault), api=False,
                form={"user_id": str(clerk.id), "printer_id": str(printer.id)})
