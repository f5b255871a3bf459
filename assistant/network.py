"""Who is on the other end of a request, behind a configured number of proxies."""

from flask import current_app
from flask import request


def client_address() -> str:
    """The client's address: the remote address, or the one trusted proxies report."""
    hops = current_app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        forwarded = [
            part.strip()
            for part in request.headers.get("X-Forwarded-For", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or "unknown"
