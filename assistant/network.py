"""Who is on the other end of a request, behind a configured number of proxies."""

import ipaddress

from flask import current_app
from flask import request


def client_address() -> str:
    """The client's address: the remote address, or the one trusted proxies report.

    With `TRUSTED_PROXIES` = n, the n-th address from the right of X-Forwarded-For
    is the client: every hop to its right was added by a proxy we run, everything
    to its left was written by the client and proves nothing.
    """
    hops = current_app.config.get("TRUSTED_PROXIES", 0)
    if hops:
        forwarded = [
            part.strip()
            for part in request.headers.get("X-Forwarded-For", "").split(",")
        ]
        if len(forwarded) >= hops and _is_address(forwarded[-hops]):
            return forwarded[-hops]
    return request.remote_addr or "unknown"


def _is_address(value: str) -> bool:
    # The address keys rate limits and is printed on the LOA's audit page, so a
    # forged or mangled header must not pass as one.
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
