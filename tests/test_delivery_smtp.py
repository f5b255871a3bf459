import hashlib
import json
import ssl
import subprocess
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from ipaddress import ip_address

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from assistant import delivery
from assistant import loa
from assistant.extensions import db
from assistant.models import OutboxMessage
from assistant.models import utcnow
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import bill_pdf
from tests.intake_data import run_to_review
from tests.staff_fixtures import ACCOUNT_NUMBER
from tests.staff_fixtures import BILL_BYTES
from tests.staff_fixtures import CUSTOMER_EMAIL
from tests.staff_fixtures import LOA_BYTES
from tests.staff_fixtures import PIN
from tests.staff_fixtures import add_request
from tests.staff_fixtures import add_staff_user
from tests.staff_fixtures import body_text
from tests.staff_fixtures import change_status
from tests.staff_fixtures import free_port
from tests.staff_fixtures import outbox
from tests.staff_fixtures import parsed
from tests.staff_fixtures import sign_in

INBOX = "porting@rallycorp.example"
SENDER = "porting-assistant@rallycorp.example"
BASE_URL = "https://port.rallycorp.example"


class Recorder:
    """An SMTP handler that keeps what it receives and can refuse at first."""

    def __init__(self, refuse_first: int = 0, reply: str = "451 4.3.0 Try later"):
        self.refuse_first = refuse_first
        self.reply = reply
        self.attempts: list[str] = []
        self.delivered = []

    async def handle_DATA(self, server, session, envelope):
        message_id = parsed(envelope.content)["Message-ID"]
        self.attempts.append(message_id)
        if self.attempts.count(message_id) <= self.refuse_first:
            return self.reply
        self.delivered.append(envelope)
        return "250 2.0.0 OK"

    def messages(self, subject_start: str) -> list:
        found = [(e, parsed(e.content)) for e in self.delivered]
        return [(e, m) for e, m in found if m["Subject"].startswith(subject_start)]


class Credentials:
    def __init__(self):
        self.seen = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.seen.append(login)
        return AuthResult(success=login == ("relay-user", "relay-secret"))


@pytest.fixture
def smtp_server():
    started = []

    def start(handler, **options) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


def mail_app(tmp_path, port: int, **overrides):
    config = make_config(
        tmp_path,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_SENDER=f"Rally Corp Porting <{SENDER}>",
        PORTING_INBOX=INBOX,
        BASE_URL=BASE_URL,
    )
    config.update(overrides)
    return build_app(config)


def later(hours: int) -> datetime:
    return utcnow() + timedelta(hours=hours)


def test_the_porting_inbox_gets_the_package_with_its_subject_and_attachments(
    tmp_path, smtp_server
):
    recorder = Recorder()
    app = mail_app(tmp_path, smtp_server(recorder))
    with app.app_context():
        reference = add_request(queue=True).reference
        assert delivery.send_pending() == 2

    [(envelope, message)] = recorder.messages("Porting Request")
    assert message["Subject"] == "Porting Request – Acme Plumbing"
    assert envelope.rcpt_tos == [INBOX]
    assert envelope.mail_from == SENDER
    assert message["To"] == INBOX
    attachments = {
        part.get_filename(): part.get_content() for part in message.iter_attachments()
    }
    assert list(attachments) == [
        f"LOA-{reference}.pdf",
        "march-bill.pdf",
        f"summary-{reference}.json",
        f"summary-{reference}.html",
    ]
    assert attachments[f"LOA-{reference}.pdf"] == LOA_BYTES
    assert attachments["march-bill.pdf"] == BILL_BYTES
    summary = json.loads(attachments[f"summary-{reference}.json"])
    assert summary["reference"] == reference
    assert summary["numbers"] == ["+14158675309"]
    assert summary["masked"] == {
        "account_number": "•••••••••09",
        "btn": "••••••••••00",
        "pin": "provided",
    }
    assert summary["documents"][0]["findings"][0]["message"] == (
        "The bill shows the number."
    )
    assert ACCOUNT_NUMBER not in json.dumps(summary)
    assert f"{BASE_URL}/staff/requests/{reference}" in body_text(message)


def test_the_signer_gets_a_confirmation_with_the_reference_and_the_signed_loa(
    tmp_path, smtp_server
):
    recorder = Recorder()
    app = mail_app(tmp_path, smtp_server(recorder))
    with app.app_context():
        reference = add_request(queue=True).reference
        delivery.send_pending()

    [(envelope, message)] = recorder.messages("We've received")
    assert message["Subject"] == f"We've received your porting request {reference}"
    assert envelope.rcpt_tos == [CUSTOMER_EMAIL]
    text = body_text(message)
    assert f"Reference: {reference}" in text
    assert "keep your current service on" in text
    assert f"{BASE_URL}/status" in text
    assert ACCOUNT_NUMBER not in text
    [loa] = list(message.iter_attachments())
    assert loa.get_filename() == f"LOA-{reference}-signed.pdf"
    copy = pdf_text(tmp_path, loa.get_content())
    assert "Jane Doe" in copy
    assert ACCOUNT_NUMBER not in copy
    assert PIN not in copy
    assert ACCOUNT_NUMBER[-2:] in copy


def pdf_text(tmp_path, data: bytes) -> str:
    path = tmp_path / "copy.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_server_that_fails_twice_then_accepts_gets_the_email_once_with_one_message_id(
    tmp_path, smtp_server
):
    recorder = Recorder(refuse_first=2)
    app = mail_app(tmp_path, smtp_server(recorder))
    with app.app_context():
        add_request(queue=True)
        [team] = outbox("Porting Request")
        assert delivery.send_pending() == 0
        assert delivery.send_pending() == 0, "the back-off holds the next attempt"
        assert delivery.send_pending(now=later(1)) == 0
        assert delivery.send_pending(now=later(2)) == 2
        assert delivery.send_pending(now=later(5)) == 0
        db.session.refresh(team)
        assert (team.status, team.attempts) == ("sent", 2)
        message_id = team.message_id

    assert recorder.attempts.count(message_id) == 3
    delivered = recorder.messages("Porting Request")
    assert [m["Message-ID"] for _, m in delivered] == [message_id]


@pytest.mark.parametrize(
    ("reply", "runs", "status", "attempts"),
    [
        ("451 4.3.0 Mailbox busy", 5, "pending", 5),
        ("550 5.1.1 No such mailbox", 3, "failed", 3),
        ("554 5.7.1 Message refused", 2, "pending", 2),
    ],
)
def test_a_refused_email_is_retried_and_only_a_repeated_permanent_refusal_gives_up(
    tmp_path, smtp_server, reply, runs, status, attempts
):
    recorder = Recorder(refuse_first=99, reply=reply)
    app = mail_app(tmp_path, smtp_server(recorder))
    with app.app_context():
        add_request(queue=True)
        for run in range(runs):
            delivery.send_pending(now=later(2 * run))
        [team] = outbox("Porting Request")
        assert (team.status, team.attempts) == (status, attempts)
        assert team.last_error.startswith("SMTP")
    assert recorder.delivered == []


def test_a_server_that_is_down_leaves_the_email_queued_for_later(tmp_path):
    app = mail_app(tmp_path, free_port())
    with app.app_context():
        add_request(queue=True)
        assert delivery.send_pending() == 0
        rows = db.session.scalars(db.select(OutboxMessage)).all()
        assert [(row.status, row.attempts) for row in rows] == [("pending", 1)] * 2
        assert all(row.last_error.startswith("ConnectionRefusedError") for row in rows)
        assert all(row.next_attempt_at > utcnow() for row in rows)


def test_a_line_break_in_the_business_name_cannot_add_a_header(tmp_path, smtp_server):
    recorder = Recorder()
    app = mail_app(tmp_path, smtp_server(recorder))
    with app.app_context():
        add_request(
            business_name="Acme Plumbing\r\nBcc: attacker@evil.example",
            documents=(("bill\r\nX-Injected: yes.pdf", BILL_BYTES),),
            queue=True,
        )
        delivery.send_pending()

    [(envelope, message)] = recorder.messages("Porting Request")
    assert message["Subject"] == (
        "Porting Request – Acme Plumbing Bcc: attacker@evil.example"
    )
    assert message["Bcc"] is None
    assert envelope.rcpt_tos == [INBOX]
    filenames = [part.get_filename() for part in message.iter_attachments()]
    assert "billX-Injected: yes.pdf" in filenames
    assert all(part["X-Injected"] is None for part in message.walk())


def test_with_the_package_attachment_off_the_inbox_gets_a_staff_link_and_no_pin(
    tmp_path, smtp_server
):
    recorder = Recorder()
    app = mail_app(tmp_path, smtp_server(recorder), EMAIL_ATTACH_PACKAGE=False)
    with app.app_context():
        reference = add_request(queue=True).reference
        delivery.send_pending()

    [(envelope, message)] = recorder.messages("Porting Request")
    assert list(message.iter_attachments()) == []
    text = body_text(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    link = f"{BASE_URL}/staff/requests/{reference}"
    assert link in text and link in html
    assert "in the staff area only" in text
    for body in (text, html):
        assert f"PIN: {PIN}" not in body and "PIN: provided" in body.replace(
            "PIN</th><td>", "PIN: "
        )
    assert ACCOUNT_NUMBER.encode() not in envelope.content
    assert b"%PDF" not in envelope.content


def test_queueing_the_same_submission_twice_queues_each_email_once(tmp_path):
    app = build_app(make_config(tmp_path))
    with app.app_context():
        request = add_request(queue=True)
        delivery.queue_submission(request, [])
        db.session.commit()
        subjects = [row.subject for row in db.session.scalars(db.select(OutboxMessage))]
        assert subjects == [
            "Porting Request – Acme Plumbing",
            f"We've received your porting request {request.reference}",
        ]


def test_without_an_smtp_server_each_email_is_written_to_the_outbox_folder(tmp_path):
    app = build_app(make_config(tmp_path))
    with app.app_context():
        reference = add_request(queue=True).reference
        assert delivery.send_pending() == 2
        assert delivery.send_pending(now=later(3)) == 0

    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert [path.name for path in files] == ["000001.eml", "000002.eml"]
    subjects = [parsed(path.read_bytes())["Subject"] for path in files]
    assert subjects == [
        "Porting Request – Acme Plumbing",
        f"We've received your porting request {reference}",
    ]


def test_a_message_another_worker_is_sending_is_left_alone(tmp_path):
    app = build_app(make_config(tmp_path))
    with app.app_context():
        add_request(queue=True)
        now = utcnow()
        first = db.session.scalars(db.select(OutboxMessage.id)).first()
        assert delivery._claim(first, now)
        assert not delivery._claim(first, now)
        assert delivery.send_pending(now=now) == 1


def self_signed_certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_the_relay_is_used_over_starttls_with_login(tmp_path, smtp_server, monkeypatch):
    cert_path, key_path = self_signed_certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_path, key_path)
    # The client trusts the test certificate the way it trusts any CA: by the
    # OpenSSL default path, which this variable overrides.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    recorder, credentials = Recorder(), Credentials()
    port = smtp_server(
        recorder,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=credentials,
        auth_require_tls=True,
    )
    app = mail_app(
        tmp_path,
        port,
        MAIL_USE_TLS=True,
        MAIL_USERNAME="relay-user",
        MAIL_PASSWORD="relay-secret",
    )
    with app.app_context():
        add_request(queue=True)
        assert delivery.send_pending() == 2

    assert credentials.seen == [("relay-user", "relay-secret")] * 2
    assert len(recorder.messages("Porting Request – Acme Plumbing")) == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("march-bill.pdf", "march-bill.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\jane\\bill.pdf", "bill.pdf"),
        ("bill\r\n.pdf", "bill.pdf"),
        ('say "hi".png', "say hi.png"),
        ("", "document"),
        ("...", "document"),
    ],
)
def test_attachment_names_are_plain_file_names(name, expected):
    assert delivery.safe_filename(name, set()) == expected


def test_attachment_names_are_made_unique():
    taken: set[str] = set()
    names = [delivery.safe_filename("bill.pdf", taken) for _ in range(3)]
    assert names == ["bill.pdf", "2-bill.pdf", "3-bill.pdf"]


def test_a_corrected_version_is_queued_once_under_its_own_subjects(tmp_path):
    app = build_app(make_config(tmp_path))
    with app.app_context():
        request = add_request(queue=True)
        for _ in range(2):
            delivery.queue_submission(request, [], revision=1)
        db.session.commit()
        subjects = [row.subject for row in outbox()]
        reference = request.reference
    assert subjects == [
        "Porting Request – Acme Plumbing",
        f"We've received your porting request {reference}",
        "Porting Request – Acme Plumbing (corrected)",
        f"We've received your corrected porting request {reference}",
    ]


def test_a_chat_submission_reaches_the_inbox_with_the_real_letter_and_bill(
    tmp_path, smtp_server
):
    recorder = Recorder(refuse_first=2)
    app = mail_app(tmp_path, smtp_server(recorder))
    chat = Chat(app.test_client())
    run_to_review(chat)
    chat.choose("submit")
    signed_reply = chat.form(signature_name="Jane Doe", signature_consent=True)
    reference = signed_reply["reference"]
    assert recorder.delivered == [], "the first attempt right after signing failed"
    with app.app_context():
        delivery.send_pending(now=later(1))
        assert delivery.send_pending(now=later(2)) == 2
        assert delivery.send_pending(now=later(5)) == 0

    [(envelope, message)] = recorder.messages("Porting Request")
    assert message["Subject"] == "Porting Request – Acme Plumbing"
    assert envelope.rcpt_tos == [INBOX]
    assert recorder.attempts.count(message["Message-ID"]) == 3
    attachments = {
        part.get_filename(): part.get_content() for part in message.iter_attachments()
    }
    assert list(attachments) == [
        f"LOA-{reference}.pdf",
        "march-bill.pdf",
        f"summary-{reference}.json",
        f"summary-{reference}.html",
    ]
    signed = attachments[f"LOA-{reference}.pdf"]
    letter = " ".join(pdf_text(tmp_path, signed).split())
    for shown in [
        "ACME PLUMBING, LLC",
        "(415) 867-5309",
        ACCOUNT_NUMBER,
        "Signed by Jane Doe",
        f"SHA-256 of the signed pages {loa.signed_pages_digest(signed)}",
    ]:
        assert shown in letter
    assert attachments["march-bill.pdf"] == bill_pdf()
    summary = json.loads(attachments[f"summary-{reference}.json"])
    [bill] = summary["documents"]
    assert [(f["code"], f["ok"]) for f in bill["findings"]] == [
        ("numbers", True),
        ("name", True),
        ("address", True),
    ]
    assert bill["sha256"] == hashlib.sha256(bill_pdf()).hexdigest()
    html = attachments[f"summary-{reference}.html"]
    assert "<li>OK numbers: 1 of 1 numbers found</li>" in html
    assert "[ok] name: name_on_bill found" in body_text(message)

    [(envelope, confirmation)] = recorder.messages("We've received")
    assert envelope.rcpt_tos == [CUSTOMER_EMAIL]
    [copy] = list(confirmation.iter_attachments())
    copy_text = " ".join(pdf_text(tmp_path, copy.get_content()).split())
    assert "Signed by Jane Doe" in copy_text
    assert ACCOUNT_NUMBER not in copy_text


SITE = "https://help.rallycorp.example"


def test_without_a_configured_address_the_links_use_the_site_that_was_used(app):
    assert app.config["BASE_URL"] == ""
    served = app.wsgi_app
    app.wsgi_app = lambda environ, start_response: served(
        {**environ, "HTTP_HOST": "help.rallycorp.example", "wsgi.url_scheme": "https"},
        start_response,
    )
    chat = Chat(app.test_client())
    run_to_review(chat)
    chat.choose("submit")
    reference = chat.form(signature_name="Jane Doe", signature_consent=True)[
        "reference"
    ]
    staff = app.test_client()
    with app.app_context():
        add_staff_user()
    sign_in(staff)
    changed = change_status(staff, reference, "submitted", "rejected", reason="pin")
    assert changed.status_code == 302

    with app.app_context():
        [team] = outbox("Porting Request")
        [confirmation] = outbox("We've received")
        [update] = outbox("Your porting request")
        team_text = body_text(parsed(team.raw))
        team_html = parsed(team.raw).get_body(preferencelist=("html",)).get_content()
        confirmation_text = body_text(parsed(confirmation.raw))
        update_text = body_text(parsed(update.raw))
    assert f"Staff area: {SITE}/staff/requests/{reference}" in team_text
    assert f'href="{SITE}/staff/requests/{reference}"' in team_html
    assert f"check the status any time at {SITE}/status with" in confirmation_text
    assert f"check the details any time at {SITE}/status with" in update_text
    assert (
        f"open the chat at {SITE}/chat, or the step-by-step pages at {SITE}/port"
        in (update_text)
    )
    assert '(they work without JavaScript). Choose "Check a request"' in update_text


@pytest.mark.parametrize(
    ("unit", "address"),
    [
        ("", "Service address: 350 5th Ave, New York, NY 10118"),
        ("Floor 86", "Service address: 350 5th Ave Floor 86, New York, NY 10118"),
    ],
)
def test_the_summary_and_confirmation_read_without_stray_spaces_or_plurals(
    app, unit, address
):
    with app.app_context():
        request = add_request(queue=True)
        request.fields = {
            **request.fields,
            "service_street": "350 5th Ave",
            "service_unit": unit,
            "service_city": "New York",
            "service_state": "NY",
            "service_zip": "10118",
        }
        db.session.query(OutboxMessage).delete()
        delivery.queue_submission(request, [])
        db.session.commit()
        [team] = outbox("Porting Request")
        [confirmation] = outbox("We've received")
        team_text = body_text(parsed(team.raw))
        team_html = parsed(team.raw).get_body(preferencelist=("html",)).get_content()
        confirmation_text = body_text(parsed(confirmation.raw))
    assert address in team_text
    assert address.removeprefix("Service address: ") in team_html
    assert "request to move 1 number to" in confirmation_text
    assert "number(s)" not in confirmation_text
