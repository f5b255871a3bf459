from datetime import UTC
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from assistant.extensions import db
from assistant.models import OutboxMessage
from assistant.models import PortRequest
from assistant.submission import request_documents
from assistant.submission import submitted_lines
from tests.conftest import Chat
from tests.intake_data import LOA_DETAILS
from tests.intake_data import bill_pdf
from tests.intake_data import run_to_documents
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


def correct_from_a_new_chat(app, client) -> tuple[str, Chat]:
    reference = submit(Chat(client))
    reject(app, reference, "service_address", "ZIP on file is 94107")
    chat = Chat(client)
    chat.choose("status")
    chat.form(reference=reference, contact_email=LOA_DETAILS["contact_email"])
    chat.choose("resubmit")
    assert chat.state == "review"
    return reference, chat


def test_the_correction_review_lists_the_documents_that_go_with_the_request(
    app, client
):
    _reference, chat = correct_from_a_new_chat(app, client)

    review = chat.said()
    assert "Documents: none" not in review
    assert (
        "Documents: march-bill.pdf (sent before; they go with the corrected request)"
    ) in review
    chat.choose("edit_loa")
    chat.form(**{**LOA_DETAILS, "service_zip": "94107"})
    assert chat.state == "review"
    assert "Documents: none" not in chat.said()
    assert "march-bill.pdf (sent before" in chat.said()


def test_a_document_added_while_correcting_joins_the_corrected_request(app, client):
    reference, chat = correct_from_a_new_chat(app, client)

    chat.choose("edit_documents")
    assert chat.state == "documents", chat.last
    chat.upload("bill", bill_pdf(), "april-bill.pdf")
    assert chat.state == "csr", chat.last
    chat.choose("skip")
    assert chat.state == "review", chat.last
    assert (
        "Documents: march-bill.pdf (sent before; they go with the corrected "
        "request); april-bill.pdf (new)"
    ) in chat.said()
    chat.choose("submit")
    chat.form(signature_name="Jane Doe", signature_consent=True)

    with app.app_context():
        request = db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        )
        assert [d.filename for d in request_documents(request)] == [
            "march-bill.pdf",
            "april-bill.pdf",
        ]
        team = db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.subject == "Porting Request – Acme Plumbing (corrected)"
            )
        )
        text = team.raw.decode("utf-8", "replace")
    assert "- march-bill.pdf (bill" in text
    assert "- april-bill.pdf (bill" in text


FIRST_SIGNED = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
SIGNED_AGAIN = datetime(2026, 12, 14, 9, 5, tzinfo=UTC)


def test_submitting_and_resubmitting_read_the_steps_clock(app, client):
    app.config["NOW"] = lambda: FIRST_SIGNED
    reference = submit(Chat(client))
    with app.app_context():
        request = db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        )
        assert request.signed_at == FIRST_SIGNED.replace(tzinfo=None)
    reject(app, reference, "service_address", "ZIP on file is 94107")

    app.config["NOW"] = lambda: SIGNED_AGAIN
    chat = Chat(client)
    chat.choose("status")
    chat.form(reference=reference, contact_email=LOA_DETAILS["contact_email"])
    chat.choose("resubmit")
    chat.choose("submit")
    chat.form(signature_name="Jane Doe", signature_consent=True)

    with app.app_context():
        request = db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        )
        assert request.signed_at == SIGNED_AGAIN.replace(tzinfo=None)
        assert request.updated_at == SIGNED_AGAIN.replace(tzinfo=None)


def test_the_confirmation_names_the_numbers_left_out_and_points_to_the_review(app):
    slots = {
        "not_ported": [
            {"e164": "+14155550123", "code": "inactive", "reason": "Not in service"},
            {"e164": "+14155550124", "code": "inactive", "reason": "Not in service"},
        ]
    }
    request = PortRequest(
        reference="PR-TESTTEST", number_type="mobile", contact_email="a@b.example"
    )
    with app.test_request_context():
        lines = submitted_lines(request, FIRST_SIGNED, slots)

    assert lines[-1] == (
        "2 numbers couldn't be included and stay with your current provider: "
        "(415) 555-0123, (415) 555-0124. The review above says why and what you "
        "can do instead."
    )
    assert not any("listed in your confirmation" in line for line in lines)


def test_a_corrected_name_is_checked_against_the_bill_again(app, client):
    chat = Chat(client)
    other_name = {"name_on_bill": "Zed Holdings LLC", "business_name": "Zed Holdings"}
    run_to_documents(chat, **other_name)
    chat.upload("bill", bill_pdf(), "march-bill.pdf")
    # The bill names Acme: the customer is told, and goes on anyway.
    assert "couldn't find the name “Zed Holdings LLC”" in chat.said()
    chat.choose("done")
    chat.choose("skip")
    chat.choose("submit")
    reference = chat.form(signature_name="Jane Doe", signature_consent=True)[
        "reference"
    ]
    assert not name_check(app, reference)["ok"]
    reject(app, reference, "name_mismatch", "Name on the account is ACME PLUMBING")

    fixing = Chat(client)
    fixing.choose("status")
    fixing.form(reference=reference, contact_email=LOA_DETAILS["contact_email"])
    fixing.choose("resubmit")
    fixing.choose("edit_loa")
    fixing.form(**LOA_DETAILS)
    fixing.choose("submit")
    fixing.form(signature_name="Jane Doe", signature_consent=True)

    assert name_check(app, reference)["ok"]


def name_check(app, reference: str) -> dict:
    with app.app_context():
        request = db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        )
        (bill,) = request_documents(request)
        return next(f for f in bill.findings if f["code"] == "name")
