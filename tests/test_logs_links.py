import logging
import threading

import requests
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
    record = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        '%(h)s "%(r)s" %(s)s',
        None,
        None,
    )
    # gunicorn hands its atoms over as a mapping after the record is made.
    record.args = {
        "h": "127.0.0.1",
        "r": f"GET /api/conversations/c1/loa.pdf?sig={SIGNATURE} HTTP/1.1",
        "s": "200",
    }

    assert LinkSignatureFilter().filter(record)
    assert record.getMessage() == (
        '127.0.0.1 "GET /api/conversations/c1/loa.pdf?sig=[hidden] HTTP/1.1" 200'
    )
