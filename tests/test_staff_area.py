import io
import json
import re
import zipfile
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from markupsafe import escape

from assistant.extensions import db
from assistant.lifecycle import REASON_BY_CODE
from assistant.lifecycle import REJECTION_REASONS
from assistant.lifecycle import STATUS_LABELS
from assistant.models import AuditEvent
from assistant.models import Document
from assistant.models import PortRequest
from assistant.models import StaffUser
from assistant.models import utcnow
from flows.engine import mermaid
from flows.intake import INTAKE
from tests.staff_fixtures import ACCOUNT_NUMBER
from tests.staff_fixtures import BILL_BYTES
from tests.staff_fixtures import FOC_DATE
from tests.staff_fixtures import FOC_WORDS
from tests.staff_fixtures import LOA_BYTES
from tests.staff_fixtures import PIN
from tests.staff_fixtures import STAFF_EMAIL
from tests.staff_fixtures import add_request
from tests.staff_fixtures import add_staff_user
from tests.staff_fixtures import body_text
from tests.staff_fixtures import change_status
from tests.staff_fixtures import look_up
from tests.staff_fixtures import outbox
from tests.staff_fixtures import parsed
from tests.staff_fixtures import sign_in

LOGIN_FAILED = "That e-mail and password don&#39;t match an active staff account."


@pytest.fixture
def reference(app):
    with app.app_context():
        add_staff_user()
        return add_request().reference


@pytest.fixture
def staff(client, reference):
    response = sign_in(client)
    assert response.status_code == 302
    return client


def text_of(response) -> str:
    return response.get_data(as_text=True)


def find_request(reference: str) -> PortRequest:
    return db.session.scalar(
        db.select(PortRequest).where(PortRequest.reference == reference)
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/staff/"),
        ("get", "/staff/requests/{ref}"),
        ("get", "/staff/requests/{ref}/package.zip"),
        ("get", "/staff/requests/{ref}/documents/abc"),
        ("post", "/staff/requests/{ref}/reveal"),
        ("post", "/staff/requests/{ref}/status"),
        ("post", "/staff/logout"),
    ],
)
def test_every_staff_page_sends_a_signed_out_visitor_to_the_login(
    client, reference, method, path
):
    response = getattr(client, method)(path.format(ref=reference))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    assert "Acme Plumbing" not in text_of(response)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (STAFF_EMAIL, "wrong password!"),
        ("nobody@rallycorp.example", "correct horse battery"),
    ],
)
def test_a_wrong_email_or_password_gets_the_same_refusal(
    client, reference, email, password
):
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert LOGIN_FAILED in text_of(response)
    assert client.get("/staff/").status_code == 302


def test_a_disabled_account_cannot_sign_in(app, client, reference):
    with app.app_context():
        db.session.execute(db.update(StaffUser).values(active=False))
        db.session.commit()
    response = sign_in(client)
    assert response.status_code == 401
    assert LOGIN_FAILED in text_of(response)


def test_disabling_an_account_ends_its_open_session(app, staff):
    assert staff.get("/staff/").status_code == 200
    with app.app_context():
        db.session.execute(db.update(StaffUser).values(active=False))
        db.session.commit()
    assert staff.get("/staff/").status_code == 302


def test_signing_in_shows_the_list_and_signing_out_closes_the_area(
    app, client, reference
):
    response = sign_in(client)
    assert response.headers["Location"] == "/staff/"
    listing = client.get("/staff/")
    assert listing.status_code == 200
    assert reference in text_of(listing)
    assert listing.headers["Cache-Control"] == "no-store"

    signed_out = client.post("/staff/logout")
    assert signed_out.headers["Location"] == "/staff/login"
    assert "You&#39;re signed out." in text_of(client.get("/staff/login"))
    assert client.get("/staff/").status_code == 302
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert actions == ["login", "logout"]


@pytest.mark.parametrize(
    ("next_page", "landing"),
    [
        ("/staff/requests/{ref}", "/staff/requests/{ref}"),
        ("https://evil.example/staff/", "/staff/"),
        ("//evil.example/staff/", "/staff/"),
        ("/chat", "/staff/"),
    ],
)
def test_after_sign_in_only_a_staff_page_is_followed(
    client, reference, next_page, landing
):
    response = client.post(
        "/staff/login?next=" + next_page.format(ref=reference),
        data={"email": STAFF_EMAIL, "password": "correct horse battery"},
    )
    assert response.headers["Location"] == landing.format(ref=reference)


def test_the_list_masks_nothing_because_it_shows_no_account_details(staff, reference):
    listing = text_of(staff.get("/staff/"))
    assert "Acme Plumbing" in listing
    assert "(415) 867-5309" in listing
    assert ACCOUNT_NUMBER not in listing and "••" not in listing


@pytest.fixture
def three_requests(app):
    with app.app_context():
        add_staff_user()
        now = utcnow()
        add_request(business_name="Acme Plumbing", numbers=("+14158675309",))
        add_request(
            business_name="Bayside Dental",
            numbers=("+18005550199",),
            number_type="toll_free",
            status="rejected",
            created_at=now - timedelta(days=10),
        )
        add_request(
            business_name="Cedar Café",
            numbers=("+12125550123", "+12125550124"),
            number_type="landline",
            status="in_review",
            created_at=now - timedelta(days=40),
        )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Acme Plumbing", "Bayside Dental", "Cedar Café"]),
        ("status=rejected", ["Bayside Dental"]),
        ("status=completed", []),
        ("number_type=landline", ["Cedar Café"]),
        ("age=1", ["Acme Plumbing"]),
        ("age=-7", ["Bayside Dental", "Cedar Café"]),
        ("age=-30", ["Cedar Café"]),
        ("q=bayside", ["Bayside Dental"]),
        ("q=(212) 555-0124", ["Cedar Café"]),
        ("q=8675309", ["Acme Plumbing"]),
        ("q=100%25", []),
        ("status=in_review&number_type=mobile", []),
        ("status=nonsense", ["Acme Plumbing", "Bayside Dental", "Cedar Café"]),
    ],
)
def test_the_list_filters_by_status_type_age_and_search(
    client, three_requests, query, expected
):
    sign_in(client)
    response = client.get("/staff/?" + query)
    assert response.status_code == 200
    page = text_of(response)
    shown = [
        name
        for name in ("Acme Plumbing", "Bayside Dental", "Cedar Café")
        if f"<td>{name}</td>" in page
    ]
    assert shown == expected
    count = len(expected)
    assert f"{count} request{'' if count == 1 else 's'}" in page


def test_the_detail_page_shows_every_field_with_the_account_details_masked(
    staff, reference
):
    page = text_of(staff.get(f"/staff/requests/{reference}"))
    for value in (
        "ACME PLUMBING, LLC",
        "Pacific Coast Telecom",
        "123 Main St",
        "Suite 4",
        "94103",
        "Jane Doe",
        "(415) 555-2671",
        "203.0.113.7",
        "march-bill.pdf",
        "+14158675309 found on page 1",
        "•••••••••09",
    ):
        assert value in page, value
    assert ACCOUNT_NUMBER not in page
    assert f"<dd>{PIN}</dd>" not in page
    assert "<dd>••••</dd>" in page


def test_the_detail_page_labels_choices_and_leaves_out_rows_that_do_not_apply(
    staff, reference
):
    page = text_of(staff.get(f"/staff/requests/{reference}"))

    assert "<dt>Account type</dt><dd>Business</dd>" in page
    assert "<dt>Partial port</dt><dd>no</dd>" in page
    assert "Numbers that stay" not in page
    assert "New billing number" not in page


def test_revealing_the_account_details_shows_them_once_and_records_who(
    app, staff, reference
):
    response = staff.post(f"/staff/requests/{reference}/reveal")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text_of(response)
    assert f"<dd>{ACCOUNT_NUMBER}</dd>" in page
    assert f"<dd>{PIN}</dd>" in page
    assert "your reveal was recorded" in page
    assert ACCOUNT_NUMBER not in text_of(staff.get(f"/staff/requests/{reference}"))

    with app.app_context():
        reveal = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "reveal")
        )
        assert (reveal.actor, reveal.detail) == (
            STAFF_EMAIL,
            "account_number, pin, btn",
        )
        assert reveal.request_id == find_request(reference).id


def test_rejecting_records_who_and_why_and_emails_the_customer_the_guidance(
    app, staff, reference
):
    response = change_status(
        staff,
        reference,
        "submitted",
        "rejected",
        reason="pin",
        note="The carrier says the PIN expired on March 3.",
    )
    assert response.status_code == 302
    page = text_of(staff.get(response.headers["Location"]))
    assert "Status changed to “Rejected”." in page
    assert "PIN or passcode wrong or expired" in page

    with app.app_context():
        request = find_request(reference)
        assert (request.status, request.rejection_code) == ("rejected", "pin")
        event = request.events[-1]
        assert (event.status, event.reason_code, event.actor) == (
            "rejected",
            "pin",
            STAFF_EMAIL,
        )
        assert event.note == "The carrier says the PIN expired on March 3."
        [email] = outbox("Your porting request")
        assert email.subject == f"Your porting request {reference}: needs a correction"
        assert email.recipients == "jane.doe@acmeplumbing.com"
        assert email.status == "sent"
        text = body_text(parsed(email.raw))
    assert f"{reference}: Needs a correction." in text
    assert REASON_BY_CODE["pin"].guidance in text
    assert "Note from our team: The carrier says the PIN expired on March 3." in text
    assert 'choose "Fix it and send again"' in text
    assert PIN not in text


def test_a_confirmed_port_date_is_saved_and_sent_to_the_customer(app, client):
    with app.app_context():
        add_staff_user()
        reference = add_request(status="sent_to_carrier").reference
    sign_in(client)
    response = change_status(
        client, reference, "sent_to_carrier", "foc_confirmed", foc_date=FOC_DATE
    )
    assert response.status_code == 302
    with app.app_context():
        request = find_request(reference)
        assert (request.status, request.foc_date) == ("foc_confirmed", FOC_DATE)
        assert request.events[-1].foc_date == FOC_DATE
        [email] = outbox("Your porting request")
        assert email.subject == f"Your porting request {reference}: port date confirmed"
        text = body_text(parsed(email.raw))
    assert f"Port date: {FOC_WORDS}." in text
    assert FOC_DATE not in text


@pytest.mark.parametrize(
    ("start", "form", "message"),
    [
        ("submitted", {"status": "completed"}, "Not a valid choice."),
        (
            "submitted",
            {"status": "rejected"},
            "A rejection needs the carrier&#39;s reason.",
        ),
        (
            "submitted",
            {"status": "rejected", "reason": "other", "note": "  "},
            "Reason &#39;Other&#39; needs a note saying what to fix.",
        ),
        (
            "sent_to_carrier",
            {"status": "foc_confirmed"},
            "Enter the port date the carrier confirmed.",
        ),
        (
            "submitted",
            {"status": "in_review", "reason": "bogus"},
            "Not a valid choice.",
        ),
    ],
)
def test_a_status_change_the_lifecycle_or_the_form_forbids_is_refused(
    app, client, start, form, message
):
    with app.app_context():
        add_staff_user()
        reference = add_request(status=start).reference
    sign_in(client)
    response = change_status(client, reference, start, **form)
    assert response.status_code == 400
    assert message in text_of(response)
    with app.app_context():
        assert find_request(reference).status == start
        assert outbox("Your porting request") == []


# 02:00 UTC on 4 December is still 3 December in New York, the default zone.
EVENING_IN_NEW_YORK = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("foc_date", "accepted"),
    [("2020-01-01", False), ("2026-12-02", False), ("2026-12-03", True)],
)
def test_a_confirmed_port_date_before_today_in_the_providers_zone_is_refused(
    app, client, foc_date, accepted
):
    app.config["NOW"] = lambda: EVENING_IN_NEW_YORK
    with app.app_context():
        add_staff_user()
        reference = add_request(status="sent_to_carrier").reference
    sign_in(client)
    response = change_status(
        client, reference, "sent_to_carrier", "foc_confirmed", foc_date=foc_date
    )

    with app.app_context():
        request = find_request(reference)
        if accepted:
            assert response.status_code == 302
            assert request.foc_date == foc_date
            return
        assert response.status_code == 400
        assert (request.status, request.foc_date) == ("sent_to_carrier", None)
        assert outbox("Your porting request") == []
    message = (
        f"The confirmed port date {foc_date} is before today (2026-12-03, "
        "America/New_York). Enter the FOC date from the carrier&#39;s confirmation."
    )
    page = text_of(response)
    assert page.count(message) == 2
    assert page.index('role="alert"') < page.index(message) < page.index("staff-form")


ASK_FOC = "Enter the FOC date from the carrier&#39;s confirmation."


@pytest.mark.parametrize(
    ("foc_date", "message"),
    [
        (
            "2026-12-05",
            "The confirmed port date 2026-12-05 (Saturday, December 5, 2026) is a "
            "Saturday; carriers don&#39;t port on weekends.",
        ),
        (
            "2026-12-06",
            "The confirmed port date 2026-12-06 (Sunday, December 6, 2026) is a "
            "Sunday; carriers don&#39;t port on weekends.",
        ),
        (
            "2026-12-25",
            "The confirmed port date 2026-12-25 (Friday, December 25, 2026) is "
            "Christmas Day, a US federal holiday; carriers don&#39;t port on holidays.",
        ),
        (
            "2027-01-18",
            "The confirmed port date 2027-01-18 (Monday, January 18, 2027) is Martin "
            "Luther King Jr. Day, a US federal holiday; carriers don&#39;t port on "
            "holidays.",
        ),
        (
            "2027-07-05",
            "The confirmed port date 2027-07-05 (Monday, July 5, 2027) is "
            "Independence Day (observed), a US federal holiday; carriers don&#39;t "
            "port on holidays.",
        ),
    ],
)
def test_a_confirmed_port_date_on_a_weekend_or_federal_holiday_is_refused(
    app, client, foc_date, message
):
    app.config["NOW"] = lambda: EVENING_IN_NEW_YORK
    with app.app_context():
        add_staff_user()
        reference = add_request(status="sent_to_carrier").reference
    sign_in(client)

    response = change_status(
        client, reference, "sent_to_carrier", "foc_confirmed", foc_date=foc_date
    )

    assert response.status_code == 400
    assert text_of(response).count(f"{message} {ASK_FOC}") == 2
    with app.app_context():
        request = find_request(reference)
        assert (request.status, request.foc_date) == ("sent_to_carrier", None)
        assert outbox("Your porting request") == []


def confirm_on(app, client, *dates: str):
    app.config["NOW"] = lambda: EVENING_IN_NEW_YORK
    with app.app_context():
        add_staff_user()
        reference = add_request(status="sent_to_carrier").reference
    sign_in(client)
    current = "sent_to_carrier"
    responses = []
    for foc_date in dates:
        responses.append(
            change_status(
                client, reference, current, "foc_confirmed", foc_date=foc_date
            )
        )
        current = "foc_confirmed"
    return reference, responses


def test_a_confirmed_port_date_can_be_moved_recorded_and_emailed(app, client):
    reference, responses = confirm_on(app, client, "2026-12-11", "2026-12-15")

    assert [r.status_code for r in responses] == [302, 302]
    page = text_of(client.get(f"/staff/requests/{reference}"))
    assert "Port date moved to Tuesday, December 15, 2026." in page
    assert '<option value="foc_confirmed">Port date confirmed (FOC): a new date' in page
    with app.app_context():
        request = find_request(reference)
        assert (request.status, request.foc_date) == ("foc_confirmed", "2026-12-15")
        assert [(e.status, e.foc_date) for e in request.events[1:]] == [
            ("foc_confirmed", "2026-12-11"),
            ("foc_confirmed", "2026-12-15"),
        ]
        first, moved = outbox("Your porting request")
        assert first.subject == f"Your porting request {reference}: port date confirmed"
        assert moved.subject == f"Your porting request {reference}: new port date"
        text = body_text(parsed(moved.raw))
    assert "Port date: Tuesday, December 15, 2026." in text
    assert (
        "This date replaces the one we gave you before, Friday, December 11, 2026."
    ) in text


def test_moving_a_confirmed_port_date_to_the_same_date_is_refused(app, client):
    reference, responses = confirm_on(app, client, "2026-12-11", "2026-12-11")

    assert responses[1].status_code == 400
    assert (
        "The confirmed port date 2026-12-11 (Friday, December 11, 2026) is already "
        "the confirmed date. Enter the new date to move it."
    ) in text_of(responses[1])
    with app.app_context():
        assert len(find_request(reference).events) == 2
        assert len(outbox("Your porting request")) == 1


@pytest.mark.parametrize(
    ("start", "new", "values"),
    [
        ("submitted", "in_review", {}),
        ("sent_to_carrier", "foc_confirmed", {"foc_date": FOC_DATE}),
        ("foc_confirmed", "completed", {}),
        ("submitted", "cancelled", {}),
    ],
)
def test_a_note_on_any_status_change_reaches_the_status_page_and_the_email(
    app, client, start, new, values
):
    note = "We spoke to your provider's porting desk today."
    with app.app_context():
        add_staff_user()
        reference = add_request(status=start).reference
    sign_in(client)

    response = change_status(client, reference, start, new, note=note, **values)

    assert response.status_code == 302
    page = look_up(client, reference).text
    [entry] = re.findall(rf"</time> – {STATUS_LABELS[new]}\b[^<]*</li>", page)
    assert entry.endswith(f". Note from our team: {escape(note)}</li>")
    with app.app_context():
        [email] = outbox("Your porting request")
        assert find_request(reference).events[-1].note == note
        text = body_text(parsed(email.raw))
    assert f"Note from our team: {note}" in text


def test_a_refused_change_lists_its_errors_at_the_top_linked_to_their_fields(
    app, client
):
    with app.app_context():
        add_staff_user()
        reference = add_request(status="sent_to_carrier").reference
    sign_in(client)

    response = change_status(client, reference, "sent_to_carrier", "foc_confirmed")

    page = text_of(response)
    summary = page[page.index('<div class="error-summary" role="alert"') :]
    summary = summary[: summary.index("</div>")]
    assert page.index("error-summary") < page.index("Request details")
    assert (
        '<a href="#foc_date">Confirmed port date (FOC): Enter the port date the '
        "carrier confirmed.</a>"
    ) in summary
    assert 'id="foc_date"' in page


def test_a_page_without_errors_has_no_error_summary(staff, reference):
    assert "error-summary" not in text_of(staff.get(f"/staff/requests/{reference}"))


def test_the_status_line_puts_the_reason_right_after_the_status(app, client):
    with app.app_context():
        add_staff_user()
        reference = add_request(status="rejected").reference
        request = find_request(reference)
        request.rejection_code = "pin"
        db.session.commit()
    sign_in(client)

    page = text_of(client.get(f"/staff/requests/{reference}"))

    assert (
        "Status: <strong>Rejected</strong>, reason: PIN or passcode wrong or expired"
    ) in page


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("carrier_refuses", "Provider refuses port-outs (customer says)"),
        ("no_pin", "Provider uses no PIN"),
        ("platform_locked", "Locked in another platform&#39;s messaging service"),
        ("toll_free_texting", "Toll free texting"),
    ],
)
def test_request_details_name_the_recorded_extras_by_label(app, client, field, label):
    with app.app_context():
        add_staff_user()
        reference = add_request().reference
        request = find_request(reference)
        request.fields = {**request.fields, field: True}
        db.session.commit()
    sign_in(client)

    page = text_of(client.get(f"/staff/requests/{reference}"))

    assert f"<dt>{label}</dt><dd>yes</dd>" in page
    assert f"<dt>{field}</dt>" not in page


def test_the_staff_list_names_statuses_in_the_teams_own_words(app, client):
    with app.app_context():
        add_staff_user()
        add_request(status="sent_to_carrier")
    sign_in(client)

    page = text_of(client.get("/staff/"))

    assert "<td>Sent to carrier</td>" in page
    assert "Sent to your current provider" not in page


def test_a_change_based_on_a_stale_page_is_refused(app, staff, reference):
    response = change_status(staff, reference, "in_review", "sent_to_carrier")
    assert response.status_code == 409
    assert "Someone changed this request&#39;s status while you were looking" in (
        text_of(response)
    )
    with app.app_context():
        assert find_request(reference).status == "submitted"


def test_leaving_a_rejection_clears_its_reason_but_keeps_the_history(
    app, staff, reference
):
    rejected = change_status(
        staff, reference, "submitted", "rejected", reason="name_mismatch"
    )
    reviewed = change_status(staff, reference, "rejected", "in_review")
    assert (rejected.status_code, reviewed.status_code) == (302, 302)
    with app.app_context():
        request = find_request(reference)
        assert (request.status, request.rejection_code) == ("in_review", None)
        assert [(e.status, e.reason_code) for e in request.events] == [
            ("submitted", None),
            ("rejected", "name_mismatch"),
            ("in_review", None),
        ]
        assert len(outbox("Your porting request")) == 2


def test_the_package_zip_holds_the_loa_documents_and_summaries(app, staff, reference):
    response = staff.get(f"/staff/requests/{reference}/package.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert f"filename={reference}.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == [
        f"LOA-{reference}.pdf",
        "march-bill.pdf",
        f"summary-{reference}.json",
        f"summary-{reference}.html",
    ]
    assert archive.read(f"LOA-{reference}.pdf") == LOA_BYTES
    assert archive.read("march-bill.pdf") == BILL_BYTES
    summary = json.loads(archive.read(f"summary-{reference}.json"))
    assert summary["fields"]["business_name"] == "Acme Plumbing"
    assert b"Acme Plumbing" in archive.read(f"summary-{reference}.html")
    with app.app_context():
        detail = db.session.scalar(
            db.select(AuditEvent.detail).where(AuditEvent.action == "download")
        )
    assert detail == "package"


def test_a_document_downloads_only_through_its_own_request(app, staff, reference):
    with app.app_context():
        other = add_request(documents=(("other-bill.pdf", b"%PDF other"),))
        document_id = db.session.scalar(
            db.select(Document.id).where(Document.filename == "march-bill.pdf")
        )
        other_id = db.session.scalar(
            db.select(Document.id).where(
                Document.conversation_id == other.conversation_id
            )
        )
    response = staff.get(f"/staff/requests/{reference}/documents/{document_id}")
    assert response.status_code == 200
    assert response.data == BILL_BYTES
    assert "march-bill.pdf" in response.headers["Content-Disposition"]
    assert staff.get(
        f"/staff/requests/{reference}/documents/{other_id}"
    ).status_code == (404)


def test_an_unknown_reference_is_not_found(staff):
    assert staff.get("/staff/requests/PR-NOTHERE").status_code == 404


# The carriers' rejection codes the issue lists, in its order.
CARRIER_REASONS = [
    "name_mismatch",
    "authorized_person",
    "service_address",
    "account_number",
    "pin",
    "btn",
    "btn_partial",
    "number_not_on_account",
    "number_inactive",
    "pending_order",
    "port_lock",
    "special_features",
    "not_portable",
    "loa_invalid",
    "date_refused",
    "other",
]


def test_the_rejection_reasons_mirror_the_carriers_codes_in_the_staff_form(
    staff, reference
):
    page = text_of(staff.get(f"/staff/requests/{reference}"))

    assert [reason.code for reason in REJECTION_REASONS] == CARRIER_REASONS
    for reason in REJECTION_REASONS:
        assert f'<option value="{reason.code}">' in page, reason.code


@pytest.mark.parametrize("code", CARRIER_REASONS)
def test_each_rejection_reason_tells_the_customer_what_to_fix(
    app, staff, reference, code
):
    note = "Account ends in 0042 on the carrier's side." if code == "other" else ""

    response = change_status(
        staff, reference, "submitted", "rejected", reason=code, note=note
    )

    assert response.status_code == 302
    guidance = REASON_BY_CODE[code].guidance
    page = look_up(staff, reference).get_data(as_text=True)
    assert str(escape(guidance)) in page
    with app.app_context():
        [email] = outbox("Your porting request")
        text = body_text(parsed(email.raw))
    assert f"What to fix: {guidance}" in text
    if note:
        assert f"Note from our team: {note}" in text


def test_a_request_moves_through_every_status_recorded_and_emailed_each_time(
    app, staff, reference
):
    steps = [
        ("submitted", "in_review", {}),
        ("in_review", "sent_to_carrier", {}),
        ("sent_to_carrier", "foc_confirmed", {"foc_date": FOC_DATE}),
        ("foc_confirmed", "completed", {}),
    ]
    for current, new, values in steps:
        response = change_status(staff, reference, current, new, **values)
        assert response.status_code == 302, (current, new)
        page = look_up(staff, reference).get_data(as_text=True)
        assert f"Status: <strong>{escape(STATUS_LABELS[new])}</strong>" in page

    with app.app_context():
        request = find_request(reference)
        assert [(e.status, e.actor) for e in request.events] == [
            ("submitted", "customer"),
            *[(new, STAFF_EMAIL) for _, new, _ in steps],
        ]
        assert all(e.created_at is not None for e in request.events)
        emails = outbox("Your porting request")
        bodies = [body_text(parsed(email.raw)) for email in emails]
    assert len(bodies) == 4
    for body, (_, new, _) in zip(bodies, steps, strict=True):
        assert f"{reference}: {STATUS_LABELS[new]}." in body
    assert f"Port date: {FOC_WORDS}." in bodies[2]
    detail = text_of(staff.get(f"/staff/requests/{reference}"))
    assert '<option value="in_review">' not in detail
    assert change_status(staff, reference, "completed", "cancelled").status_code == 400


@pytest.mark.parametrize("start", ["submitted", "in_review", "sent_to_carrier"])
def test_an_open_request_can_be_cancelled_and_then_stays_closed(app, client, start):
    with app.app_context():
        add_staff_user()
        reference = add_request(status=start).reference
    sign_in(client)

    assert change_status(client, reference, start, "cancelled").status_code == 302

    assert change_status(client, reference, "cancelled", "in_review").status_code == 400
    with app.app_context():
        assert find_request(reference).status == "cancelled"
        [email] = outbox("Your porting request")
        assert f"{reference}: Cancelled." in body_text(parsed(email.raw))


def test_the_staff_area_shows_the_intake_flow_drawn_from_its_machine(client, reference):
    sign_in(client)

    response = client.get("/staff/flows")

    page = text_of(response)
    assert response.status_code == 200
    for state in INTAKE.states:
        assert f'id="state-{state}"' in page
    assert '<code>proceed</code>: <a href="#state-number_type">' in page
    assert "when type_unknown" in page
    assert (
        '<code>edit</code>: <a href="#state-numbers"><code>numbers</code></a>'
        " when edit_numbers<" in page
    )
    assert escape(mermaid(INTAKE)) in page


def test_the_flow_page_needs_a_staff_login(client):
    response = client.get("/staff/flows")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")


def test_a_partial_port_shows_the_numbers_that_stay_and_what_happens_to_them(
    app, client
):
    with app.app_context():
        add_staff_user()
        request = add_request()
        request.fields = {
            **request.fields,
            "partial_port": True,
            "remaining_numbers": ["+13122467700", "+13122467790"],
            "remaining_numbers_action": "keep",
        }
        db.session.commit()
        reference = request.reference
    sign_in(client)

    page = text_of(client.get(f"/staff/requests/{reference}"))

    assert "Numbers that stay on the old account" in page
    assert "(312) 246-7700, (312) 246-7790" in page
    assert "kept in service" in page
    assert "+13122467700" not in page
