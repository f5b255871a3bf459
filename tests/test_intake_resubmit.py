from datetime import UTC
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from assistant.extensions import db
from assistant.models import OutboxMessage
from assistant.models import PortRequest
from tests.conftest import Chat
from tests.intake_data import LOA_DETAILS
from tests.intake_data import run_to_review


def submit(chat) -> str:
    run_to_review(chat)
    chat.choose("submit")
    return chat.form(signature_name="Jane Doe", signature_consent=True)["reference"]


def reject(app, reference: str, code: str, note: str) -> None:
    with app.app_context():
        request = db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        )
        request.status, request.rejection_code, request.rejection_note = (
            "rejected",
            code,
            note,
        )
        db.session.commit()


def test_a_rejected_request_is_fixed_and_sent_again_from_a_new_chat(app, client):
    reference = submit(Chat(client))
    reject(app, reference, "service_address", "ZIP on file is 94107")

    chat = Chat(client)
    chat.choose("status")
    chat.form(reference=reference, contact_email=LOA_DETAILS["contact_email"])
    said = chat.said()
    assert "Needs a correction" in said
    assert "service address" in said and "ZIP on file is 94107" in said
    assert chat.state == "correction"

    chat.choose("resubmit")
    assert chat.state == "review"
    chat.choose("edit_loa")
    fields = {f["name"]: f["value"] for f in chat.last["input"]["fields"]}
    assert fields["service_zip"] == "94103"
    chat.form(**{**LOA_DETAILS, "service_zip": "94107"})
    assert chat.state == "review"
    assert "94107" in chat.said()
    chat.choose("submit")
    again = chat.form(signature_name="Jane Doe", signature_consent=True)
    assert again["reference"] == reference

    with app.app_context():
        request = db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        )
        assert request.status == "submitted"
        assert request.fields["service_zip"] == "94107"
        assert request.rejection_code is None
        assert [e.status for e in request.events] == ["submitted", "submitted"]
        subjects = [m.subject for m in db.session.scalars(select(OutboxMessage))]
    assert subjects.count("Porting Request – Acme Plumbing") == 1
    assert subjects.count("Porting Request – Acme Plumbing (corrected)") == 1


def test_a_request_that_is_not_rejected_offers_no_correction(app, client):
    reference = submit(Chat(client))
    chat = Chat(client)
    chat.choose("status")
    chat.form(reference=reference, contact_email=LOA_DETAILS["contact_email"])
    assert chat.state == "welcome"
    assert "Submitted" in chat.said()


def test_a_signature_older_than_30_days_is_asked_for_again(app, client):
    reference = submit(Chat(client))
    reject(app, reference, "service_address", "ZIP on file is 94107")
    with app.app_context():
        request = db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        )
        old = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=31)
        request.signed_at = old
        db.session.commit()

    chat = Chat(client)
    chat.choose("status")
    chat.form(reference=reference, contact_email=LOA_DETAILS["contact_email"])
    chat.choose("resubmit")
    chat.choose("submit")
    assert chat.state == "sign"
    assert "By typing your full name and ticking the box" in chat.said()
    chat.form(signature_name="Jane Doe", signature_consent=True)

    with app.app_context():
        request = db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        )
        assert request.signed_at > old + timedelta(days=30)
