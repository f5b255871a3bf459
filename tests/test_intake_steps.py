from datetime import UTC
from datetime import datetime

import pytest

from assistant.extensions import db
from assistant.models import Conversation
from flows.intake import prompt_lines
from forms.validators import PO_BOX_MESSAGE
from tests import docgen
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf
from tests.intake_data import run_to_review
from tests.test_intake_e2e import pdf_fields
from tests.test_intake_faq import STEPS
from tests.test_intake_faq import walk


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
    "street",
    [
        "PO Box 12",
        "P.O. Box 12",
        "Post Office Box 7",
        "POB 3",
        "pobox 9",
        "P.O.B. 44",
        "Box 12",
        "123 Main St\nBox 4",
    ],
)
def test_a_po_box_service_address_is_refused_and_every_value_is_kept(chat, street):
    to_loa_details(chat)
    reply = chat.form(**{**LOA_DETAILS, "service_street": street})
    assert chat.state == "loa_details"
    assert reply["errors"] == {"service_street": [PO_BOX_MESSAGE]}
    values = {f["name"]: f["value"] for f in reply["input"]["fields"]}
    assert values["business_name"] == LOA_DETAILS["business_name"]
    assert values["service_street"] == street


def test_a_po_box_in_the_suite_field_is_refused_too(chat):
    to_loa_details(chat)
    reply = chat.form(**{**LOA_DETAILS, "service_unit": "PO Box 9"})

    assert reply["errors"] == {"service_unit": [PO_BOX_MESSAGE]}


@pytest.mark.parametrize(
    "street", ["12 Boxwood Rd", "1 Post Office Square", "9 Postbox Lane", "4 Box St"]
)
def test_a_street_that_merely_contains_box_passes(chat, street):
    to_loa_details(chat)
    chat.form(**{**LOA_DETAILS, "service_street": street})

    assert chat.state == "documents"
    said = review_of(chat, street)
    assert f"Service address: {street} Suite 4, San Francisco, CA 94103" in said


def review_of(chat, street: str = "123 Main St") -> str:
    bill = docgen.Bill(street=street, numbers=("(415) 867-5309",), lines=("Main",))
    chat.upload("bill", docgen.text_pdf_bill(bill), "bill.pdf")
    chat.choose("skip")
    assert chat.state == "review", chat.last
    return chat.said()


@pytest.mark.parametrize(
    ("state", "zip_code", "shown"),
    [
        ("california", "94103", "CA 94103"),
        ("Calif.", "94103 1234", "CA 94103-1234"),
        ("ca", "94103\u20131234", "CA 94103-1234"),
    ],
)
def test_the_state_and_zip_are_stored_normalised(chat, state, zip_code, shown):
    to_loa_details(chat)
    chat.form(**{**LOA_DETAILS, "service_state": state, "service_zip": zip_code})

    assert chat.state == "documents", chat.last
    assert f"San Francisco, {shown}" in review_of(chat)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"service_zip": "10001"},
            {
                "service_zip": [
                    "The ZIP code 10001 isn't one used in California; please check "
                    "the ZIP code and the state."
                ]
            },
        ),
        (
            {"service_zip": "9410"},
            {
                "service_zip": [
                    "Please enter a 5-digit ZIP code, like 94103 or 94103-1234."
                ]
            },
        ),
        (
            {"service_state": "Ontario"},
            {
                "service_state": [
                    "Please enter a US state, as its name or 2-letter code (like CA)."
                ]
            },
        ),
        (
            {"contact_email": "jane@@example"},
            {
                "contact_email": [
                    "That e-mail address doesn't look complete. Please check it, "
                    "for example name@company.com."
                ]
            },
        ),
    ],
)
def test_a_bad_state_zip_or_email_is_refused_with_its_sentence(chat, values, errors):
    to_loa_details(chat)
    reply = chat.form(**{**LOA_DETAILS, **values})

    assert chat.state == "loa_details"
    assert reply["errors"] == errors


def test_the_form_says_who_the_authorized_person_is_and_why_the_name_matters(chat):
    to_loa_details(chat)

    fields = {f["name"]: f for f in chat.last["input"]["fields"]}
    assert fields["authorized_name"]["help"] == (
        "The person your current provider has on file for the account."
    )
    assert "Use the name exactly as it's printed on your bill" in chat.said()
    assert "carriers compare them letter by letter" in chat.said()


# Wished dates, with the clock on Thursday December 10, 2026 (New York morning).
DECEMBER_10 = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wished", "error"),
    [
        (
            "2026-12-19",
            "December 19, 2026 is a Saturday, and ports only happen on "
            "business days. How about Monday, December 21, 2026?",
        ),
        (
            "2026-12-25",
            "Friday, December 25, 2026 is Christmas Day, when ports don't happen. How "
            "about Monday, December 28, 2026?",
        ),
        (
            "2026-12-16",
            "Wednesday, December 16, 2026 is sooner than we can manage: the earliest "
            "date we can ask for is Thursday, December 17, 2026.",
        ),
        (
            "2027-01-11",
            "Monday, January 11, 2027 is further out than we can book: please pick a "
            "date up to Friday, January 8, 2027.",
        ),
        ("2026-12-17", None),
        ("2027-01-08", None),
    ],
)
def test_a_wished_port_date_is_checked_against_business_days(tmp_path, wished, error):
    app = build_app(make_config(tmp_path, NOW=lambda: DECEMBER_10))
    chat = Chat(app.test_client())
    to_loa_details(chat)

    reply = chat.form(**{**LOA_DETAILS, "requested_date": wished})

    if error:
        assert reply["errors"] == {"requested_date": [error]}
        assert chat.state == "loa_details"
    else:
        assert reply["errors"] == {}
        assert chat.state == "documents"


def test_the_minimum_wished_date_is_configurable(tmp_path):
    config = make_config(tmp_path, NOW=lambda: DECEMBER_10, MIN_PORT_BUSINESS_DAYS=2)
    chat = Chat(build_app(config).test_client())
    to_loa_details(chat)

    chat.form(**{**LOA_DETAILS, "requested_date": "2026-12-14"})

    assert chat.state == "documents", chat.last


def test_long_names_are_flagged_not_cut(chat, client):
    to_loa_details(chat)
    long_name = "Acme Plumbing and Heating Services of Northern California"
    chat.form(
        **{
            **LOA_DETAILS,
            "business_name": long_name,
            "authorized_name": "Jane Alexandra Doe-Worthington",
        }
    )
    lines = [m["text"] for m in chat.last["messages"]]
    assert chat.state == "documents"
    assert (
        "Some providers shorten business names after 25 characters. If your bill "
        "shows a shorter form, please use it exactly as printed so the names match."
    ) in lines
    assert (
        "Some providers shorten the authorized person's name after 15 characters. "
        "If your bill shows a shorter form, please use it exactly as printed so the "
        "names match."
    ) in lines
    preview = client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=chat.headers)
    fields = pdf_fields(preview.data)
    assert fields["business_name"] == long_name
    assert fields["authorized_name"] == "Jane Alexandra Doe-Worthington"


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


@pytest.mark.parametrize("state", [s for s in STEPS if s not in ("welcome",)])
def test_back_works_from_every_step(chat, app, state):
    path, _ = STEPS[state]
    visited = [chat.state]
    for event in path:
        walk(chat, [event])
        visited.append(chat.state)
    assert chat.state == state

    reply = chat.text("back")

    expected = "submitted" if state == "submitted" else visited[-2]
    assert chat.state == expected
    with app.app_context():
        slots = db.session.get(Conversation, chat.id).slots
    prompt = [line for line in prompt_lines(expected, slots) if line]
    assert [m["text"] for m in reply["messages"][-len(prompt) :]] == prompt


def test_back_at_the_welcome_says_there_is_nothing_before(chat):
    reply = chat.choose("back")

    assert chat.state == "welcome"
    assert reply["messages"][0]["text"] == (
        "There's no earlier step to go back to from here."
    )


def test_back_twice_goes_two_steps_back(chat):
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("landline")
    chat.text("go back")
    chat.text("back")

    assert chat.state == "numbers"


@pytest.mark.parametrize("said", ["start over", "Start again", "restart"])
def test_start_over_clears_everything(chat, app, said):
    run_to_review(chat)
    chat.text(said)
    assert chat.state == "welcome"
    assert chat.last["messages"][0]["text"] == "No problem, let's start again."
    with app.app_context():
        conversation = db.session.get(Conversation, chat.id)
        assert conversation.slots == {"references": []}
        assert conversation.secrets == {}
    chat.choose("port")
    chat.text("415 867 5310")
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    values = {f["name"]: f["value"] for f in chat.last["input"]["fields"]}
    assert (values["carrier"], values["account_number"]) == ("", "")


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


def test_text_is_normalised_before_a_step_judges_it(chat):
    chat.text("  PORT\u00a0MY   numbers \t")
    assert chat.state == "numbers"
    chat.text("\u200b 415\u2013867\u20135309 \r\n")
    assert chat.state == "number_type"
    chat.text(" landline\n")
    assert chat.state == "active"
    chat.text("Yes!")
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

    run_to_review(chat)
    with app.app_context():
        stored = db.session.execute(text("SELECT data FROM document")).scalar_one()
        from assistant.models import Document

        document = db.session.query(Document).one()
        assert document.content == bill_pdf()
    assert bytes(stored) != bill_pdf()
    assert b"%PDF" not in bytes(stored)
