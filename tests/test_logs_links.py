import logging
import threading
from datetime import timedelta
from types import SimpleNamespace

import requests
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.glogging import SafeAtoms
from werkzeug.serving import make_server

from assistant.security import LinkSignatureFilter

SIGNATURE = "WyJhYmMiLDFd.Z2hpamts.bW5vcHFy"


def test_the_dev_servers_request_log_hides_a_download_links_signature(app, caplog):
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            response = requests.get(
                f"http://127.0.0.1:{server.port}/api/conversations/"
                f"0123abcd/loa.pdf?sig={SIGNATURE}&x=1",
                timeout=10,
            )
    finally:
        server.shutdown()
        thread.join(timeout=10)

    assert response.status_code == 404
    request_lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/loa.pdf?sig=[hidden]&x=1" in line for line in request_lines)
    assert SIGNATURE not in caplog.text


def test_gunicorns_access_log_atoms_lose_the_signature_too():
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/conversations/c1/loa.pdf?sig={SIGNATURE}",
        "PATH_INFO": "/api/conversations/c1/loa.pdf",
        "QUERY_STRING": f"sig={SIGNATURE}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=0, headers=[])
    config = Config()
    config.set("access_log_format", '%(h)s "%(r)s" %(q)s %(s)s %({x-forwarded-for}i)s')
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", "203.0.113.9")])
    atoms = Logger(config).atoms(response, request, environ, timedelta(seconds=0.01))
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, config.access_log_format, (), None
    )
    # gunicorn hands its atoms over as its own mapping after the record is made.
    record.args = SafeAtoms(atoms)

    assert LinkSignatureFilter().filter(record)
    assert record.getMessage() == (
        '127.0.0.1 "GET /api/conversations/c1/loa.pdf?sig=[hidden] HTTP/1.1" '
        "sig=[hidden] 200 203.0.113.9"
    )
