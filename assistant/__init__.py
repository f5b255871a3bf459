"""The porting assistant: a Flask application built by `create_app`."""

import logging
import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from assistant import config as settings
from assistant.extensions import csrf
from assistant.extensions import db
from assistant.extensions import limiter
from assistant.extensions import login_manager
from assistant.extensions import migrate

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("ASSISTANT_INSTANCE_PATH")
        or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(PACKAGE / "static"),
    )
    load_config(app, test_config)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    # transitions reports every callback at INFO; the chat logs each step itself.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    check_start_up(app)
    return app


def load_config(app: Flask, test_config: dict | None) -> None:
    instance = Path(app.instance_path)
    app.config.update(settings.from_environment(os.environ))
    found = settings.instance_secrets(instance)
    if not app.config["ENCRYPTION_KEYS"] and "ENCRYPTION_KEYS" in found:
        app.config["ENCRYPTION_KEYS"] = found["ENCRYPTION_KEYS"]
    if "SECRET_KEY" not in app.config or not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = found.get("SECRET_KEY")
    if test_config:
        app.config.update(test_config)

    url = app.config["DATABASE_URL"] or f"sqlite:///{instance / 'assistant.db'}"
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", url)
    if test_config and "SQLALCHEMY_DATABASE_URI" not in test_config:
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.config.setdefault("OUTBOX_DIR", "")
    if not app.config["OUTBOX_DIR"]:
        app.config["OUTBOX_DIR"] = str(instance / "outbox")
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_FILE_BYTES"] + 64 * 1024
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATELIMIT_STORAGE_URI"]
    for key, default in RATE_DEFAULTS.items():
        app.config.setdefault(key, default)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config["HTTPS"]
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["HTTPS"]
    app.config["WTF_CSRF_TIME_LIMIT"] = None


RATE_DEFAULTS = {
    "RATE_CREATE": "30 per minute; 300 per hour",
    "RATE_MESSAGE": "120 per minute",
    "RATE_UPLOAD": "20 per minute",
    "RATE_READ": "120 per minute",
    "RATE_STATUS": "10 per minute",
    "RATE_LOGIN": "10 per minute",
}


def engine_options(url: str) -> dict:
    # Bound values hold numbers and names: keep them out of error messages and logs.
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}, "hide_parameters": True}
    return {"pool_pre_ping": True, "hide_parameters": True}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers go on while one writer commits; foreign keys are off by default.
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PACKAGE / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    from assistant import security

    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    from assistant import api
    from assistant import pages
    from assistant.errors import register_error_handlers

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    from assistant import wizard

    app.register_blueprint(wizard.bp)
    from assistant import staff
    from assistant import status_page

    app.register_blueprint(staff.bp)
    app.register_blueprint(status_page.bp)
    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from assistant import commands

    commands.register(app)


def check_start_up(app: Flask) -> None:
    """Refuse to start with settings that would fail a customer later."""
    if app.config["HTTPS"] and not app.config["BASE_URL"]:
        # Without it, links in e-mails are built from the request's Host header,
        # which a visitor chooses; a local run may rely on that, production not.
        raise RuntimeError(
            "ASSISTANT_HTTPS is on but ASSISTANT_BASE_URL is empty: set it to the "
            "public address, e.g. https://assistant.example.com, for the links in "
            "e-mails."
        )
    if app.config["LOA_TEMPLATE"] or app.config["LOA_FIELD_MAP"]:
        from assistant import loa

        loa.check_template(
            app.config["LOA_TEMPLATE"] or None, app.config["LOA_FIELD_MAP"] or None
        )


def warm_up(app: Flask) -> None:
    """Build the FAQ model and the LOA fonts before the first customer needs them."""
    from assistant import knowledge
    from assistant import loa

    with app.app_context():
        knowledge.KnowledgeBase.load(
            app.config["KNOWLEDGE_BASE"] or None, brand=app.config["BRAND_NAME"]
        )
        loa.fill_loa({}, [], brand=app.config["BRAND_NAME"])
