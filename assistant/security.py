"""Security headers: a CSP without inline script, framing only by allowed origins.

Also keeps the database driver's debug logging from writing customers' numbers and
secrets into log files.
"""

import logging
import re

from flask import Flask
from flask import Response
from flask import request
from flask_talisman import Talisman

talisman = Talisman()


def embed_origins(app: Flask) -> list[str]:
    """Who may frame the chat: the app itself and every configured origin."""
    origins = ["'self'"]
    for origin in app.config["EMBED_ORIGINS"]:
        if origin not in origins:
            origins.append(origin)
    return origins


def content_security_policy(app: Flask) -> dict:
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": "'self'",
        "frame-src": ["'self'", "blob:"],
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": embed_origins(app),
    }


def init_app(app: Flask) -> None:
    talisman.init_app(
        app,
        force_https=app.config["HTTPS"],
        strict_transport_security=app.config["HTTPS"],
        session_cookie_secure=app.config["HTTPS"],
        content_security_policy=content_security_policy(app),
        # X-Frame-Options can't list origins; frame-ancestors does the job instead.
        frame_options=None,
        referrer_policy="strict-origin-when-cross-origin",
    )
    app.after_request(_no_store_for_api)
    keep_rows_out_of_sql_logs()
    keep_link_signatures_out_of_request_logs()


def _no_store_for_api(response: Response) -> Response:
    # Chat replies carry names, addresses and masked secrets: no shared cache
    # or back-button cache should keep them.
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


class SqlValuesFilter(logging.Filter):
    """Drop the rows and the bound values SQLAlchemy logs; keep the statements.

    Rows and parameters hold slots (phone numbers) and ciphertext next to names
    and addresses; the statements alone are enough to debug with.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Row %r":
            return False
        if record.msg == "[%s] %r" and record.args:
            record.args = (record.args[0], "[values not logged]")
        return True


def keep_rows_out_of_sql_logs() -> None:
    logger = logging.getLogger("sqlalchemy.engine.Engine")
    if not any(isinstance(f, SqlValuesFilter) for f in logger.filters):
        logger.addFilter(SqlValuesFilter())


class LinkSignatureFilter(logging.Filter):
    """Hide the ``sig`` of signed download links in request log lines.

    A signed LOA link opens the letter, PIN included, without the conversation's
    token until it expires; a log reader must not be able to use it.
    """

    # In a request line or URL, and in a bare query string ("sig=…&x=1").
    SIGNATURE = re.compile(r"((?:^|[?&])sig=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._hide(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._hide(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            # gunicorn's access log passes its atoms as a mapping of its own class,
            # which also answers header atoms: changed in place, it keeps doing so.
            for key, arg in list(record.args.items()):
                record.args[key] = self._hide(arg)
        return True

    def _hide(self, value):
        if isinstance(value, str) and "sig=" in value:
            return self.SIGNATURE.sub(r"\1[hidden]", value)
        return value


def keep_link_signatures_out_of_request_logs() -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, LinkSignatureFilter) for f in logger.filters):
            logger.addFilter(LinkSignatureFilter())
