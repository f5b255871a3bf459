from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import select

from assistant import submission
from assistant.eligibility import CHECK_STATUS
from assistant.eligibility import NEW_LOCAL
from assistant.eligibility import NEW_TOLL_FREE
from assistant.eligibility import TEAM_HELP
from assistant.eligibility import TEMPORARY
from assistant.extensions import db
from assistant.models import Document
from assistant.models import PortRequest
from tests import docgen
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf
from tests.test_intake_e2e import pdf_fields

TOLL_FREE_TEXT = "1-888-555-2671"
LOCAL_TYPES = ["mobile", "landline", "voip", "google_voice"]
EVERY_ALTERNATIVE = [NEW_LOCAL, NEW_TOLL_FREE, TEMPORARY, TEAM_HELP]


def start_numbers(chat, text: str) -> None:
    chat.choose("port")
    chat.text(text)


def through_provider(chat, messaging: str = "none", **provider) -> None:
    chat.choose("yes")
    assert chat.state == "messaging_use", chat.last
    chat.choose(messaging)
    if messaging == "a2p_10dlc":
        assert chat.state == "campaign"
        chat.form(tcr_brand_id="BABC123", tcr_campaign_id="CXYZ789", vertical="other")
    assert chat.state == "provider", chat.last
    chat.form(**{**PROVIDER, **provider})


def to_documents(chat) -> None:
    if chat.state == "same_account":
        chat.choose("yes")
    # A Google Voice account holds one number, so it is never asked what stays.
    if chat.state == "full_port":
        chat.choose("no")
    assert chat.state == "loa_details", chat.last
    chat.form(**LOA_DETAILS)
    assert chat.state == "documents", chat.last


def finish(chat) -> str:
    assert chat.state == "csr", chat.last
    chat.choose("skip")
    assert chat.state == "review", chat.last
    chat.choose("submit")
    reply = chat.form(signature_name="Jane Doe", signature_consent="yes")
    assert chat.state == "submitted", chat.last
    return reply["reference"]


def stored(app, reference: str) -> dict:
    """The submitted request as the porting team receives it."""
    with app.app_context():
        request = db.session.scalar(
            select(PortRequest).where(PortRequest.reference == reference)
        )
        kinds = db.session.scalars(
            select(Document.kind).where(
                Document.conversation_id == request.conversation_id,
                Document.group_index == request.group_index,
            )
        ).all()
        return {
            "number_type": request.number_type,
            "numbers": [n.e164 for n in request.numbers],
            "fields": request.fields,
            "documents": kinds,
        }


def said_lines(chat) -> list[str]:
    return [m["text"] for m in chat.last["messages"]]


def bill_of(*numbers: str) -> bytes:
    return docgen.text_pdf_bill(docgen.Bill(numbers=numbers, lines=("Main",) * 9))


EVIDENCE = {
    "mobile": ("bill", lambda: bill_pdf(), "statement.pdf"),
    "landline": ("bill", lambda: bill_pdf(), "bill.pdf"),
    "voip": (
        "portal_screenshot",
        lambda: docgen.portal_screenshot_png(("(415) 867-5309",)),
        "portal.png",
    ),
    "google_voice": (
        "google_voice_screenshot",
        lambda: docgen.google_voice_screenshot_png(
            "(415) 867-5309", LOA_DETAILS["contact_email"]
        ),
        "gv.png",
    ),
    "toll_free": ("receipt", lambda: bill_of("(888) 555-2671"), "receipt.pdf"),
}


# One transcript per number type.
@pytest.mark.parametrize(
    ("number_type", "typed", "e164", "accept", "hint", "provider"),
    [
        (
            "mobile",
            "(415) 867-5309",
            "+14158675309",
            ["bill", "csr"],
            "A good one shows your name or business name, the billing address and "
            "the numbers you're moving.",
            {},
        ),
        (
            "landline",
            "415.867.5309",
            "+14158675309",
            ["bill", "receipt", "portal_screenshot", "csr"],
            "If your provider doesn't send bills, a purchase receipt or a screenshot "
            "of your account portal listing the numbers works too.",
            {},
        ),
        (
            "voip",
            "+1 415 867 5309",
            "+14158675309",
            ["bill", "receipt", "portal_screenshot", "csr"],
            "If your provider doesn't send bills, a purchase receipt or a screenshot "
            "of your account portal listing the numbers works too.",
            {},
        ),
        (
            "google_voice",
            "415 867 5309",
            "+14158675309",
            ["google_voice_screenshot", "csr"],
            "A good one shows the number and the Google account e-mail on the same "
            "screen.",
            {"carrier": "Google Voice", "pin": "", "no_pin": True},
        ),
        (
            "toll_free",
            TOLL_FREE_TEXT,
            "+18885552671",
            ["bill", "receipt", "portal_screenshot", "csr"],
            "If your provider doesn't send bills, a purchase receipt or a screenshot "
            "of your account portal listing the numbers works too.",
            {},
        ),
    ],
)
def test_each_number_type_runs_to_a_request_with_its_own_evidence(
    chat, app, number_type, typed, e164, accept, hint, provider
):
    start_numbers(chat, typed)
    if number_type == "toll_free":
        # Recognised from the number itself, so the type question is skipped.
        assert chat.state == "active", chat.last
        assert "We found 1 toll-free number." in said_lines(chat)
    else:
        assert chat.state == "number_type", chat.last
        offered = [c["id"] for c in chat.last["input"]["choices"]]
        assert offered == LOCAL_TYPES
        chat.choose(number_type)
    through_provider(chat, **provider)
    to_documents(chat)

    assert chat.last["input"]["accept"] == accept
    assert hint in chat.said()
    kind, make, filename = EVIDENCE[number_type]
    chat.upload(kind, make(), filename)
    # The Customer Service Record is offered to every type, and can be skipped.
    assert chat.state == "csr", chat.last
    assert chat.last["input"]["accept"] == ["csr"]
    assert [c["id"] for c in chat.last["input"]["choices"]] == ["skip"]
    reference = finish(chat)

    request = stored(app, reference)
    assert request["number_type"] == number_type
    assert request["numbers"] == [e164]
    assert request["documents"] == [kind]


def test_a_mobile_number_is_told_about_the_transfer_pin_and_locks(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")

    assert chat.state == "provider"
    said = chat.said()
    assert "number transfer PIN. It isn't your account PIN" in said
    assert "expires after about a week" in said
    assert "please turn it off first" in said
    assert "use the account number and PIN from that platform" in said


def test_an_account_number_equal_to_the_phone_number_is_queried(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    through_provider(chat, account_number="415-867-5309")

    assert chat.state == "full_port"
    assert "The account number you gave is the same as one of your phone numbers." in (
        chat.said()
    )


def test_the_csr_can_be_added_as_well_as_the_evidence(chat, app):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    chat.upload("csr", bill_pdf(), "csr.pdf")

    assert chat.state == "review", chat.last
    assert "Documents: bill.pdf, csr.pdf" in chat.said()


def test_a_toll_free_number_gets_the_resporg_and_texting_advice(chat):
    start_numbers(chat, TOLL_FREE_TEXT)
    chat.choose("yes")
    offered = [c["id"] for c in chat.last["input"]["choices"]]
    assert offered == ["toll_free_messaging", "none", "unknown"]
    chat.choose("toll_free_messaging")

    said = chat.said()
    assert "we change the RespOrg to ours (RLY01)" in said
    assert "active for at least 10 days after we file" in said
    assert "don't cancel it until we confirm the move" in said
    assert "verification filed again" in said
    assert "only happen after the move is complete" in said
    assert "one filed earlier is refused" in said
    assert chat.state == "provider"


@pytest.mark.parametrize(
    ("vertical", "estimate"),
    [
        ("political", "takes about 5 to 10 business days"),
        ("financial", "takes about 5 to 10 business days"),
        ("other", "usually takes 1 to 3 days"),
    ],
)
def test_a_10dlc_number_explains_reassociation_and_vetting_by_vertical(
    chat, app, vertical, estimate
):
    start_numbers(chat, "415 867 5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("a2p_10dlc")
    assert chat.state == "campaign"
    assert "doesn't travel with the number" in chat.said()
    assert "secondary review" in chat.said()

    chat.form(tcr_brand_id="BABC123", tcr_campaign_id="CXYZ789", vertical=vertical)

    said = chat.said()
    assert f"campaign {estimate} for your industry" in said
    assert "it may still receive them" in said
    assert "pre-verify your brand and campaign" in said
    assert "temporary number" in said
    assert chat.state == "provider"
    chat.form(**PROVIDER)
    to_documents(chat)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    fields = stored(app, finish(chat))["fields"]
    assert (fields["tcr_brand_id"], fields["tcr_campaign_id"]) == ("BABC123", "CXYZ789")
    assert (fields["messaging_use"], fields["vertical"]) == ("a2p_10dlc", vertical)


def test_a_10dlc_campaign_step_can_be_skipped_when_the_ids_are_unknown(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("a2p_10dlc")
    chat.choose("skip")

    assert chat.state == "provider"
    assert "usually takes 1 to 3 days" in chat.said()


def test_a_mixed_list_becomes_two_requests_taken_one_after_the_other(chat, app, client):
    start_numbers(chat, f"415 867 5309, {TOLL_FREE_TEXT}")
    assert "We found 2 numbers, 1 of them toll-free." in said_lines(chat)
    assert (
        "Toll-free and local numbers are moved on separate requests, so I'll make 2 "
        "requests and we'll go through them one after the other."
    ) in chat.said()
    assert chat.state == "number_type"
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    preview = client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=chat.headers)
    assert pdf_fields(preview.data)["number_1"] == "(415) 867-5309"
    assert pdf_fields(preview.data).get("number_2") in (None, "")
    chat.upload("bill", bill_pdf(), "bill.pdf")
    first = finish(chat)
    assert "There's one more request to go, for (888) 555-2671." in chat.said()
    assert [c["id"] for c in chat.last["input"]["choices"]][0] == "next"

    chat.choose("next")
    # The toll-free number is recognised, so its type is not asked.
    assert chat.state == "active", chat.last
    chat.choose("yes")
    assert "RespOrg" not in chat.said()
    chat.choose("none")
    assert "we change the RespOrg to ours" in chat.said()
    chat.form(**PROVIDER)
    chat.choose("no")
    # Details the two requests share are asked once and shown again filled in.
    fields = {f["name"]: f["value"] for f in chat.last["input"]["fields"]}
    assert {name: fields[name] for name in LOA_DETAILS} == LOA_DETAILS
    chat.form(**LOA_DETAILS)
    preview = client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=chat.headers)
    assert pdf_fields(preview.data)["number_1"] == "(888) 555-2671"
    chat.upload("bill", bill_of("(888) 555-2671"), "bill2.pdf")
    second = finish(chat)

    assert second != first
    assert stored(app, first)["numbers"] == ["+14158675309"]
    assert stored(app, first)["number_type"] == "landline"
    assert stored(app, second)["numbers"] == ["+18885552671"]
    assert stored(app, second)["number_type"] == "toll_free"


def ineligible_lines(chat) -> tuple[list[str], str]:
    """The reasons listed at an ineligible step, and its alternatives line."""
    lines = said_lines(chat)
    (instead,) = [line for line in lines if line.startswith("What you can do")]
    return lines, instead


def alternatives_line(alternatives: list[str]) -> str:
    return "What you can do instead: " + " ".join(alternatives)


# One transcript per eligibility rule.
def test_a_number_outside_the_supported_regions_is_explained_with_alternatives(chat):
    start_numbers(chat, "+44 20 7946 0958")
    chat.choose("landline")
    chat.choose("yes")

    assert chat.state == "ineligible", chat.last
    lines, instead = ineligible_lines(chat)
    assert (
        "+44 20 7946 0958: We can only bring over numbers from the United States, "
        "and +44 20 7946 0958 is from somewhere else."
    ) in lines
    assert instead == alternatives_line(EVERY_ALTERNATIVE)
    assert [c["id"] for c in chat.last["input"]["choices"]] == ["port", "faq", "human"]


def test_a_second_supported_region_is_configurable(tmp_path):
    app = build_app(make_config(tmp_path, SUPPORTED_REGIONS=["US", "GB"]))
    chat = Chat(app.test_client())
    start_numbers(chat, "+44 20 7946 0958")
    chat.choose("landline")
    chat.choose("yes")

    assert chat.state == "messaging_use", chat.last


def test_a_premium_rate_number_is_left_out_and_listed_in_the_summary(chat, app):
    start_numbers(chat, "1-900-234-5678, 415 867 5309")
    chat.choose("landline")
    chat.choose("yes")

    assert chat.state == "ineligible_some", chat.last
    lines, instead = ineligible_lines(chat)
    reason = (
        "(900) 234-5678 is a premium-rate number, a kind of number that can't be "
        "moved to us."
    )
    assert f"(900) 234-5678: {reason}" in lines
    assert instead == alternatives_line(EVERY_ALTERNATIVE)
    assert lines[-1] == "The rest can move. Shall we carry on with those?"

    chat.choose("yes")
    assert chat.state == "messaging_use"
    chat.choose("none")
    chat.form(**PROVIDER)
    to_documents(chat)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    chat.choose("skip")
    assert chat.state == "review"
    assert "Numbers: (415) 867-5309" in said_lines(chat)
    assert f"Not included: {reason}" in said_lines(chat)
    chat.choose("submit")
    reference = chat.form(signature_name="Jane Doe", signature_consent=True)[
        "reference"
    ]
    assert stored(app, reference)["numbers"] == ["+14158675309"]
    assert "1 number couldn't be included and stays" in chat.said()


def test_a_number_not_in_service_today_cannot_move(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    chat.choose("no")

    assert chat.state == "ineligible"
    lines, instead = ineligible_lines(chat)
    assert (
        "(415) 867-5309: (415) 867-5309 has to be in service with your current "
        "provider on the day we ask for it. If you can switch it back on, we can "
        "try again."
    ) in lines
    assert instead == alternatives_line([TEMPORARY, TEAM_HELP])
    assert [c["id"] for c in chat.last["input"]["choices"]] == ["port", "faq", "human"]


def test_trying_other_numbers_after_an_ineligible_one_starts_the_numbers_again(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    chat.choose("no")
    chat.choose("port")

    assert chat.state == "numbers"
    chat.text("415 867 5310")
    assert chat.state == "number_type"


def test_asking_about_alternatives_answers_with_that_topic(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    chat.choose("no")
    reply = chat.choose("faq")

    assert [m["topic"] for m in reply["messages"] if m["kind"] == "faq"] == [
        "ineligible-alternatives"
    ]
    assert chat.state == "ineligible"


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        (
            "415 867 53",
            "“415 867 53” has too few digits for a phone number; please check it.",
        ),
        (
            "415 123 4567",
            "“415 123 4567” isn't a phone number that can exist; please check the "
            "digits.",
        ),
        (
            "867 5309",
            "“867 5309” is missing its area code: please add the 3 digits in front.",
        ),
    ],
)
def test_an_invalid_entry_is_named_with_its_reason_and_asked_again(chat, typed, error):
    start_numbers(chat, typed)

    assert chat.state == "numbers"
    assert chat.last["errors"]["numbers"] == [error]
    assert error in said_lines(chat)
    assert "Which numbers would you like to bring over?" in chat.said()


def test_an_invalid_entry_in_a_list_is_named_and_the_rest_carry_on(chat):
    start_numbers(chat, "415 867 5309, 415 867 53")

    assert chat.state == "number_type"
    assert (
        "“415 867 53” has too few digits for a phone number; please check it."
        in said_lines(chat)
    )
    assert "We found 1 number." in said_lines(chat)


def test_a_provider_on_the_refusing_list_is_caught_despite_its_spelling(tmp_path):
    app = build_app(make_config(tmp_path, REFUSING_CARRIERS=["Lockbox Mobile"]))
    chat = Chat(app.test_client())
    start_numbers(chat, "415 867 5309")
    chat.choose("mobile")
    through_provider(chat, carrier="lockbox mobile inc")

    assert chat.state == "ineligible", chat.last
    lines, instead = ineligible_lines(chat)
    assert (
        "(415) 867-5309: Lockbox Mobile doesn't release numbers to other providers, "
        "so (415) 867-5309 can't be moved from there."
    ) in lines
    assert instead == alternatives_line(EVERY_ALTERNATIVE)


def test_the_customer_saying_the_provider_refuses_is_caught(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("mobile")
    through_provider(chat, carrier_refuses=True)

    assert chat.state == "ineligible", chat.last
    lines, _ = ineligible_lines(chat)
    assert (
        "(415) 867-5309: Pacific Coast Telecom doesn't release numbers to other "
        "providers, so (415) 867-5309 can't be moved from there."
    ) in lines


def test_a_number_locked_in_a_platform_messaging_service_explains_the_release(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("voip")
    through_provider(chat, platform_locked=True)

    assert chat.state == "ineligible", chat.last
    lines, instead = ineligible_lines(chat)
    assert (
        "(415) 867-5309: (415) 867-5309 is tied to a messaging service or "
        "sub-account on another platform. Please ask that platform to release it "
        "from there; once it's released, we can ask for it."
    ) in lines
    assert instead == alternatives_line([TEMPORARY, TEAM_HELP])


def test_a_number_already_in_another_open_request_is_flagged(client):
    first = Chat(client)
    start_numbers(first, "415 867 5309")
    first.choose("landline")
    through_provider(first)
    to_documents(first)
    first.upload("bill", bill_pdf(), "bill.pdf")
    finish(first)

    second = Chat(client)
    start_numbers(second, "415 867 5309")
    second.choose("landline")
    second.choose("yes")

    assert second.state == "ineligible", second.last
    lines, instead = ineligible_lines(second)
    assert (
        "(415) 867-5309: (415) 867-5309 is already on another porting request "
        "that's still open, so we won't ask for it twice."
    ) in lines
    assert instead == alternatives_line([CHECK_STATUS, TEAM_HELP])


def test_a_vanity_number_is_shown_converted_for_confirmation(chat):
    start_numbers(chat, "1-800-FLOWERS")

    assert chat.state == "numbers_confirm", chat.last
    assert "Just to be sure, is this right: 1-800-FLOWERS → (800) 356-9377?" in (
        said_lines(chat)
    )
    chat.choose("yes")
    assert chat.state == "active"


def test_a_vanity_number_the_customer_rejects_is_asked_for_again(chat):
    start_numbers(chat, "1-800-FLOWERS")
    chat.choose("no")

    assert chat.state == "numbers"
    chat.text("1-800-356-9378")
    assert chat.state == "active"


def test_a_number_the_metadata_does_not_know_yet_gets_a_confirm_step(chat):
    start_numbers(chat, "+1 710 234 5678")

    assert chat.state == "numbers_confirm", chat.last
    assert (
        "We don't recognise “+1 710 234 5678” as a number in use yet; please "
        "confirm it's right."
    ) in said_lines(chat)
    chat.choose("yes")
    assert chat.state == "number_type"


def test_a_reserved_fictional_number_is_left_out_and_named_in_the_chat(chat):
    start_numbers(chat, "(415) 555-0123")

    assert chat.state == "numbers"
    assert (
        "“(415) 555-0123” is a number reserved for films and examples, so it can't "
        "be moved and we've left it out. Please check it for a typo, or carry on "
        "without it."
    ) in said_lines(chat)


def test_an_extension_is_warned_about_and_the_main_number_kept(chat, app):
    start_numbers(chat, "415-867-5309 x12")

    assert (
        "“415-867-5309 x12” has extension 12: we'll move the main number "
        "(415) 867-5309, since an extension can't be moved on its own."
    ) in said_lines(chat)
    assert chat.state == "number_type"


def test_a_partial_port_with_the_staying_numbers_skipped_asks_the_new_main_number(
    chat, app
):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    through_provider(chat, btn="415 867 5309")
    chat.choose("yes")
    assert chat.state == "remaining_numbers"
    chat.choose("skip")
    assert chat.state == "remaining_action"
    offered = [c["id"] for c in chat.last["input"]["choices"]]
    assert offered == ["keep", "disconnect"]
    chat.choose("keep")
    assert chat.state == "new_btn", chat.last
    assert "BTN" not in chat.said()
    chat.text("415 867 5309")
    assert chat.state == "new_btn"
    assert chat.last["errors"]["new_btn"] == [
        "That number is moving with this request. Please pick one that stays on the "
        "account."
    ]
    chat.text("(415) 867-5310")
    assert chat.state == "loa_details"
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    fields = stored(app, finish(chat))["fields"]
    assert fields["partial_port"] is True
    assert fields["remaining_numbers_action"] == "keep"
    assert fields["new_btn"] == "+14158675310"


def test_a_partial_port_that_disconnects_the_rest_needs_no_new_main_number(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    through_provider(chat, btn="415 867 5309")
    chat.choose("yes")
    chat.choose("skip")
    chat.choose("disconnect")

    assert chat.state == "loa_details"


def test_hundreds_of_numbers_in_one_request_work(chat, client):
    pasted = "\n".join(f"(415) 867-{n:04d}" for n in range(2000, 2300))
    start_numbers(chat, pasted + "\n(415) 867-2000")
    assert "We found 300 numbers." in said_lines(chat)
    assert "(415) 867-2000 was listed more than once; we kept it once." in (
        said_lines(chat)
    )
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    preview = client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=chat.headers)
    assert preview.status_code == 200

    fields = pdf_fields(preview.data)
    assert fields["number_1"] == "(415) 867-2000"
    assert fields["number_300"] == "(415) 867-2299"
    assert "number_301" not in fields


def test_numbers_on_two_accounts_become_two_requests(chat, app):
    start_numbers(chat, "415 867 5309, 415 867 5310, 415 867 5311")
    chat.choose("landline")
    through_provider(chat)
    assert chat.state == "same_account"
    assert "Are all 3 numbers on this one account with Pacific Coast Telecom?" in (
        said_lines(chat)
    )
    chat.choose("no")
    assert chat.state == "account_numbers"
    chat.text("415 867 5309 and 415-867-5311")
    assert "Thanks. 1 other number goes on their own request" in chat.said()
    assert chat.state == "full_port"
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_of("(415) 867-5309", "(415) 867-5311"), "bill.pdf")
    first = finish(chat)
    assert [c["id"] for c in chat.last["input"]["choices"]][0] == "next"

    chat.choose("next")
    assert chat.state == "number_type", chat.last
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    # Another account: its provider is offered again, never the first one's secrets.
    shown = {f["name"]: f["value"] for f in chat.last["input"]["fields"]}
    assert shown["carrier"] == PROVIDER["carrier"]
    assert (shown["account_number"], shown["pin"]) == ("", "")
    chat.form(**{**PROVIDER, "account_number": "99887766"})
    assert chat.state == "full_port"
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_of("(415) 867-5310"), "bill.pdf")
    second = finish(chat)

    assert stored(app, first)["numbers"] == ["+14158675309", "+14158675311"]
    assert stored(app, second)["numbers"] == ["+14158675310"]


def test_a_csv_list_of_numbers_is_read_at_the_numbers_step(chat, app):
    chat.choose("port")
    csv = b"\xef\xbb\xbfName,Phone\nFront desk,(415) 867-5309\nFax,415.867.5310\n"
    reply = chat.upload("number_list", csv, "numbers.csv")

    assert reply["document"]["kind"] == "number_list"
    assert chat.state == "number_type"
    assert "We found 2 numbers." in said_lines(chat)
    with app.app_context():
        from assistant.models import Conversation

        conversation = db.session.get(Conversation, chat.id)
        assert conversation.slots["fields"]["numbers"] == [
            "+14158675309",
            "+14158675310",
        ]


def test_a_binary_file_as_a_number_list_is_refused_kindly(chat):
    chat.choose("port")
    error = chat.upload("number_list", b"\x00\x01\x02\xff" * 50, "list.csv", 415)

    assert error["error"] == {
        "code": "unsupported_file",
        "message": "We couldn't read that file as a list. Please upload a CSV or "
        "plain text file, or paste the numbers into the chat.",
    }
    assert chat.state == "numbers"


class _Frozen(datetime):
    moment: datetime

    @classmethod
    def now(cls, tz=None):
        return cls.moment.astimezone(tz) if tz else cls.moment.replace(tzinfo=None)


# The expected window after submitting, across a federal holiday and a weekend.
@pytest.mark.parametrize(
    ("signed_at", "typed", "window"),
    [
        # Wednesday before Thanksgiving, 10:00 in New York: Thursday is a
        # holiday and the weekend follows, so day 1 is Friday November 27.
        (
            datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
            "415 867 5309",
            "between Thursday, December 3 and Thursday, December 17",
        ),
        # Toll-free starts sooner (3 business days by default).
        (
            datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
            TOLL_FREE_TEXT,
            "between Tuesday, December 1 and Thursday, December 17",
        ),
        # Friday after the 17:00 cut-off counts from Monday; Christmas and New
        # Year's Day (both Fridays) are skipped.
        (
            datetime(2026, 12, 18, 23, 30, tzinfo=UTC),
            "415 867 5309",
            "between Tuesday, December 29 and Wednesday, January 13",
        ),
    ],
)
def test_the_submitted_message_gives_the_window_in_business_days(
    chat, app, monkeypatch, signed_at, typed, window
):
    monkeypatch.setattr(_Frozen, "moment", signed_at, raising=False)
    monkeypatch.setattr(submission, "datetime", _Frozen)
    # Submitting reads the clock through the configured NOW when one is set.
    app.config["NOW"] = lambda: signed_at
    start_numbers(chat, typed)
    if chat.state == "number_type":
        chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    chat.upload("bill", bill_of("(415) 867-5309", "(888) 555-2671"), "bill.pdf")
    finish(chat)

    lines = said_lines(chat)
    assert f"Expect the move {window}. If the current provider turns down the " in (
        "\n".join(lines)
    )
    assert "the move can take 4 weeks or more" in chat.said()
    assert (
        "Please keep your current service on until we confirm the move: cancelling "
        "early can lose the number."
    ) in lines
