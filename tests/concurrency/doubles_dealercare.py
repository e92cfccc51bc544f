"""Double-request scenarios for dealer care: the welcome pack, the hand-off, the policy documents."""
from __future__ import annotations

import io
import socket

from aiosmtpd.controller import Controller

from core.authz import SYSTEM
from tests.concurrency.doubles import Case, count, scenario

_SINK: list = []


class _Swallow:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        return "250 OK"


def _mail_sink(env) -> None:
    """One SMTP server on loopback for these scenarios; the app's mail goes there."""
    if not _SINK:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        controller = Controller(_Swallow(), hostname="127.0.0.1", port=port)
        controller.start()
        _SINK.append((controller, port))
    env.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_SINK[0][1])


def _called_dealer(env, variant: str, *, pack_sent: bool = False):
    """A new dealer whose welcome call is recorded, with an e-mail and a policy document on file."""
    from sqlalchemy import select

    from core.directory.models import Dealer, Department
    from core.extensions import db
    from dealercare import documents, onboarding

    _mail_sink(env)
    office = env.office(f"DC{variant[:3].upper() or 'X'}")
    dealer = db.session.get(Dealer, env.dealer(office, code=f"DBL-DC-{variant or 'x'}"))
    dealer.email = "dealer@dbl.example"
    item = onboarding.start_onboarding(dealer)
    item.call_task.status = "agreed"
    documents.add_document(env.admin(), io.BytesIO(b"%PDF-1.4 " + variant.encode() + b"\n%%EOF\n"),
                           "policy.pdf", "Policy")
    if db.session.scalar(select(Department).where(Department.code == "channel")) is None:
        db.session.add(Department(code="channel", name="渠道部", email="channel@dbl.example"))
    db.session.flush()
    if pack_sent:
        onboarding.send_welcome_pack(SYSTEM, item)
    return dealer


def _done(column_name: str, dealer_id: int):
    from dealercare.models import Onboarding

    return count(Onboarding, Onboarding.dealer_id == dealer_id, getattr(Onboarding, column_name).is_not(None))


@scenario("dealercare_api.WelcomePack")
def api_pack(env, _):
    dealer = _called_dealer(env, "api-pack")
    return Case("POST", f"/api/v1/dealer-care/onboardings/{dealer.id}/welcome-pack", env.user("service"),
                _done("pack_sent_at", dealer.id), note="the welcome pack goes once")


@scenario("dealercare_api.HandOff")
def api_hand_off(env, _):
    dealer = _called_dealer(env, "api-hand", pack_sent=True)
    return Case("POST", f"/api/v1/dealer-care/onboardings/{dealer.id}/hand-off", env.user("service"),
                _done("handed_off_at", dealer.id), note="the file is handed over once")


@scenario("dealercare.step", variants=("welcome-pack", "hand-off"))
def page_step(env, variant):
    dealer = _called_dealer(env, variant, pack_sent=variant == "hand-off")
    column = "pack_sent_at" if variant == "welcome-pack" else "handed_off_at"
    return Case("POST", f"/dealer-care/dealers/{dealer.id}/{variant}", env.user("service"), _done(column, dealer.id),
                api=False, form_page=f"/dealer-care/dealers/{dealer.id}")


@scenario("dealercare.upload_document")
def page_upload(env, _):
    from dealercare.models import PolicyDocument

    return Case("POST", "/dealer-care/documents", env.user("supervisor"), count(PolicyDocument), api=False,
                form={"title": "Warranty terms"},
                files={"file": ("warranty.pdf", b"%PDF-1.4 warranty\n%%EOF\n", "application/pdf")},
                form_page="/dealer-care/", note="the same file twice is the natural key: the second is 409")


@scenario("dealercare.retire_document")
def page_retire(env, _):
    from dealercare import documents
    from dealercare.models import PolicyDocument

    doc = documents.add_document(env.admin(), io.BytesIO(b"%PDF-1.4 retire\n%%EOF\n"), "old.pdf", "Old terms")
    return Case("POST", f"/dealer-care/documents/{doc.id}/retire", env.user("supervisor"),
                count(PolicyDocument, PolicyDocument.active.is_(False)), api=False, form_page="/dealer-care/")
