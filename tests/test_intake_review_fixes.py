import pytest
from sqlalchemy import select

from assistant.extensions import db
from assistant.models import PortRequest
from assistant.submission import request_documents
from forms.validators import EXAMPLE_PHONE
from forms.validators import PHONE_MESSAGE
from tests.conftest import Chat
from tests.intake_data import NUMBER_E164
from tests.intake_data import NUMBER_TEXT
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf
from tests.test_intake_partial_port import to_staying_numbers
from tests.test_intake_transcripts import TOLL_FREE_TEXT
from tests.test_intake_transcripts import bill_of
from tests.test_intake_transcripts import finish
from tests.test_intake_transcripts import start_numbers
from tests.test_intake_transcripts import stored
from tests.test_intake_transcripts import through_provider
from tests.test_intake_transcripts import to_documents

OTHER_TOLL_FREE_TEXT = "1-877-555-2671"
OTHER_TOLL_FREE_E164 = "+18775552671"


def send_toll_free(chat, text: str) -> str:
    """Take a toll-free request from the numbers step to its reference."""
    assert chat.state == "active", chat.last
    through_provider(chat)
    to_documents(chat)
    chat.upload("receipt", bill_of(text), "receipt.pdf")
    return finish(chat)


def to_second_request_numbers(chat, client) -> str:
    """Send the local request, then say no to a toll-free one with a taken number."""
    other = Chat(client)
    start_numbers(other, TOLL_FREE_TEXT)
    send_toll_free(other, TOLL_FREE_TEXT)

    start_numbers(chat, f"{NUMBER_TEXT}, {TOLL_FREE_TEXT}, {OTHER_TOLL_FREE_TEXT}")
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    first = finish(chat)
    chat.choose("next")
    chat.choose("yes")
    assert chat.state == "ineligible_some", chat.last
    chat.choose("no")
    assert chat.state == "numbers", chat.last
    return first


def requests_of(app, chat) -> list[tuple[int, list[str]]]:
    with app.app_context():
        found = db.session.scalars(
            select(PortRequest)
            .where(PortRequest.conversation_id == chat.id)
            .order_by(PortRequest.group_index)
        ).all()
        return [(r.group_index, [n.e164 for n in r.numbers]) for r in found]


# 1. Changing the numbers after "no" to carrying on.
def test_back_from_the_changed_numbers_goes_where_the_numbers_step_led(chat):
    start_numbers(chat, "1-900-234-5678, 415 867 5309")
    chat.choose("landline")
    chat.choose("yes")
    assert chat.state == "ineligible_some"
    chat.choose("no")

    chat.text("back")

    assert chat.state == "welcome", chat.last
    assert "The rest can move" not in chat.said()


def test_the_later_request_lists_only_its_own_numbers_to_change(chat, client):
    to_second_request_numbers(chat, client)

    assert (
        "No problem, nothing is lost. The numbers you entered were: "
        "(888) 555-2671, (877) 555-2671. Send the list again with the changes "
        "you'd like."
    ) in chat.said()
    assert "(415) 867-5309" not in chat.said()


def test_numbers_sent_again_for_a_later_request_make_a_request_of_their_own(
    chat, client, app
):
    first = to_second_request_numbers(chat, client)

    chat.text(OTHER_TOLL_FREE_TEXT)
    second = send_toll_free(chat, "(877) 555-2671")

    assert second != first
    assert stored(app, first)["numbers"] == [NUMBER_E164]
    assert stored(app, second)["numbers"] == [OTHER_TOLL_FREE_E164]
    assert requests_of(app, chat) == [(0, [NUMBER_E164]), (1, [OTHER_TOLL_FREE_E164])]


def test_a_number_already_sent_is_left_out_of_the_next_request_kindly(
    chat, client, app
):
    first = to_second_request_numbers(chat, client)

    chat.text(f"{NUMBER_TEXT}, {OTHER_TOLL_FREE_TEXT}")

    assert (
        f"(415) 867-5309 is already on request {first} that you sent, so I've left "
        "it out here. You can check that request's status at any time."
    ) in chat.said()
    assert chat.state == "active", chat.last
    second = send_toll_free(chat, "(877) 555-2671")
    assert stored(app, second)["numbers"] == [OTHER_TOLL_FREE_E164]


def test_only_numbers_already_sent_are_refused_with_what_to_do(chat, client):
    first = to_second_request_numbers(chat, client)

    chat.text(NUMBER_TEXT)

    assert chat.state == "numbers", chat.last
    assert f"(415) 867-5309 is already on request {first}" in chat.said()
    assert (
        "I couldn't find a number I can use there. Please check it and send it "
        f"again, for example {EXAMPLE_PHONE}."
    ) in chat.said()


def test_porting_more_numbers_after_a_request_makes_a_new_one(chat, app):
    start_numbers(chat, NUMBER_TEXT)
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    first = finish(chat)

    chat.choose("port")
    chat.text(OTHER_TOLL_FREE_TEXT)
    second = send_toll_free(chat, "(877) 555-2671")

    assert second != first
    assert requests_of(app, chat) == [(0, [NUMBER_E164]), (1, [OTHER_TOLL_FREE_E164])]


# 2. A question is never taken for a choice it names.
@pytest.mark.parametrize("question", ["voip?", "is voip ok?", "VoIP ok?", "is voip ok"])
def test_a_question_naming_a_number_type_is_not_taken_as_that_type(chat, question):
    start_numbers(chat, NUMBER_TEXT)
    assert chat.state == "number_type"

    reply = chat.text(question)

    assert chat.state == "number_type", chat.last
    assert any(m["kind"] in ("faq", "text") for m in reply["messages"])
    assert reply["messages"][-1]["text"].startswith("What kind of number")


@pytest.mark.parametrize("said", ["voip", "VoIP", "google voice"])
def test_a_number_type_typed_as_an_answer_still_picks_it(chat, said):
    start_numbers(chat, NUMBER_TEXT)

    chat.text(said)

    assert chat.state == "active", chat.last


# 3. Yes or no is offered only where it answers.
def test_a_choice_step_without_yes_or_no_does_not_offer_them(chat):
    start_numbers(chat, NUMBER_TEXT)

    chat.text("purple")

    assert (
        "Sorry, I didn't quite get that. Please choose “Mobile”, “Landline”, "
        "“VoIP (internet phone)” or “Google Voice”."
    ) in chat.said()


def test_a_yes_no_step_still_offers_yes_or_no(chat):
    start_numbers(chat, NUMBER_TEXT)
    chat.choose("landline")

    chat.text("purple")

    assert (
        "Sorry, I didn't quite get that. Please choose “Yes” or “No”, or type yes "
        "or no where that fits."
    ) in chat.said()


# 4. The main-number step asks for one number.
def test_the_main_number_step_asks_again_for_one_number(chat):
    to_staying_numbers(chat)
    chat.text("skip")
    chat.choose("keep")
    assert chat.last["input"]["kind"] == "text"

    chat.text("purple")

    assert chat.state == "new_btn", chat.last
    assert (
        "Please type the one number that stays and should become the account's "
        f"main number, with its area code, like {EXAMPLE_PHONE}."
    ) in chat.said()
    assert EXAMPLE_PHONE in PHONE_MESSAGE


def to_second_provider_form(chat) -> str:
    """Send the local part of a mixed list and reach the toll-free part's form."""
    start_numbers(chat, f"{NUMBER_TEXT}, {TOLL_FREE_TEXT}")
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    first = finish(chat)
    chat.choose("next")
    chat.choose("yes")
    chat.choose("none")
    assert chat.state == "provider", chat.last
    return first


def secrets_of(app, reference: str) -> dict:
    with app.app_context():
        return db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        ).secrets


def test_the_next_request_starts_with_the_provider_details_of_the_one_before(app, chat):
    to_second_provider_form(chat)

    shown = {f["name"]: f["value"] for f in chat.last["input"]["fields"]}
    assert shown["carrier"] == PROVIDER["carrier"]
    assert shown["account_type"] == "business"
    assert shown["account_number"] == "•••••••••09"
    assert shown["pin"] == "••••"
    assert PROVIDER["account_number"] not in str(chat.last)

    chat.form(**{name: shown[name] for name in PROVIDER})
    to_documents(chat)
    chat.upload("receipt", bill_of(TOLL_FREE_TEXT), "receipt.pdf")
    second = finish(chat)

    assert stored(app, second)["fields"]["carrier"] == PROVIDER["carrier"]
    assert secrets_of(app, second) == {
        "account_number": PROVIDER["account_number"],
        "pin": PROVIDER["pin"],
    }


def test_a_detail_changed_on_the_next_requests_form_replaces_the_carried_one(app, chat):
    to_second_provider_form(chat)
    shown = {f["name"]: f["value"] for f in chat.last["input"]["fields"]}

    chat.form(**{**{name: shown[name] for name in PROVIDER}, "pin": "7315"})
    to_documents(chat)
    chat.upload("receipt", bill_of(TOLL_FREE_TEXT), "receipt.pdf")
    second = finish(chat)

    assert secrets_of(app, second) == {
        "account_number": PROVIDER["account_number"],
        "pin": "7315",
    }


def to_second_documents(chat, bill: bytes, filename: str) -> str:
    """Send the local part of a mixed list with ``bill``; reach the toll-free part's
    documents step with the provider details carried over."""
    start_numbers(chat, f"{NUMBER_TEXT}, {TOLL_FREE_TEXT}")
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    chat.upload("bill", bill, filename)
    first = finish(chat)
    chat.choose("next")
    chat.choose("yes")
    chat.choose("none")
    shown = {f["name"]: f["value"] for f in chat.last["input"]["fields"]}
    chat.form(**{name: shown[name] for name in PROVIDER})
    to_documents(chat)
    return first


def test_the_next_request_can_use_the_bill_sent_for_the_one_before(app, chat):
    both = bill_of(NUMBER_TEXT, TOLL_FREE_TEXT)
    first = to_second_documents(chat, both, "both-numbers.pdf")

    assert [c["id"] for c in chat.last["input"]["choices"]] == ["reuse"]
    chat.choose("reuse")
    assert "I've added both-numbers.pdf to this request too" in chat.said()
    second = finish(chat)

    with app.app_context():
        for reference in (first, second):
            request = db.session.scalar(
                select(PortRequest).where(PortRequest.reference == reference)
            )
            (bill,) = request_documents(request)
            assert bill.filename == "both-numbers.pdf"
            numbers = next(f for f in bill.findings if f["code"] == "numbers")
            assert numbers["ok"], numbers


def test_a_bill_without_the_next_requests_number_is_named_when_used_again(chat):
    to_second_documents(chat, bill_pdf(), "local-bill.pdf")

    chat.choose("reuse")

    assert chat.state == "documents"
    assert "We couldn't find the number ending in 2671 on this bill." in chat.said()
    assert [c["id"] for c in chat.last["input"]["choices"]] == ["done"]
