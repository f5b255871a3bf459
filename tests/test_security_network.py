import io

import pytest
from pypdf import PdfReader

from assistant.extensions import db
from assistant.models import PortRequest
from assistant.network import client_address
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.test_security_secrets import submit_intake


@pytest.mark.parametrize(
    "proxies, forwarded_for, expected",
    [
        (0, None, "10.1.1.1"),
        (0, "203.0.113.7", "10.1.1.1"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "192.0.2.99, 203.0.113.7", "203.0.113.7"),
        (2, "192.0.2.99, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (2, "203.0.113.7", "10.1.1.1"),
        (1, "2001:db8::17", "2001:db8::17"),
        (1, "<script>alert(1)</script>", "10.1.1.1"),
        (1, "unknown", "10.1.1.1"),
        (1, "", "10.1.1.1"),
        (1, "203.0.113.7, ", "10.1.1.1"),
        (1, "1" * 5000, "10.1.1.1"),
    ],
)
def test_the_client_address_counts_only_the_configured_trusted_hops(
    app, proxies, forwarded_for, expected
):
    app.config["TRUSTED_PROXIES"] = proxies
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}

    with app.test_request_context(
        "/", headers=headers, environ_base={"REMOTE_ADDR": "10.1.1.1"}
    ):
        assert client_address() == expected


@pytest.mark.parametrize("proxies, expected", [(1, "203.0.113.7"), (0, "10.1.1.1")])
def test_the_loa_audit_records_the_address_the_trusted_proxy_reports(
    tmp_path, proxies, expected
):
    app = build_app(make_config(tmp_path, TRUSTED_PROXIES=proxies))
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.1.1.1"
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.50, 203.0.113.7"

    reference = submit_intake(Chat(client))
    with app.app_context():
        request = db.session.query(PortRequest).filter_by(reference=reference).one()
        assert request.signer_ip == expected
        audit_page = PdfReader(io.BytesIO(request.signed_loa)).pages[-1]
    printed = " ".join(audit_page.extract_text().split())
    assert f"IP address {expected}" in printed
    # The address the client wrote itself never reaches the letter.
    assert "192.0.2.50" not in printed
