from markupsafe import escape

from assistant import delivery
from assistant.extensions import db
from assistant.lifecycle import REASON_BY_CODE
from assistant.models import PortRequest
from tests.intake_data import PROVIDER
from tests.intake_data import run_to_review
from tests.staff_fixtures import CUSTOMER_EMAIL
from tests.staff_fixtures import STAFF_EMAIL
from tests.staff_fixtures import add_staff_user
from tests.staff_fixtures import body_text
from tests.staff_fixtures import change_status
from tests.staff_fixtures import look_up
from tests.staff_fixtures import parsed
from tests.staff_fixtures import sign_in

NOTE = "The carrier says the PIN expired; ask for a new transfer PIN."


def submit(chat) -> str:
    run_to_review(chat)
    chat.choose("submit")
    reply = chat.form(signature_name="Jane Doe", signature_consent=True)
    assert chat.state == "submitted", reply
    return reply["reference"]


def emails(tmp_path) -> list:
    return [parsed(path.read_bytes()) for path in sorted(tmp_path.glob("outbox/*.eml"))]


def test_a_rejected_request_reaches_the_customer_and_comes_back_corrected(
    app, client, chat, tmp_path
):
    reference = submit(chat)
    assert [m["Subject"] for m in emails(tmp_path)] == [
        "Porting Request – Acme Plumbing",
        f"We've received your porting request {reference}",
    ]

    # The porting team rejects it with the carrier's reason.
    with app.app_context():
        add_staff_user()
    staff = app.test_client()
    sign_in(staff)
    assert reference in staff.get("/staff/?q=acme").text
    changed = change_status(
        staff, reference, "submitted", "rejected", reason="pin", note=NOTE
    )
    assert changed.status_code == 302
    guidance = REASON_BY_CODE["pin"].guidance

    # The customer sees the reason on the status page and in the e-mail.
    page = look_up(client, reference).text
    assert "Status: <strong>Needs a correction</strong>" in page
    assert str(escape(guidance)) in page and NOTE in page
    update = emails(tmp_path)[-1]
    assert update["Subject"] == f"Your porting request {reference}: needs a correction"
    assert update["To"] == CUSTOMER_EMAIL
    assert guidance in body_text(update) and NOTE in body_text(update)

    # In the chat, the status look-up says the same and offers the fix.
    chat.choose("status")
    chat.form(reference=reference, contact_email=CUSTOMER_EMAIL)
    assert f"What to fix: {guidance}" in chat.said()
    assert chat.state == "correction"
    chat.choose("resubmit")
    chat.choose("edit_provider")
    chat.form(**{**PROVIDER, "pin": "9157"})
    chat.choose("no")
    assert chat.state == "review", chat.last
    chat.choose("submit")
    again = chat.form(signature_name="Jane Doe", signature_consent=True)
    assert again["reference"] == reference

    with app.app_context():
        request = db.session.scalar(db.select(PortRequest))
        assert (request.status, request.rejection_code) == ("submitted", None)
        assert request.secrets["pin"] == "9157"
        assert [(e.status, e.reason_code, e.actor) for e in request.events] == [
            ("submitted", None, "customer"),
            ("rejected", "pin", STAFF_EMAIL),
            ("submitted", None, "customer"),
        ]
        assert delivery.send_pending() == 0
    team, customer = emails(tmp_path)[-2:]
    assert team["Subject"] == "Porting Request – Acme Plumbing (corrected)"
    assert "Corrected by the customer after a rejection" in body_text(team)
    assert customer["Subject"] == (
        f"We've received your corrected porting request {reference}"
    )
    assert "Status: <strong>Submitted</strong>" in look_up(client, reference).text
