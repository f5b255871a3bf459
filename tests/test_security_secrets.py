import email
import io
import re
import subprocess
from email import policy
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pypdf import PdfReader
from sqlalchemy import text

from assistant import create_app
from assistant.crypto import FieldCipher
from assistant.extensions import db
from assistant.keys_cli import keys_cli
from assistant.keys_cli import rotate_secrets
from assistant.models import Conversation
from assistant.models import Document
from assistant.models import PortRequest
from tests import docgen
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.staff_fixtures import FOC_DATE
from tests.staff_fixtures import add_staff_user
from tests.staff_fixtures import change_status
from tests.staff_fixtures import sign_in

ACCOUNT_NUMBER = PROVIDER["account_number"]
PIN = PROVIDER["pin"]
BTN = "(415) 555-0199"
SECRET_PROVIDER = {**PROVIDER, "btn": BTN}
# The secrets as they could appear anywhere: typed, digits only, or E.164.
SECRET_PATTERNS = {
    "account number": re.compile(r"(?<!\d)88123345009(?!\d)"),
    "PIN": re.compile(r"(?<!\d)4821(?!\d)"),
    "billing number": re.compile(r"(?<!\d)(1?4155550199)(?!\d)"),
}


def leaked(text_: str) -> list[str]:
    """Which secrets a text reveals, in any common way of writing them."""
    digits = re.sub(r"[\s().\-+]", "", text_)
    return sorted(
        name
        for name, pattern in SECRET_PATTERNS.items()
        if pattern.search(text_) or pattern.search(digits)
    )


def walk_to_review(
    chat: Chat, number: str = "(415) 867-5309", provider=SECRET_PROVIDER, **loa
) -> None:
    """The intake of tests.intake_data, with a billing number and LOA overrides."""
    chat.choose("port")
    chat.text(number)
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**provider)
    assert chat.state == "full_port", chat.last
    chat.choose("no")
    chat.form(**{**LOA_DETAILS, **loa})
    assert chat.state == "documents", chat.last
    bill = docgen.Bill(numbers=(number,), lines=("Mobile",))
    chat.upload("bill", docgen.text_pdf_bill(bill), "march-bill.pdf")
    chat.choose("skip")
    assert chat.state == "review", chat.last


def submit_intake(chat: Chat, number: str = "(415) 867-5309", **loa) -> str:
    """A whole intake, signed; returns the request's reference."""
    walk_to_review(chat, number, **loa)
    chat.choose("submit")
    reply = chat.form(signature_name="Jane Doe", signature_consent=True)
    assert chat.state == "submitted", reply
    return reply["reference"]


def raw_row(app, table: str, column: str, value) -> str:
    with app.app_context():
        row = db.session.execute(
            text(f"SELECT * FROM {table} WHERE {column} = :value"), {"value": value}
        ).one()
    return " ".join(
        value.decode("latin-1") if isinstance(value, bytes) else str(value)
        for value in row
    )


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    fields = " ".join(str(f.get("/V")) for f in (reader.get_fields() or {}).values())
    return fields + " " + " ".join(page.extract_text() for page in reader.pages)


def outbox_messages(app) -> list[email.message.EmailMessage]:
    folder = Path(app.config["OUTBOX_DIR"])
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]


def message_text(message) -> str:
    """Everything a reader of the e-mail can see, PDF attachments included."""
    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_content_type() == "application/pdf":
            parts.append(pdf_text(payload))
        else:
            parts.append(payload.decode("utf-8", "replace"))
    return "\n".join(parts)


def test_the_leak_finder_spots_every_way_of_writing_the_secrets():
    assert leaked("acct 88123345009, pin 4821, btn +14155550199") == [
        "PIN",
        "account number",
        "billing number",
    ]
    assert leaked("billing 415-555-0199") == ["billing number"]
    assert leaked("ref PR-48213 at 14:48:21.5, acct ••••09") == []


def test_secret_fields_are_stored_as_ciphertext_in_the_conversation_row(chat, app):
    chat.choose("port")
    chat.text("(415) 867-5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**SECRET_PROVIDER)

    row = raw_row(app, "conversation", "id", chat.id)
    assert leaked(row) == []
    with app.app_context():
        blob = db.session.get(Conversation, chat.id).secret_blob
        assert blob.startswith("gAAAAA")
        assert db.session.get(Conversation, chat.id).secrets == {
            "account_number": ACCOUNT_NUMBER,
            "pin": PIN,
            "btn": BTN,
        }


def test_secrets_of_a_provider_form_with_errors_are_not_kept_in_plain_drafts(chat, app):
    chat.choose("port")
    chat.text("(415) 867-5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")
    reply = chat.form(**{**SECRET_PROVIDER, "carrier": ""})

    assert reply["errors"]["carrier"]
    assert leaked(raw_row(app, "conversation", "id", chat.id)) == []


def test_replies_and_the_transcript_show_the_secrets_masked(chat, client):
    walk_to_review(chat)

    body = client.get(f"/api/conversations/{chat.id}", headers=chat.headers)
    assert leaked(body.get_data(as_text=True)) == []
    assert "88123345009" not in str(chat.last)


def test_secret_fields_are_stored_as_ciphertext_in_the_request_row(chat, app):
    reference = submit_intake(chat)

    row = raw_row(app, "port_request", "reference", reference)
    assert leaked(row.split("%PDF")[0]) == []
    with app.app_context():
        request = db.session.query(PortRequest).filter_by(reference=reference).one()
        assert request.secret_blob.startswith("gAAAAA")
        assert request.secrets["pin"] == PIN


def test_the_signed_loa_stored_at_rest_does_not_reveal_the_pin_or_account_number(
    chat, app
):
    reference = submit_intake(chat)

    with app.app_context():
        stored = db.session.execute(
            text("SELECT loa_pdf FROM port_request WHERE reference = :r"),
            {"r": reference},
        ).scalar_one()
    stored = bytes(stored)
    readable = pdf_text(stored) if stored.startswith(b"%PDF") else ""
    assert leaked(readable + stored.decode("latin-1")) == []


def test_customer_emails_never_carry_the_pin_account_or_billing_number(chat, app):
    submit_intake(chat)

    messages = outbox_messages(app)
    customer = [m for m in messages if LOA_DETAILS["contact_email"] in m["To"]]
    assert customer
    for message in customer:
        assert leaked(message_text(message)) == [], message["Subject"]


def test_with_the_package_not_attached_no_email_carries_a_secret(tmp_path):
    app = build_app(make_config(tmp_path, EMAIL_ATTACH_PACKAGE=False))
    submit_intake(Chat(app.test_client()))

    messages = outbox_messages(app)
    assert len(messages) >= 2
    for message in messages:
        assert leaked(message_text(message)) == [], message["Subject"]


def test_with_the_package_attached_the_team_email_shows_the_secrets_masked(chat, app):
    submit_intake(chat)

    team = [m for m in outbox_messages(app) if "Porting Request" in m["Subject"]]
    assert len(team) == 1
    body = team[0].get_body(preferencelist=("plain",)).get_content()
    assert leaked(body) == []


def rotation_app(tmp_path, keys: list[str]):
    return build_app(make_config(tmp_path, ENCRYPTION_KEYS=keys))


def test_rotation_re_encrypts_every_secret_under_the_newest_key(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app = rotation_app(tmp_path, [old])
    chats = [Chat(app.test_client()) for _ in range(3)]
    for chat in chats[1:]:
        walk_to_review(chat)
    reference = submit_intake(chats[0])
    with app.app_context():
        before = {c.id: c.secret_blob for c in db.session.query(Conversation)}

    app.config["ENCRYPTION_KEYS"] = [new, old]
    with app.app_context():
        # 3 conversations, 1 request with its signed LOA, and 3 uploaded bills.
        assert rotate_secrets(batch=2) == 3 + 2 + 3
        db.session.remove()

    newest_only = FieldCipher([new])
    with app.app_context():
        for conversation in db.session.query(Conversation):
            assert conversation.secret_blob != before[conversation.id]
            secrets = newest_only.decrypt(conversation.secret_blob)
            assert PIN in secrets and ACCOUNT_NUMBER in secrets
        request = db.session.query(PortRequest).filter_by(reference=reference).one()
        assert PIN in newest_only.decrypt(request.secret_blob)
        assert newest_only.decrypt_bytes(request.loa_pdf).startswith(b"%PDF")
        for document in db.session.query(Document):
            assert newest_only.decrypt_bytes(document.data).startswith(b"%PDF")
    app.config["ENCRYPTION_KEYS"] = [new]
    with app.app_context():
        assert db.session.get(Conversation, chats[1].id).secrets["pin"] == PIN


def test_secrets_written_under_an_older_key_still_read_before_rotation(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app = rotation_app(tmp_path, [old])
    chat = Chat(app.test_client())
    walk_to_review(chat)

    app.config["ENCRYPTION_KEYS"] = [new, old]
    with app.app_context():
        assert db.session.get(Conversation, chat.id).secrets["pin"] == PIN
    chat.choose("submit")
    with app.app_context():
        blob = db.session.get(Conversation, chat.id).secret_blob
        assert PIN in FieldCipher([new]).decrypt(blob)


def test_the_keys_commands_add_a_key_in_front_and_rotate_to_it(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSISTANT_ENCRYPTION_KEYS", raising=False)
    old = Fernet.generate_key().decode()
    app = rotation_app(tmp_path, [old])
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "encryption_keys").write_text(old + "\n")
    chat = Chat(app.test_client())
    walk_to_review(chat)
    runner = app.test_cli_runner()

    added = runner.invoke(keys_cli, ["add"])
    assert added.exit_code == 0, added.output
    keys = (tmp_path / "instance" / "encryption_keys").read_text().split()
    assert len(keys) == 2 and keys[1] == old
    assert (tmp_path / "instance" / "encryption_keys").stat().st_mode & 0o077 == 0

    app.config["ENCRYPTION_KEYS"] = keys
    rotated = runner.invoke(keys_cli, ["rotate"])
    assert rotated.exit_code == 0, rotated.output
    # The conversation's secrets and its uploaded bill.
    assert "Re-encrypted 2 secret(s) under the newest key" in rotated.output
    with app.app_context():
        blob = db.session.get(Conversation, chat.id).secret_blob
    assert PIN in FieldCipher(keys[:1]).decrypt(blob)
    with pytest.raises(RuntimeError):
        FieldCipher([old]).decrypt(blob)


def test_an_app_without_the_key_cannot_read_the_secrets(chat, app):
    walk_to_review(chat)

    with app.app_context():
        blob = db.session.get(Conversation, chat.id).secret_blob
    with pytest.raises(RuntimeError, match="could not be decrypted"):
        FieldCipher([Fernet.generate_key().decode()]).decrypt(blob)


STATUS_WALK = [
    ("submitted", "rejected", {"reason": "pin"}),
    ("rejected", "in_review", {}),
    ("in_review", "sent_to_carrier", {}),
    ("sent_to_carrier", "foc_confirmed", {"foc_date": FOC_DATE}),
    ("foc_confirmed", "completed", {}),
]


def test_every_status_email_to_the_customer_leaves_the_secrets_out(chat, app):
    reference = submit_intake(chat)
    with app.app_context():
        add_staff_user()
    staff = app.test_client()
    sign_in(staff)

    for current, status, values in STATUS_WALK:
        response = change_status(staff, reference, current, status, **values)
        assert response.status_code == 302, (status, response.text[:300])

    customer = [
        message
        for message in outbox_messages(app)
        if LOA_DETAILS["contact_email"] in message["To"]
    ]
    # The confirmation with the signed LOA, then one e-mail per status change.
    assert len(customer) == 1 + len(STATUS_WALK)
    for message in customer:
        assert leaked(message_text(message)) == [], message["Subject"]


def test_set_up_generates_the_keys_into_the_instance_folder_once(tmp_path, monkeypatch):
    for name in ("ENCRYPTION_KEYS", "SECRET_KEY"):
        monkeypatch.delenv(f"ASSISTANT_{name}", raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setenv("ASSISTANT_INSTANCE_PATH", str(instance))
    config = make_config(tmp_path)
    del config["ENCRYPTION_KEYS"], config["SECRET_KEY"]
    unset = create_app(config)

    # `flask --app wsgi setup` runs inside an app context, as here.
    key_file, secret_file = instance / "encryption_keys", instance / "secret_key"
    with unset.app_context():
        first = unset.test_cli_runner().invoke(args=["setup"])
        written = key_file.read_text(), secret_file.read_text()
        second = unset.test_cli_runner().invoke(args=["setup"])

    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert (key_file.read_text(), secret_file.read_text()) == written
    for path in (key_file, secret_file):
        assert path.stat().st_mode & 0o077 == 0, path.name
    [key] = key_file.read_text().split()
    app = create_app(config)
    assert app.config["ENCRYPTION_KEYS"] == [key]
    assert app.config["SECRET_KEY"] == secret_file.read_text().strip()
    chat = Chat(app.test_client())
    walk_to_review(chat)
    with app.app_context():
        blob = db.session.get(Conversation, chat.id).secret_blob
    assert PIN in FieldCipher([key]).decrypt(blob)


def test_uploaded_documents_are_stored_encrypted(chat, app):
    walk_to_review(chat)

    with app.app_context():
        [stored] = db.session.execute(text("SELECT data FROM document")).scalars()
    stored = bytes(stored)
    assert stored.startswith(b"gAAAAA")
    assert b"%PDF" not in stored and b"Monthly statement" not in stored
    with app.app_context():
        [document] = db.session.query(Document)
        assert document.content.startswith(b"%PDF")


def pdftotext(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "attached.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.mark.parametrize(
    "pin", ["4821", "739164", "90817263", "A7Q2K9"], ids=["4", "6", "8", "letters"]
)
def test_the_signers_emailed_loa_shows_no_digit_of_the_pin_in_pdftotext(
    chat, app, tmp_path, pin
):
    walk_to_review(chat, provider={**SECRET_PROVIDER, "pin": pin})
    chat.choose("submit")
    chat.form(signature_name="Jane Doe", signature_consent=True)
    assert chat.state == "submitted", chat.last

    customer = [
        m for m in outbox_messages(app) if LOA_DETAILS["contact_email"] in m["To"]
    ]
    attached = [
        part.get_payload(decode=True)
        for part in customer[0].iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]
    assert len(attached) == 1
    shown = pdftotext(attached[0], tmp_path)
    body = customer[0].get_body(preferencelist=("plain",)).get_content()
    lines = [line for line in shown.splitlines() if line.strip()]
    below_label = lines[[i for i, x in enumerate(lines) if "PIN or" in x][0] + 1]
    assert re.split(r"\s{2,}", below_label.strip()) == [
        "••••••",
        "••••••••••••99",
        "Mobile",
    ]
    assert "•••••••••09" in shown
    for text_ in (shown, body):
        assert ACCOUNT_NUMBER not in re.sub(r"\s", "", text_)
        assert pin not in text_
        assert "•" + pin[-2:] not in text_


@pytest.mark.parametrize("pin", ["123456", "98765432", "4821"])
def test_no_digit_of_a_pin_is_shown_back_while_the_account_shows_its_last_two(
    chat, pin
):
    chat.choose("port")
    chat.text("(415) 867-5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**{**PROVIDER, "pin": pin})
    chat.choose("back")

    shown = {f["name"]: f["value"] for f in chat.last["input"]["fields"]}
    transcript = chat.client.get(
        f"/api/conversations/{chat.id}", headers=chat.headers
    ).get_json()["transcript"]
    echoed = next(
        m["text"] for m in transcript if m["role"] == "user" and "PIN" in m["text"]
    )

    assert shown["pin"] == "•" * len(pin)
    assert shown["account_number"].endswith(PROVIDER["account_number"][-2:])
    assert f"Account or transfer PIN: {'•' * len(pin)}" in echoed
    assert pin not in echoed and pin[-2:] not in echoed.split("PIN: ")[1]
