from datetime import UTC
from datetime import datetime

import pytest

from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.intake_data import run_to_review
from tests.test_intake_partial_port import to_new_btn
from tests.test_intake_steps import to_loa_details
from tests.test_intake_transcripts import EVIDENCE
from tests.test_intake_transcripts import bill_of
from tests.test_intake_transcripts import finish
from tests.test_intake_transcripts import start_numbers
from tests.test_intake_transcripts import through_provider
from tests.test_intake_transcripts import to_documents

DECEMBER_10 = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def december_chat(tmp_path):
    return Chat(build_app(make_config(tmp_path, NOW=lambda: DECEMBER_10)).test_client())


@pytest.mark.parametrize(
    ("wished", "problem"),
    [
        ("2027-02-30", "February has no 30th day"),
        ("2027-02-29", "February 2027 has no 29th day"),
        ("2027-04-31", "April has no 31st day"),
        ("2027-13-01", "There's no month 13"),
        ("12/40/2026", "December has no 40th day"),
    ],
)
def test_a_well_written_date_that_is_not_in_the_calendar_is_called_not_real(
    december_chat, wished, problem
):
    to_loa_details(december_chat)

    reply = december_chat.form(**{**LOA_DETAILS, "requested_date": wished})

    assert reply["errors"] == {
        "requested_date": [
            f"{problem}, so that isn't a real date. Please pick a day from "
            "2026-12-17 to 2027-01-08, written as YYYY-MM-DD."
        ]
    }


@pytest.mark.parametrize("wished", ["tomorrow", "soon", "2027/01/04"])
def test_an_unreadable_date_gets_a_bookable_example_and_the_latest_date(
    december_chat, wished
):
    to_loa_details(december_chat)

    reply = december_chat.form(**{**LOA_DETAILS, "requested_date": wished})

    assert reply["errors"] == {
        "requested_date": [
            "Please give the date as YYYY-MM-DD, for example 2026-12-17; the "
            "latest date we can book is 2027-01-08."
        ]
    }


def test_the_example_date_of_the_format_sentence_is_itself_accepted(december_chat):
    to_loa_details(december_chat)

    december_chat.form(**{**LOA_DETAILS, "requested_date": "2026-12-17"})

    assert december_chat.state == "documents", december_chat.last


def to_first_of_two_sent(chat) -> None:
    start_numbers(chat, "415 867 5309, 1-888-555-2671")
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    chat.upload("bill", bill_of("(415) 867-5309"), "bill.pdf")
    finish(chat)
    assert "There's one more request to go, for (888) 555-2671." in chat.said()


@pytest.mark.parametrize(
    "said", ["yes", "Yes!", "looks right", "all good", "Looks good."]
)
def test_agreeing_at_the_review_picks_the_sign_choice(chat, said):
    run_to_review(chat)

    chat.text(said)

    assert chat.state == "sign", chat.last


@pytest.mark.parametrize("said", ["yes but the PIN is wrong", "no"])
def test_anything_but_plain_agreement_at_the_review_does_not_sign(chat, said):
    run_to_review(chat)

    chat.text(said)

    assert chat.state == "review"
    assert "yes or no" not in chat.said()


@pytest.mark.parametrize("said", ["yes", "next", "Next one"])
def test_agreeing_after_a_submit_starts_the_waiting_request(chat, said):
    to_first_of_two_sent(chat)

    chat.text(said)

    assert "Let's do the next request, for (888) 555-2671." in chat.said()


def test_a_message_not_understood_after_a_submit_does_not_repeat_the_confirmation(
    chat,
):
    to_first_of_two_sent(chat)

    chat.text("purple")

    said = chat.said()
    assert chat.state == "submitted"
    assert "Sorry, I didn't quite get that. Please choose “Start the next request”" in (
        said
    )
    assert "Done! Your request is in" not in said
    assert "yes or no" not in said
    assert [c["id"] for c in chat.last["input"]["choices"]] == [
        "next",
        "status",
        "port",
    ]


@pytest.mark.parametrize(
    ("said", "picked"),
    [
        ("5311", "+14158675311"),
        ("the one ending 5310", "+14158675310"),
        ("ending in 5311 please", "+14158675311"),
    ],
)
def test_the_last_four_digits_pick_one_of_the_offered_main_numbers(chat, said, picked):
    to_new_btn(chat)

    chat.text(said)

    assert chat.state == "loa_details", chat.last
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_of("(415) 867-5309"), "bill.pdf")
    chat.choose("skip")
    assert f"New main (billing) number: ({picked[2:5]}) {picked[5:8]}-{picked[8:]}" in (
        chat.said()
    )


def test_four_digits_that_end_no_offered_number_are_not_taken(chat):
    to_new_btn(chat)

    chat.text("9999")

    assert chat.state == "new_btn"
    assert "Sorry, I didn't quite get that." in chat.said()


@pytest.mark.parametrize("said", ["skip it", "no thanks", "No thank you.", "not now"])
def test_turning_the_optional_csr_down_in_words_skips_it(chat, said):
    run_to_review(chat)
    chat.choose("edit_documents")
    chat.choose("done")
    assert chat.state == "csr", chat.last

    chat.text(said)

    assert chat.state == "review", chat.last


def review_lines(chat) -> list[str]:
    return [m["text"] for m in chat.last["messages"]]


def test_the_review_lists_texting_the_10dlc_ids_and_the_contact_phone(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    through_provider(chat, messaging="a2p_10dlc")
    to_documents(chat)
    chat.upload("bill", bill_of("(415) 867-5309"), "bill.pdf")
    chat.choose("skip")

    lines = review_lines(chat)
    assert "Texting: yes, business texts on a 10DLC campaign" in lines
    assert "10DLC brand ID: BABC123; campaign ID: CXYZ789" in lines
    assert (
        "Signing: Jane Doe, Owner; contact jane.doe@acmeplumbing.com, (415) 555-2671"
        in lines
    )
    assert not any(line.startswith("Request ") for line in lines)


def test_the_review_of_a_partial_port_lists_what_stays_and_the_new_main_number(chat):
    to_new_btn(chat)
    chat.choose("+14158675311")
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_of("(415) 867-5309"), "bill.pdf")
    chat.choose("skip")

    lines = review_lines(chat)
    assert "Texting: no, calls only" in lines
    assert "Whole account moving: no" in lines
    assert "Staying on the old account: (415) 867-5310, (415) 867-5311" in lines
    assert "Numbers that stay: kept with the old provider" in lines
    assert "New main (billing) number: (415) 867-5311" in lines
    assert f"Current billing number: {'•' * 10}09" in lines
    assert "4158675309" not in " ".join(lines)


def test_the_review_of_a_disconnecting_partial_port_says_so(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    through_provider(chat)
    chat.choose("yes")
    chat.text("(415) 867-5310")
    chat.choose("disconnect")
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_of("(415) 867-5309"), "bill.pdf")
    chat.choose("skip")

    lines = review_lines(chat)
    assert "Numbers that stay: disconnected" in lines
    assert not any(line.startswith("New main") for line in lines)


def test_the_review_of_each_of_several_requests_says_which_one_it_is(chat):
    start_numbers(chat, "415 867 5309, 1-888-555-2671")
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    chat.upload("bill", bill_of("(415) 867-5309"), "bill.pdf")
    chat.choose("skip")

    assert review_lines(chat)[1:3] == ["Request 1 of 2:", "Numbers: (415) 867-5309"]


def test_talking_to_a_person_offers_the_back_choice_its_hint_names(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    chat.choose("human")

    assert chat.last["input"]["choices"] == [{"id": "back", "label": "Back"}]
    chat.text("purple")
    assert "or choose Back to carry on without it." in chat.said()

    chat.choose("back")
    assert chat.state == "active", chat.last


def test_a_google_voice_number_is_not_asked_about_other_numbers_on_its_account(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("google_voice")
    through_provider(chat)

    assert chat.state == "loa_details", chat.last
    assert "Does that account have other numbers" not in chat.said()


def test_changing_a_google_voice_provider_from_the_review_goes_back_to_the_review(
    chat,
):
    start_numbers(chat, "415 867 5309")
    chat.choose("google_voice")
    through_provider(chat)
    chat.form(**LOA_DETAILS)
    kind, make, filename = EVIDENCE["google_voice"]
    chat.upload(kind, make(), filename)
    chat.choose("skip")
    assert chat.state == "review", chat.last
    assert "Whole account moving: yes" in review_lines(chat)

    chat.choose("edit_provider")
    chat.form(**PROVIDER)

    assert chat.state == "review", chat.last


def test_several_google_voice_numbers_are_still_asked_about_their_accounts(chat):
    start_numbers(chat, "415 867 5309, 415 867 5310")
    chat.choose("google_voice")
    through_provider(chat)

    assert chat.state == "same_account", chat.last


def test_the_numbers_step_error_shows_an_example_that_is_a_usable_number(chat):
    start_numbers(chat, "212-555-0143")

    assert chat.state == "numbers"
    assert (
        "I couldn't find a number I can use there. Please check it and send it "
        "again, for example (415) 555-2671." in chat.said()
    )
    chat.text("(415) 555-2671")
    assert chat.state == "number_type", chat.last


@pytest.mark.parametrize(
    ("typed", "question"),
    [
        ("(212) 736-4011", "What kind of number is (212) 736-4011?"),
        (
            "(212) 736-4011\n(212) 736-4012",
            "What kind of numbers are (212) 736-4011 and (212) 736-4012? If they "
            "differ, pick the kind most of them are; a number of another kind can "
            "go on its own request later.",
        ),
        (
            "(212) 736-4011, (212) 736-4012, (212) 736-4013",
            "What kind of numbers are (212) 736-4011, (212) 736-4012 and "
            "(212) 736-4013? If they differ",
        ),
        (
            "\n".join(f"(212) 736-40{n}" for n in range(11, 18)),
            "What kind of numbers are (212) 736-4011, (212) 736-4012, "
            "(212) 736-4013, (212) 736-4014, (212) 736-4015 and 2 more?",
        ),
    ],
)
def test_the_number_type_question_names_the_numbers_it_asks_about(
    chat, typed, question
):
    start_numbers(chat, typed)

    assert chat.state == "number_type", chat.last
    assert chat.last["messages"][-1]["text"].startswith(question)
