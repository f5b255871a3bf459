"""Security headers: a CSP without inline script, framing only by allowed origins."""

from flask import Flask
from flask_talisman import Talisman

talisman = Talisman()


def embed_origins(app: Flask) -> list[str]:
    return list(app.config["EMBED_ORIGINS"]) or ["'self'"]


def init_app(app: Flask) -> None:
    csp = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": "'self'",
        "frame-src": ["'self'", "blob:"],
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": ["'self'", *embed_origins(app)],
    }
    talisman.init_app(
        app,
        force_https=app.config["HTTPS"],
        strict_transport_security=app.config["HTTPS"],
        session_cookie_secure=app.config["HTTPS"],
        content_security_policy=csp,
        # X-Frame-Options can't list origins; frame-ancestors does the job instead.
        frame_options=None,
        referrer_policy="strict-origin-when-cross-origin",
    )
