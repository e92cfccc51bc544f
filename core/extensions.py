"""Extensions, created unbound; the app factory binds them."""
import marshmallow as ma
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations behave the same on SQLite
# (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ErrorSchema(ma.Schema):
    """The JSON body of every API error (documents core.errors.error_response)."""

    status = ma.fields.Integer(metadata={"description": "HTTP status"})
    code = ma.fields.String(metadata={"description": "Machine-readable error code"})
    message = ma.fields.String(metadata={"description": "What is wrong, for people"})
    errors = ma.fields.Dict(metadata={"description": "Per-field messages"})

    class Meta:
        unknown = ma.INCLUDE  # some errors add context, e.g. current_state and allowed


class DepotApi(Api):
    ERROR_SCHEMA = ErrorSchema


class DepotLimiter(Limiter):
    """Flask-Limiter with limits only where a view declares them (sign-in, dealer pages).

    Depot sets no default, application or blueprint limits, so Flask-Limiter's
    check before every request has nothing to find; a decorated view checks its
    own limits in its wrapper. Dropping that check saves every scan its cost.
    Should a default or application limit ever be configured, the check stays.
    """

    def init_app(self, app) -> None:
        super().init_app(app)
        manager = self.limit_manager
        if not (manager.default_limits or manager.application_limits or manager._blueprint_limits):
            app.before_request_funcs.setdefault(None, [])
            if self._check_request_limit in app.before_request_funcs[None]:
                app.before_request_funcs[None].remove(self._check_request_limit)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = DepotApi()
limiter = DepotLimiter(key_func=get_remote_address, default_limits=[])
