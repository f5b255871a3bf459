import pytest

from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf
from tests.test_intake_transcripts import finish
from tests.test_intake_transcripts import start_numbers
from tests.test_intake_transcripts import stored
from tests.test_intake_transcripts import through_provider
from tests.test_wizard import Wizard

MOVING = "415 867 5309"
STAYING_TEXT = "(415) 867-5310\n415.867.5311"
STAYING = ["+14158675310", "+14158675311"]
UNPRINTABLE = (
    "The letter can't print 🍜. Please write it the way it appears on your bill "
    "using other characters."
)


def to_staying_numbers(chat, btn: str = MOVING) -> None:
    start_numbers(chat, MOVING)
    chat.choose("landline")
    through_provider(chat, btn=btn)
    assert chat.state == "full_port", chat.last
    chat.choose("yes")
    assert chat.state == "remaining_numbers", chat.last


def to_new_btn(chat) -> None:
    to_staying_numbers(chat)
    chat.text(STAYING_TEXT)
    assert chat.state == "remaining_action", chat.last
    chat.choose("keep")
    assert chat.state == "new_btn", chat.last


def test_a_partial_port_asks_which_numbers_stay_as_part_of_the_provider_step(chat):
    to_staying_numbers(chat)

    assert chat.last["input"]["kind"] == "text"
    assert chat.last["input"]["field"] == "remaining_numbers"
    assert chat.last["input"]["choices"] == [{"id": "skip", "label": "Skip"}]
    assert chat.last["progress"]["label"] == "Current provider"
    assert "Which numbers will stay on the old account?" in chat.said()


def test_the_new_main_number_is_picked_from_the_numbers_that_stay(chat, app):
    to_staying_numbers(chat)
    chat.text(STAYING_TEXT)
    assert "Thanks. Staying on the old account: (415) 867-5310, (415) 867-5311." in (
        chat.said()
    )
    chat.choose("keep")

    assert chat.state == "new_btn"
    assert chat.last["input"]["kind"] == "choice"
    assert chat.last["input"]["field"] == "new_btn"
    assert chat.last["input"]["choices"] == [
        {"id": "+14158675310", "label": "(415) 867-5310"},
        {"id": "+14158675311", "label": "(415) 867-5311"},
    ]
    assert "BTN" not in chat.said()
    chat.choose("+14158675311")
    assert chat.state == "loa_details", chat.last
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    chat.choose("skip")
    assert chat.state == "review"
    assert "Staying on the old account: (415) 867-5310, (415) 867-5311" in (chat.said())
    chat.choose("submit")
    reply = chat.form(signature_name="Jane Doe", signature_consent="yes")
    fields = stored(app, reply["reference"])["fields"]
    assert fields["partial_port"] is True
    assert fields["remaining_numbers"] == STAYING
    assert fields["remaining_numbers_action"] == "keep"
    assert fields["new_btn"] == "+14158675311"


@pytest.mark.parametrize(
    "sent",
    ["+14158675310", "(415) 867-5310", "1 415 867 5310"],
)
def test_a_form_keyed_by_new_btn_still_sets_it_when_a_pick_list_is_offered(chat, sent):
    to_new_btn(chat)

    reply = chat.form(new_btn=sent)

    assert reply["errors"] == {}
    assert chat.state == "loa_details"


def test_typing_one_of_the_staying_numbers_at_the_pick_list_counts_as_it(chat):
    to_new_btn(chat)

    chat.text("415-867-5311")

    assert chat.state == "loa_details"


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (
            "(415) 867-5309",
            "That number is moving with this request. Please pick one that stays "
            "on the account.",
        ),
        (
            "(415) 867-5399",
            "Please pick one of the numbers that stay: (415) 867-5310, (415) 867-5311.",
        ),
        ("not a number", "Please give one number, with its area code."),
    ],
)
def test_a_new_main_number_outside_the_staying_numbers_is_refused_with_the_reason(
    chat, sent, expected
):
    to_new_btn(chat)

    reply = chat.form(new_btn=sent)

    assert chat.state == "new_btn"
    assert reply["errors"] == {"new_btn": [expected]}
    assert reply["input"]["kind"] == "choice"


def test_a_choice_that_is_not_a_staying_number_is_a_bad_request(chat):
    to_new_btn(chat)

    reply = chat.choose("+14158675309", status=400)

    assert reply["error"]["code"] == "bad_request"


def test_staying_numbers_sent_as_a_form_list_are_read_like_typed_ones(chat):
    to_staying_numbers(chat)

    reply = chat.form(remaining_numbers=["415 867 5310", "+1 (415) 867-5311"])

    assert reply["errors"] == {}
    assert chat.state == "remaining_action"
    chat.choose("keep")
    assert [c["id"] for c in chat.last["input"]["choices"]] == STAYING


def test_a_moving_number_in_the_staying_list_is_left_out_and_said(chat):
    to_staying_numbers(chat)

    chat.text("(415) 867-5309, (415) 867-5310")

    assert chat.state == "remaining_action"
    assert (
        "(415) 867-5309 is moving with this request, so I've left it off the "
        "numbers that stay."
    ) in chat.said()
    chat.choose("keep")
    assert [c["id"] for c in chat.last["input"]["choices"]] == ["+14158675310"]


def test_a_staying_list_of_only_moving_numbers_is_asked_again(chat):
    to_staying_numbers(chat)

    reply = chat.text("415-867-5309")

    assert chat.state == "remaining_numbers"
    assert reply["errors"] == {
        "remaining_numbers": [
            "Those are the numbers we're moving. Please type the ones that stay on "
            "the old account, or skip if you're not sure."
        ]
    }


def test_an_invalid_staying_entry_is_named_and_the_valid_ones_kept(chat):
    to_staying_numbers(chat)

    chat.text("415 867 5310, 415 86")

    assert chat.state == "remaining_action"
    assert "“415 86” has too few digits for a phone number; please check it." in (
        chat.said()
    )


def test_skipping_the_staying_numbers_keeps_the_typed_new_main_number(chat):
    to_staying_numbers(chat)

    chat.text("skip")
    chat.choose("keep")

    assert chat.state == "new_btn"
    assert chat.last["input"] == {
        "kind": "text",
        "field": "new_btn",
        "choices": [],
        "fields": [],
        "accept": [],
    }


def test_a_billing_number_that_stays_needs_no_new_main_number(chat, app):
    to_staying_numbers(chat, btn="(415) 867-5310")

    chat.text(STAYING_TEXT)
    chat.choose("keep")

    assert chat.state == "loa_details"


def test_answering_whole_account_after_all_forgets_the_staying_numbers(chat, app):
    to_staying_numbers(chat)
    chat.text(STAYING_TEXT)
    chat.post({"choice": "back"})
    assert chat.state == "remaining_numbers"
    chat.post({"choice": "back"})
    assert chat.state == "full_port"

    chat.choose("no")
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    fields = stored(app, finish(chat))["fields"]

    assert fields["partial_port"] is False
    assert "remaining_numbers" not in fields


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("carrier", "Pacific 🍜 Telecom"),
        ("account_number", "8812🍜3345009"),
        ("pin", "48🍜21"),
    ],
)
def test_the_provider_step_refuses_characters_the_letter_cannot_print(
    chat, field, value
):
    start_numbers(chat, MOVING)
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    assert chat.state == "provider"

    reply = chat.form(**{**PROVIDER, field: value})

    assert chat.state == "provider"
    assert reply["errors"] == {field: [UNPRINTABLE]}
    chat.form(**PROVIDER)
    assert chat.state == "full_port"


def test_the_provider_step_names_unprintable_characters_with_its_other_errors(chat):
    start_numbers(chat, MOVING)
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")

    reply = chat.form(**{**PROVIDER, "carrier": "Pacific 🍜 Telecom", "pin": ""})

    assert reply["errors"] == {
        "carrier": [UNPRINTABLE],
        "pin": [
            "Please enter the PIN, or tick the box if your provider doesn't use one."
        ],
    }


def wizard_at_staying_numbers(client) -> Wizard:
    wizard = Wizard(client)
    wizard.choose("port")
    wizard.text(MOVING)
    wizard.choose("landline")
    wizard.choose("yes")
    wizard.choose("none")
    wizard.form(**{**PROVIDER, "btn": MOVING})
    wizard.choose("yes")
    assert wizard.step == "remaining_numbers"
    return wizard


def test_the_wizard_asks_for_the_staying_numbers_then_offers_them_as_buttons(
    client,
):
    wizard = wizard_at_staying_numbers(client)
    assert "Numbers that stay" in wizard.html
    assert 'name="choice" value="skip">Skip</button>' in wizard.html

    wizard.text(STAYING_TEXT)
    wizard.choose("keep")

    assert wizard.step == "new_btn"
    assert 'name="choice" value="+14158675310">(415) 867-5310</button>' in (wizard.html)
    assert 'name="choice" value="+14158675311">(415) 867-5311</button>' in (wizard.html)
    assert "BTN" not in wizard.html
    wizard.choose("+14158675310")
    assert wizard.step == "loa_details"


def test_the_wizard_asks_again_for_an_empty_staying_numbers_box(client):
    wizard = wizard_at_staying_numbers(client)

    wizard.text("")

    assert wizard.step == "remaining_numbers"
    assert wizard.summary == [
        '<a href="#remaining_numbers">Please type the numbers that stay on the old '
        "account, or skip.</a>"
    ]


def test_the_wizard_provider_page_names_the_character_the_letter_cannot_print(
    client,
):
    wizard = Wizard(client)
    wizard.choose("port")
    wizard.text(MOVING)
    wizard.choose("landline")
    wizard.choose("yes")
    wizard.choose("none")

    wizard.form(**{**PROVIDER, "carrier": "Pacific 🍜 Telecom"})

    assert wizard.step == "provider"
    assert wizard.summary == [f'<a href="#carrier">{UNPRINTABLE}</a>']


def test_a_staying_entry_with_no_usable_number_says_what_is_wrong_with_it(chat):
    to_staying_numbers(chat)

    reply = chat.text("415 867")

    assert chat.state == "remaining_numbers"
    assert reply["errors"] == {
        "remaining_numbers": [
            "“415 867” has too few digits for a phone number; please check it. "
            "Type the numbers that stay with their area code, like "
            "(415) 555-2671, or skip if you're not sure."
        ]
    }
