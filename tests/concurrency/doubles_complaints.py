"""Double-request scenarios for complaints: register, the steps, the dealer's letter, the agreement."""
from __future__ import annotations

from datetime import date

from tests.concurrency.doubles import Case, count, probes, scenario

DEALER = "DBL-CMP-DEALER"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ID_NUMBER = "11010519491231002X"


def world(env):
    office = env.office("DBC")
    env.dealer(office, DEALER, "13800009876")
    return office


def _complaints():
    from complaints.models import Complaint

    return count(Complaint)


def events(complaint, *actions):
    from complaints.models import ComplaintEvent

    return count(ComplaintEvent, ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action.in_(actions))


def complaint_in(env, state: str, tier: str = "serious"):
    """A complaint brought to ``state`` through the services (as the admin)."""
    import io

    from complaints import handling, letters, registering
    from core.directory.models import Department
    from core.extensions import db

    world(env)
    boss = env.admin()
    complaint = registering.register(boss, dealer_code=DEALER, tier=tier, subject="slow answer")
    if state == "registered":
        return complaint
    dept = Department(code="dbl-product", name="Product")
    db.session.add(dept)
    db.session.flush()
    letters.attach_letter(boss, complaint, io.BytesIO(PDF), "letter.pdf")
    handling.refer(boss, complaint, department_id=dept.id, letter="please answer")
    if state == "referred":
        return complaint
    handling.department_answer(boss, complaint, text="we checked")
    handling.write_report(boss, complaint, text="the report")
    if state == "reporting":
        return complaint
    handling.sign_off(boss, complaint)
    return complaint


@scenario("complaints_api.ComplaintStep", variants=("gm_return",))
def api_gm_return(env, _):
    complaint = complaint_in(env, "signed", tier="very_serious")
    return Case("POST", f"/api/v1/complaints/{complaint.number}/steps/gm_return", env.user("gm_assistant"),
                events(complaint, "gm_return"), json={"text": "compensation does not match the agreement"})


@scenario("complaints_api.Complaints")
def api_register(env, _):
    world(env)
    return Case("POST", "/api/v1/complaints", env.user("service"), _complaints(), idempotency_key=True,
                json={"dealer_code": DEALER, "tier": "ordinary", "subject": "rude on the phone"})


@scenario("complaints.create")
def page_register(env, _):
    world(env)
    return Case("POST", "/complaints/new", env.user("service"), _complaints(), api=False, idempotency_key=True,
                form_page="/complaints/new", form={"dealer_code": DEALER, "tier": "ordinary", "subject": "rude"})


@scenario("complaints_api.ComplaintStep", variants=("sign_off",))
def api_sign_off(env, _):
    complaint = complaint_in(env, "reporting")
    return Case("POST", f"/api/v1/complaints/{complaint.number}/steps/sign_off", env.user("supervisor"),
                events(complaint, "sign_off"), json={})


@scenario("complaints.step", variants=("sign_off",))
def page_sign_off(env, _):
    complaint = complaint_in(env, "reporting")
    return Case("POST", f"/complaints/{complaint.number}/step/sign_off", env.user("supervisor"),
                events(complaint, "sign_off"), api=False, form={"note": ""})


@scenario("complaints_api.Letters")
def api_letter(env, _):
    from complaints.models import ComplaintAttachment

    complaint = complaint_in(env, "registered")
    return Case("POST", f"/api/v1/complaints/{complaint.number}/letters", env.user("service"),
                count(ComplaintAttachment), files={"file": ("letter.pdf", PDF, "application/pdf")})


@scenario("complaints.upload")
def page_letter(env, _):
    from complaints.models import ComplaintAttachment

    complaint = complaint_in(env, "registered")
    return Case("POST", f"/complaints/{complaint.number}/letters", env.user("service"), count(ComplaintAttachment),
                api=False, files={"file": ("letter.pdf", PDF, "application/pdf")})


def _agreement():
    return {"customer_name": "张三", "id_number": ID_NUMBER, "signed_on": date.today().isoformat(),
            "customer_phone": "13912345678", "customer_address": "北京市海淀区中关村大街1号"}


@scenario("complaints_api.Mediation")
def api_mediation(env, _):
    from complaints.models import MediationAgreement

    complaint = complaint_in(env, "registered", tier="very_serious")
    return Case("POST", f"/api/v1/complaints/{complaint.number}/mediation", env.user("supervisor"),
                probes(count(MediationAgreement), events(complaint, "mediation")), json=_agreement())


@scenario("complaints.record_mediation")
def page_mediation(env, _):
    from complaints.models import MediationAgreement

    complaint = complaint_in(env, "registered", tier="very_serious")
    return Case("POST", f"/complaints/{complaint.number}/mediation", env.user("supervisor"),
                probes(count(MediationAgreement), events(complaint, "mediation")), api=False, form=_agreement())
