"""Which brand a unit belongs to: the catalogue part of its exact model, else the longest model prefix.

Brands M (Maxell, prefixes "MX, MAXELL") and K (Kingston, "SA, SA400"); the catalogue has the part
SP-1 of model "MX-Special" filed under Kingston, so that model is Kingston's although "MX" starts it.
"""
from __future__ import annotations

import pytest


@pytest.fixture()
def brands(app):
    from core.directory.models import Brand, Dealer, Office
    from core.extensions import db
    from inventory.models import Part

    with app.app_context():
        m = Brand(code="M", name="Maxell", model_prefixes="MX, MAXELL")
        k = Brand(code="K", name="Kingston", model_prefixes="SA, SA400")
        office = Office(code="BJ", name="Beijing office")
        db.session.add_all([m, k, office])
        db.session.flush()
        db.session.add(Dealer(code="D1", name="Dealer One", office_id=office.id))
        db.session.add(Part(sku="SP-1", model="MX-Special", brand_id=k.id))
        db.session.add(Part(sku="SP-2", model="SA400-120", brand_id=None))
        db.session.commit()
        return {"M": m.id, "K": k.id}


def test_the_exact_catalogue_model_beats_a_prefix_and_the_longest_prefix_wins(ctx, brands):
    from core.directory.brands import brand_for_model, brand_ids_for_models, split_prefixes

    assert brand_for_model(" mx-special ").code == "K"      # the catalogue part's brand, case ignored
    assert brand_for_model("MX-100").code == "M"            # the prefix MX
    assert brand_for_model("maxell dvd").code == "M"        # the prefix MAXELL
    assert brand_for_model("SA400-120").code == "K"         # in the catalogue without a brand: the prefix
    assert brand_for_model("Toshiba X1") is None and brand_for_model("") is None
    assert brand_ids_for_models(["MX-1", "sa400", "XX", ""]) == {"MX-1": brands["M"], "SA400": brands["K"],
                                                                   "XX": None}
    assert split_prefixes("mx，Maxell; mx\nDV") == ["MX", "MAXELL", "DV"]


def test_the_longest_prefix_wins_between_brands(ctx, brands):
    from core.directory.brands import brand_for_model
    from core.directory.models import Brand
    from core.extensions import db

    db.session.add(Brand(code="MP", name="Maxell Pro", model_prefixes="MXP"))
    db.session.flush()
    assert brand_for_model("MXP-9").code == "MP"
    assert brand_for_model("MX-9").code == "M"


def test_a_brand_s_prefixes_are_edited_through_the_api_and_the_directory_form(app, brands, api_as, login):
    from core.directory.models import Brand
    from core.extensions import db

    api = api_as("supervisor")
    resp = api.patch(f"/api/v1/brands/{brands['M']}", json={"model_prefixes": "mx , hx;mx"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["model_prefixes"] == "MX, HX"
    page = login("service")
    form = page.get(f"/directory/brands/{brands['K']}/edit")
    assert form.status_code == 200 and 'name="model_prefixes"' in form.get_data(as_text=True)
    resp = page.post(f"/directory/brands/{brands['K']}/edit",
                     data={"code": "K", "name": "Kingston", "model_prefixes": "sa, kv", "active": "y",
                           "csrf_token": page.csrf_token(f"/directory/brands/{brands['K']}/edit")})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Brand, brands["K"]).model_prefixes == "SA, KV"
    assert "SA, KV" in page.get("/directory/brands").get_data(as_text=True)


def test_a_part_gets_its_brand_through_the_api_and_shows_it(app, brands, api_as):
    api = api_as("supervisor")
    resp = api.post("/api/v1/inventory/parts", json={"sku": "SP-9", "model": "HX-1", "brand_id": brands["M"]})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["brand_id"] == brands["M"] and resp.get_json()["brand"] == "Maxell"
    bad = api.post("/api/v1/inventory/parts", json={"sku": "SP-10", "brand_id": 999999})
    assert bad.status_code == 422 and "brand_id" in str(bad.get_json())
    listed = {p["sku"]: p["brand"] for p in api.get("/api/v1/inventory/parts").get_json()}
    assert listed["SP-9"] == "Maxell" and listed["SP-1"] == "Kingston" and listed["SP-2"] is None


def test_repair_units_and_doa_units_get_their_brand_when_entered(app, brands, api_as, login):
    from sqlalchemy import select

    from core.directory.models import Brand
    from core.extensions import db
    from doa.models import DoaUnit
    from repairs.models import RepairUnit

    api = api_as("service")
    resp = api.post("/api/v1/repairs/parcels", json={"dealer_code": "D1", "lines": [
        {"serial": "SN0001", "model": "MX-Special"}, {"serial": "SN0002", "model": "mx-200"},
        {"serial": "SN0003", "model": "Other 1"}]})
    assert resp.status_code == 201, resp.get_json()
    assert [u["brand_id"] for u in resp.get_json()["units"]] == [brands["K"], brands["M"], None]
    resp = api.post("/api/v1/doa/applications", json={
        "dealer_code": "D1", "request": "replacement", "purchase_date": "2026-09-01", "fault": "dead",
        "units": [{"serial": "SN0009", "model": "SA400 240G"}]})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["units"][0]["brand_id"] == brands["K"]
    number = resp.get_json()["number"]
    with app.app_context():
        units = dict(db.session.execute(select(RepairUnit.serial, RepairUnit.brand_id)).all())
        assert units == {"SN0001": brands["K"], "SN0002": brands["M"], "SN0003": None}
        assert db.session.scalar(select(DoaUnit.brand_id)) == brands["K"]
        unit_ids = dict(db.session.execute(select(RepairUnit.serial, RepairUnit.id)).all())
        names = dict(db.session.execute(select(Brand.id, Brand.name)).all())
    # The unit's page and the DOA application's page name the brand.
    page = login("service", username="brand-reader")
    shown = page.get(f"/repairs/units/{unit_ids['SN0002']}").get_data(as_text=True)
    assert names[brands["M"]] in shown
    assert names[brands["K"]] in page.get(f"/doa/{number}").get_data(as_text=True)


def test_a_held_unit_gets_its_brand_when_its_model_is_given_on_conversion_to_a_repair(ctx, brands):
    # A unit that arrived as DOA without an application has no model until the clerk gives it.
    from core.authz import SYSTEM
    from core.extensions import db
    from doa import receipt

    hold = receipt.hold_unit(SYSTEM, "SN0100", dealer_code="D1")
    assert hold.model == ""
    parcel = receipt.convert_hold_to_repair(SYSTEM, hold, model="Maxell CD-R")
    db.session.flush()
    db.session.refresh(parcel)
    assert [(u.serial, u.model, u.brand_id) for u in parcel.units] == [("SN0100", "Maxell CD-R", brands["M"])]


def test_a_supervisor_files_a_catalogue_part_under_a_brand_and_new_units_follow(app, brands, api_as):
    from sqlalchemy import select

    from core.extensions import db
    from inventory.models import Part

    with app.app_context():
        part_id = db.session.scalar(select(Part.id).where(Part.sku == "SP-2"))
    assert api_as("clerk").patch(f"/api/v1/inventory/parts/{part_id}", json={"brand_id": brands["M"]}).status_code == 403
    api = api_as("supervisor")
    resp = api.patch(f"/api/v1/inventory/parts/{part_id}", json={"brand_id": brands["M"]})
    assert resp.status_code == 200 and resp.get_json()["brand"] == "Maxell"
    assert api.patch(f"/api/v1/inventory/parts/{part_id}", json={"brand_id": 999999}).status_code == 422
    assert api.patch("/api/v1/inventory/parts/999999", json={"brand_id": None}).status_code == 404  # no such part
    with app.app_context():
        from core.directory.brands import brand_for_model

        assert brand_for_model("sa400-120").code == "M"  # the catalogue now beats Kingston's prefix SA400


def test_units_recorded_without_a_brand_get_it_from_fill_brands(app, brands):
    # Units entered before their model had a brand (here: before the prefix HX was given to Maxell).
    from datetime import date

    from sqlalchemy import select, update

    from core.directory.models import Brand, Dealer
    from core.extensions import db
    from doa.models import DoaApplication, DoaUnit
    from repairs.models import RepairUnit, ReturnParcel

    with app.app_context():
        dealer = db.session.scalar(select(Dealer))
        parcel = ReturnParcel(rma_number="RMA-OLD", dealer_id=dealer.id, office_id=dealer.office_id)
        db.session.add(parcel)
        db.session.flush()
        db.session.add_all([RepairUnit(parcel_id=parcel.id, serial="OLD1", model=" hx-1 "),
                            RepairUnit(parcel_id=parcel.id, serial="OLD2", model="MX-1", brand_id=brands["K"]),
                            RepairUnit(parcel_id=parcel.id, serial="OLD3", model="ZZ")])
        doa = DoaApplication(number="DOA-OLD", dealer_id=dealer.id, office_id=dealer.office_id, request="refund",
                             purchase_date=date(2026, 9, 1), state="submitted",
                             approval_due=date(2026, 9, 2))
        db.session.add(doa)
        db.session.flush()
        db.session.add(DoaUnit(application_id=doa.id, serial="OLD9", model="HX-2"))
        db.session.execute(update(Brand).where(Brand.id == brands["M"]).values(model_prefixes="MX, HX"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["depot", "fill-brands"])
    assert result.exit_code == 0, result.output
    assert "repair_unit: 1 unit(s) given a brand" in result.output and "doa_unit: 1 unit(s)" in result.output
    with app.app_context():
        units = dict(db.session.execute(select(RepairUnit.serial, RepairUnit.brand_id)).all())
        # OLD2 keeps the brand it was entered with; OLD3's model has no brand.
        assert units == {"OLD1": brands["M"], "OLD2": brands["K"], "OLD3": None}
        assert db.session.scalar(select(DoaUnit.brand_id)) == brands["M"]


def test_the_spare_request_form_shows_each_part_s_brand(brands, login):
    page = login("supervisor").get("/inventory/requests").get_data(as_text=True)
    assert "<td>SP-1</td><td>MX-Special</td><td>Kingston</td>" in page
