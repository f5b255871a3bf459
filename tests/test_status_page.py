from datetime import timedelta

import pytest

from assistant.extensions import db
from assistant.lifecycle import REASON_BY_CODE
from assistant.lifecycle import STATUS_NEXT
from assistant.models import PortRequest
from assistant.models import StatusEvent
from assistant.models import utcnow
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.staff_fixtures import CUSTOMER_EMAIL
from tests.staff_fixtures import add_request
from tests.staff_fixtures import csrf_token
from tests.staff_fixtures import look_up
from tests.test_intake_resubmit import reject
from tests.test_intake_resubmit import submit
from tests.test_wizard import Wizard

NOT_FOUND = (
    "We couldn&#39;t find a request with that reference and e-mail address. Please "
    "check both against your confirmation e-mail and try again."
)


def move(reference: str, status: str, note: str | None = None, **values) -> None:
    request = db.session.scalar(
        db.select(PortRequest).where(PortRequest.reference == reference)
    )
    request.status = status
    for name, value in values.items():
        setattr(request, name, value)
    request.events.append(
        StatusEvent(
            status=status,
            actor="porter@rallycorp.example",
            reason_code=values.get("rejection_code"),
            foc_date=values.get("foc_date"),
            note=values.get("rejection_note") or note,
            created_at=utcnow() + timedelta(days=1),
        )
    )
    db.session.commit()


@pytest.fixture
def reference(app):
    with app.app_context():
        return add_request().reference


def test_the_status_page_asks_for_the_reference_and_email(client):
    response = client.get("/status")
    assert response.status_code == 200
    assert '<label for="reference">Reference</label>' in response.text
    assert '<label for="contact_email">E-mail address</label>' in response.text


def test_a_submitted_request_shows_its_status_what_to_do_and_its_history(
    client, reference
):
    response = look_up(client, reference)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.text
    assert f"Your porting request {reference}" in page
    assert "Status: <strong>Submitted</strong>" in page
    assert STATUS_NEXT["submitted"].replace("'", "&#39;") in page
    assert "(415) 867-5309" in page
    assert f"{utcnow():%B %-d, %Y}</time> – Submitted</li>" in page
    assert "porter@" not in page and "88123345009" not in page


def test_a_rejection_shows_what_to_fix_the_note_and_how_to_resubmit(
    app, client, reference
):
    with app.app_context():
        move(
            reference,
            "rejected",
            rejection_code="service_address",
            rejection_note="The carrier has <b>Suite 40</b>, not Suite 4.",
        )
    page = look_up(client, reference).text
    assert "Status: <strong>Needs a correction</strong>" in page
    assert REASON_BY_CODE["service_address"].guidance in page
    assert "Note from our team:</strong> The carrier has &lt;b&gt;Suite 40" in page
    assert '<a href="/chat">Open the chat</a>, or use <a href="/port">' in page
    assert "which work without JavaScript. Choose “Check a request”." in page
    assert f"Enter {reference} and your e-mail address" in page
    assert "Your reference stays the same." in page
    assert page.index("</time> – Submitted") < page.index(
        "</time> – Needs a correction"
    )


def test_a_note_on_any_change_shows_in_the_history(app, client, reference):
    with app.app_context():
        move(reference, "in_review", note="We asked your provider for the CSR.")
    page = look_up(client, reference).text
    assert (
        "</time> – In review by our porting team. Note from our team: We asked your "
        "provider for the CSR.</li>"
    ) in page


def test_a_confirmed_port_shows_the_date(app, client, reference):
    with app.app_context():
        move(reference, "foc_confirmed", foc_date="2027-01-15")
    page = look_up(client, reference).text
    assert (
        "Status: <strong>Port date confirmed</strong>. Port date: Friday, January 15, "
        "2027</p>"
    ) in page
    assert "</time> – Port date confirmed. Port date: Friday, January 15, 2027" in page
    assert "What to fix" not in page


@pytest.mark.parametrize(
    ("reference_of", "email"),
    [
        ("theirs", "someone.else@example.com"),
        ("theirs", "jane.doe@acmeplumbing.co"),
        ("other", CUSTOMER_EMAIL),
        ("unknown", CUSTOMER_EMAIL),
    ],
)
def test_a_wrong_reference_or_email_gets_the_same_not_found_sentence(
    app, client, reference, reference_of, email
):
    with app.app_context():
        other = add_request(
            business_name="Bayside Dental", contact_email="office@bayside.example"
        ).reference
    asked = {"theirs": reference, "other": other, "unknown": "PR-ZZZZZZZZ"}
    response = look_up(client, asked[reference_of], email)
    assert response.status_code == 404
    assert NOT_FOUND in response.text
    assert "Status:" not in response.text


def test_the_reference_and_email_are_matched_regardless_of_case_and_spaces(
    client, reference
):
    response = look_up(client, f"  {reference.lower()} ", CUSTOMER_EMAIL.upper())
    assert response.status_code == 200
    assert f"Your porting request {reference}" in response.text


@pytest.mark.parametrize(
    ("reference", "email", "message"),
    [
        ("", CUSTOMER_EMAIL, "Please enter the reference from your confirmation."),
        ("PR-ABCDEFGH", "", "Please enter the e-mail address you used."),
        (
            "PR-ABCDEFGH" * 3,
            CUSTOMER_EMAIL,
            "Please keep the reference to 20 characters or fewer.",
        ),
    ],
)
def test_an_incomplete_look_up_says_what_is_missing(client, reference, email, message):
    response = look_up(client, reference, email)
    assert response.status_code == 400
    assert message in response.text


def test_status_look_ups_are_rate_limited_with_a_time_to_wait(tmp_path):
    app = build_app(
        make_config(
            tmp_path,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            RATE_STATUS="2 per minute",
        )
    )
    client = app.test_client()
    statuses = [look_up(client, f"PR-GUESS00{n}").status_code for n in range(3)]
    assert statuses == [404, 404, 429]
    blocked = look_up(client, "PR-GUESS009")
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Please wait" in blocked.text
    assert client.get("/status").status_code == 200


def test_the_status_form_needs_its_csrf_token(tmp_path):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        reference = add_request().reference
    client = app.test_client()
    assert look_up(client, reference).status_code == 400
    token = csrf_token(client.get("/status").data)
    response = client.post(
        "/status",
        data={
            "reference": reference,
            "contact_email": CUSTOMER_EMAIL,
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    assert "Status: <strong>Submitted</strong>" in response.text


@pytest.mark.parametrize(
    ("asked", "email", "found"),
    [
        ("mine", CUSTOMER_EMAIL, True),
        ("theirs", CUSTOMER_EMAIL, False),
        ("mine", "office@bayside.example", False),
    ],
)
def test_the_chat_status_look_up_shows_only_the_request_of_that_reference_and_email(
    app, chat, reference, asked, email, found
):
    with app.app_context():
        theirs = add_request(
            business_name="Bayside Dental",
            contact_email="office@bayside.example",
            numbers=("+14155550142",),
            status="rejected",
        ).reference
    wanted = reference if asked == "mine" else theirs

    chat.choose("status")
    chat.form(reference=wanted, contact_email=email)

    said = chat.said()
    if found:
        assert f"{reference}: Submitted." in said
    else:
        assert said.startswith("I couldn't find a request with that reference")
        assert theirs not in said and reference not in said
        assert chat.state != "correction"
    assert "Bayside" not in said and "0142" not in said


def test_a_rejected_request_is_fixed_and_sent_again_through_the_pages_without_script(
    app, client
):
    reference = submit(Chat(client))
    reject(app, reference, "service_address", "ZIP on file is 94107")

    wizard = Wizard(client)
    assert 'value="status"' in wizard.html
    wizard.choose("status")
    wizard.form(reference=reference, contact_email=LOA_DETAILS["contact_email"])
    assert "Needs a correction" in wizard.messages
    assert "ZIP on file is 94107" in wizard.messages
    assert wizard.step == "correction"
    wizard.choose("resubmit")
    assert wizard.step == "review"
    wizard.choose("submit")
    wizard.form(signature_name="Jane Doe", signature_consent="y")

    assert reference in wizard.messages
    with app.app_context():
        request = db.session.scalar(
            db.select(PortRequest).where(PortRequest.reference == reference)
        )
        assert request.status == "submitted"
        assert [event.status for event in request.events] == ["submitted", "submitted"]
