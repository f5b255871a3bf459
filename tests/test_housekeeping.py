import hashlib
from datetime import timedelta

import pyotp
import pytest
from werkzeug.security import check_password_hash

from assistant.extensions import db
from assistant.housekeeping import abandon_idle
from assistant.housekeeping import purge_expired
from assistant.housekeeping import requests_cli
from assistant.housekeeping import staff_cli
from assistant.models import AuditEvent
from assistant.models import Conversation
from assistant.models import Document
from assistant.models import PortRequest
from assistant.models import StaffUser
from assistant.models import hash_token
from assistant.models import utcnow
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.staff_fixtures import add_request

PASSWORD = "a long enough password"


def staff_add(app, *args, password: str = PASSWORD):
    runner = app.test_cli_runner()
    return runner.invoke(staff_cli, ["add", *args], input=f"{password}\n{password}\n")


def test_staff_add_asks_for_a_password_and_stores_only_its_hash(app):
    result = staff_add(app, "Porter@RallyCorp.example")
    assert result.exit_code == 0, result.output
    assert "Added staff account porter@rallycorp.example." in result.output
    with app.app_context():
        user = db.session.scalar(db.select(StaffUser))
        assert user.email == "porter@rallycorp.example"
        assert user.password_hash != PASSWORD
        assert check_password_hash(user.password_hash, PASSWORD)
        assert user.totp_secret is None


def test_staff_add_with_otp_prints_the_secret_for_an_authenticator_app(app):
    result = staff_add(app, "porter@rallycorp.example", "--otp")
    assert result.exit_code == 0, result.output
    with app.app_context():
        secret = db.session.scalar(db.select(StaffUser.totp_secret))
    assert len(secret) == 32
    assert secret in result.output
    assert "otpauth://totp/Rally%20Corp%20porting:porter%40rallycorp.example" in (
        result.output
    )
    assert pyotp.TOTP(secret).verify(pyotp.TOTP(secret).now())


@pytest.mark.parametrize(
    ("existing", "password", "message"),
    [
        (False, "short", "The password needs at least 12 characters."),
        (
            True,
            PASSWORD,
            "A staff account for porter@rallycorp.example already exists.",
        ),
    ],
)
def test_staff_add_refuses_a_short_password_or_a_second_account(
    app, existing, password, message
):
    if existing:
        assert staff_add(app, "porter@rallycorp.example").exit_code == 0
    result = staff_add(app, "PORTER@rallycorp.example", password=password)
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count(StaffUser.id)))
    assert count == (1 if existing else 0)


def add_conversation(*, idle_hours: float, abandoned_hours: float | None = None):
    now = utcnow()
    conversation = Conversation(
        token_hash=hash_token("token"),
        state="provider",
        slots={"fields": {"business_name": "Acme Plumbing"}},
        transcript=[],
        updated_at=now - timedelta(hours=idle_hours),
        abandoned_at=(
            None if abandoned_hours is None else now - timedelta(hours=abandoned_hours)
        ),
    )
    conversation.secrets = {"account_number": "88123345009", "pin": "4821"}
    db.session.add(conversation)
    db.session.flush()
    db.session.add(
        Document(
            conversation_id=conversation.id,
            kind="bill",
            filename="bill.pdf",
            media_type="application/pdf",
            size=4,
            sha256=hashlib.sha256(b"%PDF").hexdigest(),
            data=b"%PDF",
        )
    )
    db.session.commit()
    return conversation.id


def test_abandon_marks_only_idle_conversations_that_never_submitted(app):
    with app.app_context():
        idle = add_conversation(idle_hours=73)
        recent = add_conversation(idle_hours=71)
        already = add_conversation(idle_hours=500, abandoned_hours=400)
        submitted = add_request(created_at=utcnow() - timedelta(days=30))
        db.session.execute(
            db.update(Conversation)
            .where(Conversation.id == submitted.conversation_id)
            .values(updated_at=utcnow() - timedelta(days=30))
        )
        db.session.commit()

        result = app.test_cli_runner().invoke(requests_cli, ["abandon"])
        assert result.output == "abandoned 1\n"
        marked = {
            c.id: c.abandoned_at for c in db.session.scalars(db.select(Conversation))
        }
        assert marked[idle] is not None
        assert marked[recent] is None
        assert marked[submitted.conversation_id] is None
        assert utcnow() - marked[already] > timedelta(hours=399)
        assert abandon_idle() == 0


def old_request(status: str, days: int) -> PortRequest:
    request = add_request(status=status)
    request.updated_at = utcnow() - timedelta(days=days)
    db.session.execute(
        db.update(Conversation)
        .where(Conversation.id == request.conversation_id)
        .values(updated_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()
    return request


def kept(request_id: int) -> dict:
    request = db.session.get(PortRequest, request_id)
    documents = db.session.scalar(
        db.select(db.func.count(Document.id)).where(
            Document.conversation_id == request.conversation_id
        )
    )
    loa = db.session.scalar(
        db.select(PortRequest.loa_pdf).where(PortRequest.id == request_id)
    )
    return {
        "secrets": bool(request.secrets),
        "loa": loa is not None,
        "documents": documents,
        "conversation_secrets": bool(
            db.session.get(Conversation, request.conversation_id).secret_blob
        ),
    }


@pytest.mark.parametrize(
    ("status", "days", "purged"),
    [
        ("completed", 181, True),
        ("cancelled", 400, True),
        ("completed", 179, False),
        ("rejected", 400, False),
        ("submitted", 400, False),
    ],
)
def test_purge_removes_secrets_loa_and_documents_of_old_closed_requests(
    app, status, days, purged
):
    with app.app_context():
        request = old_request(status, days)
        db.session.execute(
            db.update(Conversation)
            .where(Conversation.id == request.conversation_id)
            .values(secret_blob=request.secret_blob)
        )
        db.session.commit()

        counts = purge_expired()

        kept_all = not purged
        assert kept(request.id) == {
            "secrets": kept_all,
            "loa": kept_all,
            "documents": int(kept_all),
            "conversation_secrets": kept_all,
        }
        assert counts == dict.fromkeys(
            ("requests", "conversations", "documents"), int(purged)
        )
        audits = db.session.scalars(db.select(AuditEvent)).all()
        assert [(a.action, a.actor) for a in audits] == (
            [("purge", "housekeeping")] if purged else []
        )
        assert db.session.get(PortRequest, request.id).business_name == "Acme Plumbing"


def test_purge_clears_abandoned_conversations_only_past_the_retention_age(app):
    with app.app_context():
        old = add_conversation(idle_hours=24 * 200, abandoned_hours=24 * 190)
        young = add_conversation(idle_hours=24 * 100, abandoned_hours=24 * 90)
        touched = add_conversation(idle_hours=1, abandoned_hours=24 * 190)

        result = app.test_cli_runner().invoke(requests_cli, ["purge"])
        assert result.output == (
            "purged 0 request(s), 1 conversation(s), 1 document(s)\n"
        )
        for conversation_id, cleared in ((old, True), (young, False), (touched, False)):
            conversation = db.session.get(Conversation, conversation_id)
            documents = db.session.scalar(
                db.select(db.func.count(Document.id)).where(
                    Document.conversation_id == conversation_id
                )
            )
            assert (conversation.secret_blob is None) == cleared
            assert documents == (0 if cleared else 1)
        assert purge_expired() == {"requests": 0, "conversations": 0, "documents": 0}


@pytest.mark.parametrize(
    ("idle_hours", "abandoned"), [(1.5, False), (2.5, True), (73, True)]
)
def test_the_idle_time_before_a_conversation_is_abandoned_is_configurable(
    tmp_path, idle_hours, abandoned
):
    app = build_app(make_config(tmp_path, ABANDON_AFTER_HOURS=2))
    with app.app_context():
        conversation_id = add_conversation(idle_hours=idle_hours)

        assert abandon_idle() == int(abandoned)
        marked = db.session.get(Conversation, conversation_id).abandoned_at
        assert (marked is not None) == abandoned


@pytest.mark.parametrize(("days", "purged"), [(29, False), (31, True)])
def test_the_retention_age_is_configurable(tmp_path, days, purged):
    app = build_app(make_config(tmp_path, RETENTION_DAYS=30))
    with app.app_context():
        request = old_request("completed", days)
        old = add_conversation(idle_hours=24 * days + 1, abandoned_hours=24 * days)

        counts = purge_expired()

        assert counts == {
            "requests": int(purged),
            "conversations": int(purged),
            "documents": 2 * int(purged),
        }
        assert bool(db.session.get(PortRequest, request.id).secrets) is not purged
        assert (db.session.get(Conversation, old).secret_blob is None) is purged


def test_a_customer_who_came_back_and_left_again_is_abandoned_anew(app):
    with app.app_context():
        returned = add_conversation(idle_hours=100, abandoned_hours=400)
        still_away = add_conversation(idle_hours=500, abandoned_hours=400)

        assert abandon_idle() == 1
        marked = {
            c.id: c.abandoned_at for c in db.session.scalars(db.select(Conversation))
        }
        assert utcnow() - marked[returned] < timedelta(minutes=1)
        assert utcnow() - marked[still_away] > timedelta(hours=399)
        assert abandon_idle() == 0


@pytest.mark.parametrize("arrival", ["message", "upload"])
def test_a_message_or_upload_clears_the_abandoned_mark(app, client, arrival):
    chat = Chat(client)
    chat.choose("port")
    with app.app_context():
        assert abandon_idle(now=utcnow() + timedelta(days=30)) == 1
        assert db.session.get(Conversation, chat.id).abandoned_at is not None

    if arrival == "message":
        chat.text("(415) 867-5309")
    else:
        chat.upload("number_list", b"number\n(415) 867-5309\n", "numbers.csv")

    with app.app_context():
        assert db.session.get(Conversation, chat.id).abandoned_at is None
