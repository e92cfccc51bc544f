"""The directory: who Depot deals with (DOMAIN.md "Who is involved")."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.types import UTCDateTime, utcnow


class Office(db.Model):
    """A regional office (办事处) holding a pool of spare units."""

    __tablename__ = "office"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(60), default="")
    contact: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dealer(db.Model):
    """A dealer / distributor (代理商) that sends units in and receives them back."""

    __tablename__ = "dealer"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    contact: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    birthday: Mapped[date | None] = mapped_column()
    region: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    channel_rep: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    office: Mapped[Office | None] = relationship(lazy="joined")

    @property
    def phone_last4(self) -> str:
        digits = "".join(ch for ch in self.phone or "" if ch.isdigit())
        return digits[-4:]


class Factory(db.Model):
    """A repair site: the factory repair department (工厂维修部) or Taiwan repair."""

    __tablename__ = "factory"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    contact: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Route defaults of the repair clocks (repairs.clocks reads them from here); each route
# carries its own values, which the company sets per route on the directory pages.
DISPATCH_DAYS = 2          # CS sends a received unit to the factory within 2 working days (二个工作日内)
PROMISE_DAYS = 7           # the dealer promise: shipped back within 7 working days (对外承诺七个工作日)
FACTORY_CHASE_DAYS = 7     # calendar days at the factory before it is chased (对内要求7天)
LONG_OUTSTANDING_DAYS = 30


class RepairRoute(db.Model):
    """Where a unit is repaired, and the promise in working days (None: no promise)."""

    __tablename__ = "repair_route"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factory.id"), index=True)
    promise_days: Mapped[int | None] = mapped_column()
    dispatch_days: Mapped[int] = mapped_column(default=DISPATCH_DAYS)
    # Calendar days at the factory before it is chased (对内要求7天), and on a route
    # without a promise, days at the repairer before the unit is long outstanding.
    factory_chase_days: Mapped[int] = mapped_column(default=FACTORY_CHASE_DAYS,
                                                    server_default=str(FACTORY_CHASE_DAYS))
    chase_after_days: Mapped[int] = mapped_column(default=LONG_OUTSTANDING_DAYS,
                                                  server_default=str(LONG_OUTSTANDING_DAYS))
    active: Mapped[bool] = mapped_column(default=True)

    factory: Mapped[Factory] = relationship(lazy="joined")


class Vendor(db.Model):
    """A vendor managing its own spare pool (e.g. Maxell 备品)."""

    __tablename__ = "vendor"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    contact: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")


class Department(db.Model):
    """An internal department (渠道部, 产品部, ...) taking part in approvals."""

    __tablename__ = "department"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))


class Brand(db.Model):
    """A brand the company sells (DOMAIN.md: the hotline, repairs and figures count per brand)."""

    __tablename__ = "brand"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    # The starts of this brand's model names, comma-separated ("MX, MAXELL"): core.directory.brands.
    model_prefixes: Mapped[str] = mapped_column(String(200), default="", server_default="")
