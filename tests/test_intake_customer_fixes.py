from datetime import UTC
from datetime import datetime

import pytest

from assistant.knowledge import KnowledgeBase
from forms.validators import PHONE_MESSAGE
from forms.validators import PMB_MESSAGE
from forms.validators import STREET_NAME_MESSAGE
from forms.validators import check_service_address
from forms.validators import is_private_mailbox
from forms.validators import normalise_phone
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf
from tests.test_intake_steps import to_loa_details
from tests.test_intake_transcripts import bill_of
from tests.test_intake_transcripts import finish
from tests.test_intake_transcripts import start_numbers
from tests.test_intake_transcripts import stored
from tests.test_intake_transcripts import through_provider
from tests.test_intake_transcripts import to_documents
from tests.test_wizard import Wizard
from tests.test_wizard import walk

DECEMBER_10 = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


def field_values(reply) -> dict:
    return {f["name"]: f["value"] for f in reply["input"]["fields"]}


def to_provider(chat) -> None:
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    assert chat.state == "provider"


def to_campaign(chat) -> None:
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("a2p_10dlc")
    assert chat.state == "campaign"


def to_sign(chat) -> None:
    to_loa_details(chat)
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    chat.choose("skip")
    chat.choose("submit")
    assert chat.state == "sign"


# 1. Bad values are refused before they reach the letter.
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("contact_phone", "abc", PHONE_MESSAGE),
        ("contact_phone", "xyz", PHONE_MESSAGE),
        ("contact_phone", "415 867", PHONE_MESSAGE),
        ("service_street", "123", STREET_NAME_MESSAGE),
        ("service_unit", "PMB 123", PMB_MESSAGE),
        ("service_unit", "P.M.B. 4", PMB_MESSAGE),
        ("service_street", "55 Market St PMB 12", PMB_MESSAGE),
    ],
)
def test_a_bad_loa_value_is_refused_with_a_sentence_saying_what_works(
    chat, name, value, message
):
    to_loa_details(chat)

    reply = chat.form(**{**LOA_DETAILS, name: value})

    assert chat.state == "loa_details"
    assert reply["errors"] == {name: [message]}
    assert field_values(reply)[name] == value


def test_a_good_contact_phone_in_any_usual_spelling_passes(chat):
    to_loa_details(chat)

    chat.form(**{**LOA_DETAILS, "contact_phone": "+1 415.555.2671"})

    assert chat.state == "documents", chat.last


def test_a_billing_number_that_is_not_a_phone_number_is_refused(chat):
    to_provider(chat)

    reply = chat.form(**{**PROVIDER, "btn": "not a phone"})

    assert chat.state == "provider"
    assert reply["errors"] == {"btn": [PHONE_MESSAGE]}


@pytest.mark.parametrize(
    ("values", "field", "letter", "what"),
    [
        ({"tcr_brand_id": "xyz"}, "tcr_brand_id", "B", "brand"),
        ({"tcr_brand_id": "C123456"}, "tcr_brand_id", "B", "brand"),
        ({"tcr_campaign_id": "123"}, "tcr_campaign_id", "C", "campaign"),
        ({"tcr_campaign_id": "CABC12345"}, "tcr_campaign_id", "C", "campaign"),
    ],
)
def test_a_tcr_id_that_is_not_its_letter_and_six_characters_is_refused(
    chat, values, field, letter, what
):
    to_campaign(chat)

    reply = chat.form(vertical="other", **values)

    assert chat.state == "campaign"
    assert reply["errors"] == {
        field: [
            f"A {what} ID is the letter {letter} followed by 6 letters or digits, "
            f"like {letter}A1B2C3. You'll find it in your Campaign Registry "
            "account; or leave it empty."
        ]
    }


def test_tcr_ids_typed_in_lowercase_are_stored_in_uppercase(chat, app):
    to_campaign(chat)

    chat.form(tcr_brand_id=" babc123 ", tcr_campaign_id="cxyz789", vertical="other")
    chat.form(**PROVIDER)
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    fields = stored(app, finish(chat))["fields"]

    assert (fields["tcr_brand_id"], fields["tcr_campaign_id"]) == ("BABC123", "CXYZ789")


@pytest.mark.parametrize(
    ("text", "mailbox"),
    [
        ("PMB 123", True),
        ("pmb #7", True),
        ("Private Mailbox 12", True),
        ("Suite 400", False),
        ("PMB", True),
        ("Pembroke Ave", False),
    ],
)
def test_a_private_mailbox_is_told_apart_from_a_suite(text, mailbox):
    assert is_private_mailbox(text) is mailbox


def test_a_street_with_only_a_house_number_is_refused_by_the_address_check():
    errors = check_service_address("123", "", "San Francisco", "CA", "94103")

    assert errors == {"service_street": [STREET_NAME_MESSAGE]}


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("(415) 555-2671", "+14155552671"),
        ("abc", None),
        ("not a phone", None),
        ("123", None),
        ("", None),
    ],
)
def test_a_phone_number_is_read_with_phonenumbers(text, e164):
    assert normalise_phone(text) == e164


# 2. Every error of a form comes back in one reply.
def test_every_loa_problem_including_the_wished_date_comes_back_in_one_reply(
    tmp_path,
):
    chat = Chat(build_app(make_config(tmp_path, NOW=lambda: DECEMBER_10)).test_client())
    to_loa_details(chat)

    reply = chat.form(
        **{
            **LOA_DETAILS,
            "contact_phone": "abc",
            "service_street": "123",
            "service_unit": "PMB 123",
            "service_zip": "1234",
            "requested_date": "2020-01-01",
        }
    )

    assert chat.state == "loa_details"
    assert set(reply["errors"]) == {
        "contact_phone",
        "service_street",
        "service_unit",
        "service_zip",
        "requested_date",
    }
    assert reply["errors"]["requested_date"] == [
        "Wednesday, January 1, 2020 is already in the past. Please pick a business "
        "day from Thursday, December 17, 2026 on, or leave it empty for the "
        "earliest date."
    ]
    assert "Almost there: please check the 5 highlighted fields." in chat.said()


def test_the_signing_step_flags_the_consent_and_the_wrong_name_together(chat):
    to_sign(chat)

    reply = chat.form(signature_name="John Smith")

    assert chat.state == "sign"
    assert reply["errors"] == {
        "signature_name": [
            "Please type the authorized person's name as entered: Jane Doe. If "
            "someone else should sign, go back and change the authorized person."
        ],
        "signature_consent": ["Please tick the box to agree to sign electronically."],
    }


def test_the_wizard_shows_every_signing_problem_on_one_page(client):
    wizard = Wizard(client)
    walk(wizard, "review")
    wizard.choose("submit")
    assert wizard.step == "sign"

    wizard.form(signature_name="John Smith")

    assert wizard.step == "sign"
    assert len(wizard.summary) == 2
    assert "Please tick the box" in " ".join(wizard.summary)
    assert "as entered: Jane Doe" in " ".join(wizard.summary)


# 3. Several requests are counted and each next one is named.
def test_three_requests_are_counted_and_each_next_one_names_its_numbers(chat, app):
    local = [f"415 867 53{n:02d}" for n in range(1, 7)]
    start_numbers(chat, ", ".join([*local, "1-888-555-2671"]))
    chat.choose("landline")
    through_provider(chat)
    assert chat.state == "same_account"
    chat.choose("no")
    chat.text(", ".join(local[:5]))
    assert "Thanks. 1 other number goes on their own request" in chat.said()
    to_documents(chat)
    chat.upload("bill", bill_of(*local[:5]), "bill.pdf")
    first = finish(chat)

    assert (
        "There are 2 more requests to go: (415) 867-5306; (888) 555-2671."
        in chat.said()
    )
    assert "one more request" not in chat.said()

    chat.choose("next")
    assert "Let's do the next request, for (415) 867-5306." in chat.said()
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**{**PROVIDER, "account_number": "99887766"})
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_of("(415) 867-5306"), "bill.pdf")
    second = finish(chat)

    assert "There's one more request to go, for (888) 555-2671." in chat.said()
    chat.choose("next")
    assert "Let's do the next request, for (888) 555-2671." in chat.said()
    assert stored(app, first)["numbers"] == [f"+1415867530{n}" for n in range(1, 6)]
    assert stored(app, second)["numbers"] == ["+14158675306"]


def test_the_last_request_says_nothing_is_left_to_go(chat):
    to_sign(chat)
    chat.form(signature_name="Jane Doe", signature_consent="yes")

    assert chat.state == "submitted"
    assert "request to go" not in chat.said()
    assert "requests to go" not in chat.said()


# 4. Reserved fictional numbers are left out like invalid entries.
def test_a_fictional_number_among_real_ones_is_left_out_before_any_check(chat, app):
    start_numbers(chat, "415 867 5309, (212) 555-0143")

    assert chat.state == "number_type"
    assert "We found 1 number." in chat.said()
    assert (
        "“(212) 555-0143” is a number reserved for films and examples, so it can't "
        "be moved and we've left it out."
    ) in chat.said()
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**PROVIDER)
    assert chat.state == "full_port"


def test_a_fictional_number_in_an_uploaded_list_is_left_out(chat):
    chat.choose("port")
    csv = b"Name,Phone\nDesk,(415) 867-5309\nFilm,(212) 555-0143\n"
    chat.upload("number_list", csv, "numbers.csv")

    assert chat.state == "number_type"
    assert "We found 1 number." in chat.said()
    assert "“(212) 555-0143” is a number reserved for films" in chat.said()


# 5. "No" to carrying on goes back to the numbers with the list kept.
def test_no_to_carrying_on_goes_back_to_the_numbers_and_lists_them(chat):
    start_numbers(chat, "1-900-234-5678, 415 867 5309")
    chat.choose("landline")
    chat.choose("yes")
    assert chat.state == "ineligible_some"

    chat.choose("no")

    assert chat.state == "numbers"
    assert "let's start again" not in chat.said()
    assert (
        "No problem, nothing is lost. The numbers you entered were: "
        "(900) 234-5678, (415) 867-5309. Send the list again with the changes "
        "you'd like."
    ) in chat.said()
    chat.text("415 867 5309")
    assert chat.state == "number_type"


def test_no_to_carrying_on_prefills_the_numbers_box_in_the_wizard(client):
    wizard = Wizard(client)
    wizard.choose("port")
    wizard.text("1-900-234-5678, 415 867 5309")
    wizard.choose("landline")
    wizard.choose("yes")
    assert wizard.step == "ineligible_some"

    wizard.choose("no")

    assert wizard.step == "numbers"
    assert "(900) 234-5678\n(415) 867-5309</textarea>" in wizard.html


# 6. Natural answers to choice steps are understood.
@pytest.mark.parametrize(
    ("numbers", "kind", "said", "state"),
    [
        ("415 867 5309", "mobile", "yes", "campaign"),
        ("415 867 5309", "mobile", "Yes!", "campaign"),
        ("415 867 5309", "mobile", "no", "provider"),
        ("415 867 5309", "mobile", "calls only", "provider"),
        ("415 867 5309", "mobile", "not sure", "provider"),
        ("1-888-234-5678", None, "texts from this toll-free number", "provider"),
        ("1-888-234-5678", None, "yes", "provider"),
    ],
)
def test_the_texting_question_takes_yes_no_and_part_of_a_label(
    chat, app, numbers, kind, said, state
):
    start_numbers(chat, numbers)
    if kind:
        chat.choose(kind)
    chat.choose("yes")
    assert chat.state == "messaging_use"

    chat.text(said)

    assert chat.state == state, chat.last


def test_an_answer_a_choice_step_cannot_use_gets_the_answers_that_work(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("mobile")
    chat.choose("yes")

    chat.text("purple")

    assert chat.state == "messaging_use"
    assert (
        "Sorry, I didn't quite get that. Please choose “Yes, business texts on a "
        "registered 10DLC campaign”, “No, calls only” or “I'm not sure”, or type "
        "yes or no where that fits."
    ) in chat.said()


def test_a_reply_that_is_not_an_email_at_the_person_step_says_what_to_type(chat):
    chat.choose("port")
    chat.text("talk to a person")
    assert chat.state == "human"

    chat.text("not an email")

    assert chat.state == "human"
    assert (
        "Please type the e-mail address our team should write to, like "
        "name@company.com, or choose Back to carry on without it."
    ) in chat.said()


def test_words_typed_for_the_numbers_stay_in_the_wizards_box(client):
    wizard = Wizard(client)
    wizard.choose("port")

    wizard.text("hello world")

    assert wizard.step == "numbers"
    assert ">hello world</textarea>" in wizard.html


# 7. Google Voice gets its own help.
def test_a_google_voice_number_gets_its_own_account_help_and_no_bill_hint(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("google_voice")
    chat.choose("yes")
    chat.choose("none")

    assert chat.state == "provider"
    said = chat.said()
    assert "Google Voice doesn't send a bill." in said
    assert "unlock the number for transfer in your Google Voice settings" in said
    assert "is on your bill" not in said


# 8. Wording.
def test_the_review_shows_the_service_address_without_a_stray_space(chat):
    to_loa_details(chat)
    chat.form(
        **{**LOA_DETAILS, "service_street": "2200 Mission Street", "service_unit": ""}
    )
    chat.upload("bill", bill_pdf(), "bill.pdf")
    # The bill shows another street, so its finding keeps the upload step open.
    chat.choose("done")
    chat.choose("skip")
    assert chat.state == "review"

    assert "Service address: 2200 Mission Street, San Francisco, CA 94103" in (
        chat.said()
    )


def test_two_numbers_are_asked_about_as_both_numbers(chat):
    start_numbers(chat, "415 867 5309, 415 867 5310")
    chat.choose("landline")
    through_provider(chat)

    assert "Are both numbers on this one account with Pacific Coast Telecom?" in (
        chat.said()
    )


def test_a_us_month_day_year_date_is_read(tmp_path):
    chat = Chat(build_app(make_config(tmp_path, NOW=lambda: DECEMBER_10)).test_client())
    to_loa_details(chat)

    chat.form(**{**LOA_DETAILS, "requested_date": "12/21/2026"})

    assert chat.state == "documents", chat.last


def test_a_too_long_value_gets_our_sentence_naming_the_field_and_limit(chat):
    to_loa_details(chat)

    reply = chat.form(**{**LOA_DETAILS, "business_name": "A" * 101})

    assert reply["errors"] == {
        "business_name": ["Please keep the business name to 100 characters or fewer."]
    }


def test_an_unknown_select_value_gets_our_sentence_naming_the_field(chat):
    to_provider(chat)

    reply = chat.form(**{**PROVIDER, "account_type": "corporate"})

    assert reply["errors"] == {
        "account_type": [
            "Please choose the account type from the list: Business, Residential."
        ]
    }


# 9. The question step.
@pytest.mark.parametrize("said", ["hi", "Hello!", "hey there", "good morning"])
def test_a_greeting_gets_a_friendly_hello_with_the_menu(chat, said):
    reply = chat.text(said)

    assert chat.state == "welcome"
    assert reply["messages"][0]["text"].startswith("Hello! I can help you bring")
    assert "not sure I can help" not in chat.said()
    assert all(m["topic"] is None for m in reply["messages"])
    labels = [c["label"] for c in reply["input"]["choices"]]
    assert labels[:3] == ["Port my numbers", "Ask a question", "Check a request"]


def test_the_question_steps_invite_is_said_once_not_after_every_answer(chat):
    chat.choose("faq")
    invite = "Sure, ask me anything about porting."
    assert invite in chat.said()

    chat.text("how long does a port take?")
    assert invite not in chat.said()
    chat.text("what documents do I need?")
    assert invite not in chat.said()


@pytest.mark.parametrize(
    ("question", "topic", "explains"),
    [
        ("what's a PIN?", "pin-account-unknown", "short passcode on your account"),
        ("what is 10DLC?", "10dlc-registration", "10DLC means sending business texts"),
    ],
)
def test_what_is_questions_say_what_the_thing_is(question, topic, explains):
    answer = KnowledgeBase.load().ask(question)

    assert answer.topic == topic
    assert explains in answer.text
