from datetime import UTC
from datetime import datetime

import pytest

from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.intake_data import run_to_review


def to_loa_details(chat) -> None:
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**PROVIDER)
    chat.choose("no")
    assert chat.state == "loa_details"


@pytest.mark.parametrize(
    "street", ["PO Box 12", "P.O. Box 12", "Post Office Box 7", "POB 3", "pobox 9"]
)
def test_a_po_box_service_address_is_refused_and_every_value_is_kept(chat, street):
    to_loa_details(chat)
    reply = chat.form(**{**LOA_DETAILS, "service_street": street})
    assert chat.state == "loa_details"
    assert list(reply["errors"]) == ["service_street"]
    assert (
        "P.O. box" in reply["errors"]["service_street"][0]
        or "box" in reply["errors"]["service_street"][0].lower()
    )
    values = {f["name"]: f["value"] for f in reply["input"]["fields"]}
    assert values["business_name"] == LOA_DETAILS["business_name"]
    assert values["service_street"] == street


def test_a_street_that_merely_contains_box_passes(chat):
    to_loa_details(chat)
    chat.form(**{**LOA_DETAILS, "service_street": "12 Boxwood Rd"})
    assert chat.state == "documents"


def test_a_zip_that_does_not_fit_the_state_is_refused(chat):
    to_loa_details(chat)
    reply = chat.form(**{**LOA_DETAILS, "service_zip": "10001"})
    assert "service_zip" in reply["errors"]


def test_a_bad_email_is_refused_with_a_sentence(chat):
    to_loa_details(chat)
    reply = chat.form(**{**LOA_DETAILS, "contact_email": "jane@@example"})
    assert reply["errors"]["contact_email"][0].endswith(".")


def test_a_wished_port_date_on_a_weekend_is_refused(tmp_path):
    fixed = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
    app = build_app(make_config(tmp_path, NOW=lambda: fixed))
    chat = Chat(app.test_client())
    to_loa_details(chat)
    reply = chat.form(**{**LOA_DETAILS, "requested_date": "2027-01-16"})
    assert "requested_date" in reply["errors"]
    chat.form(**{**LOA_DETAILS, "requested_date": "2027-01-19"})
    assert chat.state == "documents", chat.last


def test_long_names_are_flagged_not_cut(chat):
    to_loa_details(chat)
    long_name = "Acme Plumbing and Heating Services of Northern California"
    chat.form(
        **{
            **LOA_DETAILS,
            "business_name": long_name,
            "authorized_name": "Jane Alexandra Doe-Worthington",
        }
    )
    said = chat.said()
    assert chat.state == "documents"
    assert "25" in said and "15" in said


def test_a_character_the_letter_cannot_print_is_reported_before_signing(chat):
    to_loa_details(chat)
    reply = chat.form(**{**LOA_DETAILS, "business_name": "Acme \U0001f600 Plumbing"})
    assert chat.state == "loa_details"
    assert "business_name" in reply["errors"]


def test_the_signature_must_be_the_authorized_persons_name(chat):
    run_to_review(chat)
    chat.choose("submit")
    assert "electronically" in chat.said()
    reply = chat.form(signature_name="Somebody Else", signature_consent=True)
    assert chat.state == "sign"
    assert "Jane Doe" in reply["errors"]["signature_name"][0]
    reply = chat.form(signature_name="Jane Doe", signature_consent=False)
    assert "signature_consent" in reply["errors"]
    reply = chat.form(signature_name="  jane   doe ", signature_consent="yes")
    assert chat.state == "submitted"
    said = chat.said()
    assert reply["reference"] in said
    assert "keep your current service on" in said


def test_review_lists_everything_with_secrets_masked_and_the_checklist(chat):
    run_to_review(chat)
    said = chat.said()
    assert "(415) 867-5309" in said
    assert PROVIDER["account_number"] not in said
    assert "•" in said
    assert "no unpaid balance" in said
    ids = [c["id"] for c in chat.last["input"]["choices"]]
    assert ids[0] == "submit"
    assert "edit_loa" in ids


def test_editing_from_review_comes_back_to_review(chat):
    run_to_review(chat)
    chat.choose("edit_loa")
    assert chat.state == "loa_details"
    chat.form(**{**LOA_DETAILS, "authorized_title": "President"})
    assert chat.state == "review"
    assert "President" in chat.said()


def test_secrets_are_masked_in_the_transcript_and_in_replies(chat, client):
    run_to_review(chat)
    body = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).get_json()
    text = str(body)
    assert PROVIDER["account_number"] not in text
    assert f"pin: {PROVIDER['pin']}" not in text


def test_secrets_are_encrypted_at_rest(chat, app):
    from sqlalchemy import text

    from assistant.extensions import db

    run_to_review(chat)
    with app.app_context():
        raw = db.session.execute(text("SELECT slots, secret_blob FROM conversation"))
        slots, blob = raw.one()
    assert PROVIDER["account_number"] not in str(slots) + blob
    assert PROVIDER["pin"] not in blob


# Commands that work from any step.
def test_back_returns_to_the_previous_step(chat):
    chat.choose("port")
    chat.text("415 867 5309")
    assert chat.state == "number_type"
    chat.text("back")
    assert chat.state == "numbers"
    assert "Which numbers" in chat.said()


def test_start_over_clears_everything(chat):
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("start_over")
    assert chat.state == "welcome"
    chat.choose("port")
    assert chat.state == "numbers"


def test_talk_to_a_person_collects_an_email_and_returns_to_the_step(chat, app):
    chat.choose("port")
    chat.text("415 867 5309")
    chat.text("talk to a person")
    assert chat.state == "human"
    chat.text("not an address")
    assert chat.state == "human"
    chat.text("jane.doe@acmeplumbing.com")
    assert chat.state == "number_type"
    assert "jane.doe@acmeplumbing.com" in chat.said()
    from assistant.extensions import db
    from assistant.models import OutboxMessage

    with app.app_context():
        subjects = [m.subject for m in db.session.query(OutboxMessage)]
    assert "Customer asks to talk to a person" in subjects


def test_the_human_choice_is_accepted_even_when_not_offered(chat):
    chat.choose("human")
    assert chat.state == "human"


def test_status_of_my_port_from_any_step(chat, client):
    run_to_review(chat)
    chat.choose("submit")
    reference = chat.form(signature_name="Jane Doe", signature_consent=True)[
        "reference"
    ]
    other = Chat(client)
    other.choose("port")
    other.text("status of my port")
    assert other.state == "status"
    other.form(reference=reference, contact_email="JANE.DOE@acmeplumbing.com")
    assert reference in other.said()
    assert "Submitted" in other.said()
    assert other.state == "numbers"


def test_status_with_the_wrong_email_shows_nothing(chat, client):
    run_to_review(chat)
    chat.choose("submit")
    reference = chat.form(signature_name="Jane Doe", signature_consent=True)[
        "reference"
    ]
    other = Chat(client)
    other.choose("status")
    other.form(reference=reference, contact_email="someone@else.com")
    assert "couldn't find" in other.said()
    assert "Acme" not in other.said()


def test_typed_text_equal_to_a_choice_label_counts_as_that_choice(chat):
    chat.text("Port my numbers")
    assert chat.state == "numbers"
    chat.text("415 867 5309")
    chat.text("Landline")
    assert chat.state == "active"
    chat.text("yep")
    assert chat.state == "messaging_use"


def test_the_welcome_understands_a_request_to_port(chat):
    chat.text("I want to transfer my number to you")
    assert chat.state == "numbers"


def test_an_empty_pin_needs_the_no_pin_box(chat):
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")
    reply = chat.form(**{**PROVIDER, "pin": ""})
    assert chat.state == "provider"
    assert "tick the box" in reply["errors"]["pin"][0]
    chat.form(**{**PROVIDER, "pin": "", "no_pin": True})
    assert chat.state == "full_port"


def test_uploaded_documents_are_encrypted_at_rest(chat, app):
    from sqlalchemy import text

    from assistant.extensions import db
    from tests.intake_data import bill_pdf

    run_to_review(chat)
    with app.app_context():
        stored = db.session.execute(text("SELECT data FROM document")).scalar_one()
        from assistant.models import Document

        document = db.session.query(Document).one()
        assert document.content == bill_pdf()
    assert bytes(stored) != bill_pdf()
    assert b"%PDF" not in bytes(stored)
