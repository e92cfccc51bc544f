"""Depot's shared kernel and the application factory."""
from __future__ import annotations

import importlib
import logging
import os

from flask import Flask
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from core import api_docs, cli, extensions, i18n, input_limits, security, sqlite, stored_files, uow, views
from core import models as core_models  # noqa: F401  (the core tables)
from core.accounts import admin as accounts_admin
from core.accounts import api as accounts_api
from core.accounts import auth as accounts_auth  # also registers the login loaders
from core.accounts import cli as accounts_cli  # noqa: F401  (adds the user commands)
from core.accounts import principal
from core.accounts import views as accounts_views
from core.accounts.roles import role_label
from core.audit.labels import field_label, value_label
from core.audit.service import install as install_audit
from core.audit.service import set_actor
from core.calendar import SHANGHAI
from core.calendar import api as calendar_api
from core.calendar import views as calendar_views
from core.calendar.service import prepare as prepare_calendar
from core.chase import api as chase_api
from core.chase import cli as chase_cli  # noqa: F401  (adds `flask depot sweep`)
from core.chase import views as chase_views
from core.config import load_config, per_worker_limits_warning
from core.demo import register_demo_loader  # noqa: F401  (adds `flask depot demo`)
from core.directory import api as directory_api
from core.directory import cli as directory_cli  # noqa: F401  (adds the directory commands)
from core.directory import demo as directory_demo  # noqa: F401  (registers the directory's demo loader)
from core.directory import views as directory_views
from core.errors import register_errorhandlers as install_errorhandlers
from core.ids import MAX_ID
from core.nav import nav_for, optional_url
from core.tasks import api as tasks_api
from core.tasks import views as tasks_views

__all__ = ["create_app"]

# The domain packages, in registration order. Core never imports them by statement: the factory
# imports each by name here (importlib) and calls its init_app (docs/ARCHITECTURE.md).
DOMAIN_PACKAGES = ("inventory", "shipments", "repairs", "doa", "hotline", "complaints", "figures", "labels",
                   "dealercare", "handoff")


def create_app(test_config: dict | None = None) -> Flask:
    """Build a Depot app; ``test_config`` overrides the environment's settings."""
    app = Flask(__name__, instance_path=os.environ.get("DEPOT_INSTANCE_PATH") or None,
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    _configure_database(app)
    _bound_url_integers(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_hooks(app)
    prepare_calendar()
    return app


def _bound_url_integers(app: Flask) -> None:
    """``<int:id>`` in URLs stops at the database's integer range: larger is a 404, not a 500."""
    class DatabaseIntegerConverter(IntegerConverter):
        def __init__(self, map, *args, **kwargs):
            kwargs.setdefault("max", MAX_ID)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = DatabaseIntegerConverter


def _configure_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        # psycopg 3 is the driver; accept the plain scheme people type.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://"):]
    if uri.startswith("sqlite"):
        sqlite.engine_options(app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}))
        sqlite.install()


def register_extensions(app: Flask) -> None:
    db = extensions.db
    db.init_app(app)
    migrations = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
    extensions.migrate.init_app(app, db, directory=migrations, render_as_batch=True, compare_type=True)
    extensions.login_manager.init_app(app)
    extensions.login_manager.login_view = "accounts.login"
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    _warn_if_limits_per_worker(app)
    i18n.init_app(app)
    api = extensions.api
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A token from /account/tokens"}
    )
    api.spec.components.security_scheme(
        "cookieAuth", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    api.spec.options["security"] = [{"bearerAuth": []}, {"cookieAuth": []}]
    security.init_app(app)
    input_limits.init_app(app)
    uow.init_app(app)
    install_audit()
    stored_files.install()
    principal.init_app(app)


def _warn_if_limits_per_worker(app: Flask) -> None:
    """Rate limits counted in memory while WEB_CONCURRENCY says several workers run
    (gunicorn.conf.py warns the same from gunicorn's own worker count)."""
    try:
        workers = int(os.environ.get("WEB_CONCURRENCY") or 1)
    except ValueError:
        return
    warning = per_worker_limits_warning(app.config.get("RATELIMIT_STORAGE_URI", "memory://"), workers)
    if warning:
        logging.getLogger("depot").warning(warning)


def register_blueprints(app: Flask) -> None:
    api = extensions.api
    app.register_blueprint(views.bp)
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(accounts_views.bp)
    app.register_blueprint(accounts_admin.bp)
    app.register_blueprint(calendar_views.bp)
    app.register_blueprint(directory_views.bp)
    app.register_blueprint(tasks_views.bp)
    app.register_blueprint(chase_views.bp)
    api.register_blueprint(accounts_api.blp)
    api.register_blueprint(accounts_admin.blp)
    api.register_blueprint(calendar_api.blp)
    api.register_blueprint(directory_api.blp)
    api.register_blueprint(chase_api.blp)
    api.register_blueprint(tasks_api.blp)
    # Every package is imported before any init_app runs, so what one registers on import
    # (the DOA scan mode) is known when another registers its API (the scan station's modes).
    packages = [importlib.import_module(name) for name in DOMAIN_PACKAGES]
    for package in packages:
        package.init_app(app)
    cli.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    install_errorhandlers(app)


def register_hooks(app: Flask) -> None:
    @app.before_request
    def _attribute_changes():
        set_actor(extensions.db.session, accounts_auth.actor())

    app.add_template_filter(role_label, "role_label")
    app.add_template_global(optional_url, "optional_url")
    app.add_template_global(field_label, "audit_field_label")
    app.add_template_global(value_label, "audit_value_label")

    @app.template_filter("localtime")
    def _localtime(moment, fmt="%Y-%m-%d %H:%M"):
        """Show a stored UTC timestamp as Asia/Shanghai time."""
        if moment is None:
            return ""
        return moment.astimezone(SHANGHAI).strftime(fmt)

    @app.context_processor
    def _layout_context():
        locale = get_locale()
        # Babel names Simplified Chinese "zh_Hans_CN"; templates compare against our own codes.
        code = "zh_CN" if locale is not None and locale.language == "zh" else "en"
        return {"nav_items": nav_for(current_user), "current_locale": code}
