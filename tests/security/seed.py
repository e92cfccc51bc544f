"""Two regional offices with data of their own, for the route walk and the fuzzer.

Office A's records carry distinctive values, so a page or an answer that shows
them to office B (or to nobody at all) is caught by text search. Each domain
package gets a seeder that uses its own services, so the data is what the
application itself would have written.
"""
from __future__ import annotations

from dataclasses import dataclass, field

OFFICE_A = "OFA"
OFFICE_B = "OFB"
USER_A = "alice-of-office-a"
USER_B = "bob-of-office-b"
ADMIN = "root-admin-user"
CLERK = "clara-hq-clerk"


@dataclass
class World:
    office_a: int
    office_b: int
    users: dict = field(default_factory=dict)  # username -> plain bearer token
    notes: list = field(default_factory=list)  # what the domain seeders made

    def password(self, username: str) -> str:
        return f"{username}-pass"


def seed_world(app) -> World:
    """Create the offices, users, tokens and domain data (committed)."""
    from core.accounts.service import create_token, create_user
    from core.directory.models import Dealer, Office
    from core.extensions import db

    with app.app_context():
        a = Office(code=OFFICE_A, name="Office A", region="华北")
        b = Office(code=OFFICE_B, name="Office B", region="华东")
        db.session.add_all([a, b])
        db.session.flush()
        db.session.add_all([
            Dealer(code="DLRASECRET1", name="Alpha Secret Dealer Co", phone="13900001111",
                   email="alpha-secret@dealer-a.example", office_id=a.id, address="A street 1"),
            Dealer(code="DLRBPUBLIC1", name="Beta Dealer Co", phone="13900002222",
                   email="beta@dealer-b.example", office_id=b.id, address="B street 2"),
        ])
        world = World(office_a=a.id, office_b=b.id)
        for username, roles, office in [
            (USER_A, ["office"], a.id),
            (USER_B, ["office"], b.id),
            (ADMIN, ["admin"], None),
            (CLERK, ["clerk"], None),
        ]:
            user = create_user(username, world.password(username), roles, office_id=office)
            _, plain = create_token(user, f"token of {username}")
            world.users[username] = plain
        db.session.commit()
        for seeder in DOMAIN_SEEDERS:
            seeder(app, world)
            db.session.commit()
    return world


def _actor(username):
    from core.accounts.service import get_user

    return get_user(username)


def _seed_repairs(app, world):
    """A return parcel of office A's dealer, one unit received and inspected, one declared."""
    from repairs import inspection, intake, receiving

    clerk = _actor(CLERK)
    parcel = intake.create_parcel(_actor(ADMIN), dealer_code="DLRASECRET1", inbound_waybill="WBASECRET77",
                               lines=[{"serial": "SNASECRET001", "model": "ASECRET-SSD"},
                                      {"serial": "SNASECRET002", "model": "ASECRET-SSD"}],
                               note="alpha secret parcel")
    unit = receiving.receive_unit(clerk, "SNASECRET001")
    inspection.inspect_unit(clerk, unit, human_damage=True, note="alpha secret scratch")
    world.notes.append(f"repairs: parcel {parcel.rma_number}")


def _seed_inventory(app, world):
    """Office A's spare stock (bulk and serialized), a count and a spare request."""
    import io

    from inventory import counts, documents, spares
    from inventory import service as inv

    admin = _actor(ADMIN)
    bulk = inv.create_part(admin, sku="PARTASECRET1", model="Alpha secret SSD")
    serial = inv.create_part(admin, sku="PARTASECRET2", model="Alpha secret card", serialized=True)
    source = inv.system_location("finished_goods")
    office_a = inv.office_location(world.office_a)
    inv.office_location(world.office_b)
    inv.post_movement(actor=admin, part=bulk, from_location=source, to_location=office_a, quantity=7,
                      reason="receipt", note="alpha secret delivery")
    inv.post_movement(actor=admin, part=serial, from_location=source, to_location=office_a, quantity=1,
                      serial="SERIALASECRET9", reason="receipt")
    data = counts.CountInput(quantities=[(1, "PARTASECRET1", 6)], serials=[(2, "PARTASECRET2", "SERIALASECRET9")])
    counts.submit_count(_actor(USER_A), location=office_a, kind="weekly", data=data, note="alpha secret count")
    request = spares.create_request(_actor(USER_A), office_id=world.office_a, lines=[("PARTASECRET1", 2)],
                                    note="alpha secret request")
    # The request's signed paper (备品签字版文件): another office may neither read it nor add to it.
    documents.attach(_actor(USER_A), request, io.BytesIO(b"%PDF-1.4 alpha secret signed request\n%%EOF\n"),
                     "alpha-secret-signed.pdf")
    world.notes.append("inventory: stock, count, request and its signed document of office A")


def _seed_shipments(app, world):
    """A shipment of spare parts from HQ to office A."""
    from inventory import service as inv
    from shipments import service as ship

    part = inv.part_by_sku("PARTASECRET1")
    hq = inv.system_location("hq_store")
    inv.post_movement(actor=_actor(ADMIN), part=part, from_location=inv.system_location("finished_goods"),
                      to_location=hq, quantity=3, reason="receipt")
    shipment = ship.create_shipment(_actor(ADMIN), leg="hq_office", office_id=world.office_a,
                                    lines=[{"kind": "part", "part_id": part.id, "quantity": 1}],
                                    carrier="SF", waybill="SFASECRET123", note="alpha secret parcel")
    world.notes.append(f"shipments: {shipment.number}")


def _optional(name, fn):
    """Run a package's seeder only when the package has the modules it uses."""

    def run(app, world):
        import importlib

        try:
            for module in name.split(","):
                importlib.import_module(module)
        except ImportError:
            world.notes.append(f"skipped {fn.__name__}: {name} not importable")
            return
        fn(app, world)

    return run


DOMAIN_SEEDERS: list = [
    _optional("repairs.service", _seed_repairs),
    _optional("inventory.service,inventory.counts,inventory.spares", _seed_inventory),
    _optional("shipments.service,inventory.service", _seed_shipments),
]
