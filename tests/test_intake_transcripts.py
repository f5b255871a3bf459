import pytest

from tests import docgen
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf

TOLL_FREE_TEXT = "1-888-555-2671"


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
    assert chat.state == "full_port", chat.last
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    assert chat.state == "documents", chat.last


def finish(chat) -> str:
    chat.choose("skip")
    assert chat.state == "review", chat.last
    chat.choose("submit")
    reply = chat.form(signature_name="Jane Doe", signature_consent="yes")
    assert chat.state == "submitted", chat.last
    return reply["reference"]


@pytest.mark.parametrize(
    "number_type, kind, document, filename",
    [
        ("landline", "bill", "pdf", "bill.pdf"),
        ("voip", "portal_screenshot", "portal", "portal.png"),
        ("mobile", "bill", "pdf", "statement.pdf"),
    ],
)
def test_a_local_number_type_asks_for_its_own_evidence(
    chat, number_type, kind, document, filename
):
    start_numbers(chat, "(415) 867-5309")
    assert chat.state == "number_type"
    offered = [c["id"] for c in chat.last["input"]["choices"]]
    assert offered == ["mobile", "landline", "voip", "google_voice"]
    chat.choose(number_type)
    through_provider(chat)
    to_documents(chat)
    accepted = chat.last["input"]["accept"]
    if number_type == "mobile":
        assert accepted == ["bill", "csr"]
        assert "recent bill or statement" in chat.said()
    else:
        assert accepted == ["bill", "receipt", "portal_screenshot", "csr"]
        assert "purchase receipt" in chat.said()
    data = (
        bill_pdf()
        if document == "pdf"
        else docgen.portal_screenshot_png(("(415) 867-5309",))
    )
    chat.upload(kind, data, filename)
    assert chat.state == "csr", chat.last
    assert finish(chat).startswith("PR-")


def test_a_google_voice_number_asks_for_the_settings_screenshot(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("google_voice")
    through_provider(chat, carrier="Google Voice", pin="", no_pin=True)
    to_documents(chat)
    assert chat.last["input"]["accept"] == ["google_voice_screenshot", "csr"]
    assert "Google Voice settings page" in chat.said()
    shot = docgen.google_voice_screenshot_png(
        "(415) 867-5309", LOA_DETAILS["contact_email"]
    )
    chat.upload("google_voice_screenshot", shot, "gv.png")
    assert chat.state == "csr", chat.last
    assert finish(chat).startswith("PR-")


def test_a_toll_free_number_is_recognised_not_asked_and_gets_resporg_advice(chat):
    start_numbers(chat, TOLL_FREE_TEXT)
    assert chat.state == "active", chat.last
    chat.choose("yes")
    offered = [c["id"] for c in chat.last["input"]["choices"]]
    assert offered == ["toll_free_messaging", "none", "unknown"]
    chat.choose("toll_free_messaging")
    said = chat.said()
    assert "RespOrg" in said and "10 days" in said
    assert "verification" in said and "after the move" in said
    chat.form(**PROVIDER)
    to_documents(chat)
    chat.upload(
        "bill",
        docgen.text_pdf_bill(docgen.Bill(numbers=("(888) 555-2671",))),
        "bill.pdf",
    )
    chat.choose("done") if chat.state == "documents" else None
    reference = finish(chat)
    assert reference.startswith("PR-")


def test_a_10dlc_number_explains_reassociation_and_vetting_time(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("a2p_10dlc")
    assert chat.state == "campaign"
    assert "doesn't travel with the number" in chat.said()
    chat.form(tcr_brand_id="BABC123", tcr_campaign_id="CXYZ789", vertical="political")
    said = chat.said()
    assert "5 to 10 business days" in said
    assert "receive" in said and "temporary number" in said
    assert chat.state == "provider"


def test_a_mixed_list_becomes_two_requests_taken_one_after_the_other(chat):
    start_numbers(chat, f"415 867 5309, {TOLL_FREE_TEXT}")
    assert "separate requests" in chat.said()
    assert chat.state == "number_type"
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    first = finish(chat)
    assert "one more request" in chat.said()
    assert [c["id"] for c in chat.last["input"]["choices"]][0] == "next"

    chat.choose("next")
    assert chat.state == "active", chat.last
    chat.choose("yes")
    chat.choose("none")
    chat.form(**PROVIDER)
    chat.choose("no")
    fields = {f["name"]: f["value"] for f in chat.last["input"]["fields"]}
    assert fields["business_name"] == LOA_DETAILS["business_name"]
    chat.form(**LOA_DETAILS)
    chat.upload(
        "bill",
        docgen.text_pdf_bill(docgen.Bill(numbers=("(888) 555-2671",))),
        "bill2.pdf",
    )
    chat.choose("done") if chat.state == "documents" else None
    second = finish(chat)
    assert second != first


# One transcript per eligibility rule.
def test_a_number_outside_the_supported_regions_is_explained_with_alternatives(chat):
    start_numbers(chat, "+44 20 7946 0958")
    if chat.state == "number_type":
        chat.choose("landline")
    chat.choose("yes")
    assert chat.state == "ineligible", chat.last
    said = chat.said()
    assert "+44 20 7946 0958" in said
    assert "new" in said.lower()


def test_a_premium_rate_number_cannot_move(chat):
    start_numbers(chat, "1-900-555-0199, 415 867 5309")
    if chat.state == "numbers_confirm":
        chat.choose("yes")
    if chat.state == "number_type":
        chat.choose("landline")
    chat.choose("yes")
    assert chat.state == "ineligible_some", chat.last
    assert "(900) 555-0199" in chat.said()
    chat.choose("yes")
    assert chat.state == "messaging_use"


def test_a_number_not_in_service_today_cannot_move(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    chat.choose("no")
    assert chat.state == "ineligible"
    assert "(415) 867-5309" in chat.said()
    assert [c["id"] for c in chat.last["input"]["choices"]] == ["port", "faq", "human"]


def test_an_invalid_entry_is_named_with_its_reason(chat):
    start_numbers(chat, "415 867 53")
    assert chat.state == "numbers"
    assert chat.last["errors"]["numbers"]
    assert "415 867 53" in chat.last["errors"]["numbers"][0]


def test_a_provider_that_refuses_port_outs_is_caught(tmp_path):
    app = build_app(make_config(tmp_path, REFUSING_CARRIERS=["Lockbox Mobile"]))
    chat = Chat(app.test_client())
    start_numbers(chat, "415 867 5309")
    chat.choose("mobile")
    through_provider(chat, carrier="Lockbox Mobile")
    assert chat.state == "ineligible", chat.last


def test_the_customer_saying_the_provider_refuses_is_caught(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("mobile")
    through_provider(chat, carrier_refuses=True)
    assert chat.state == "ineligible", chat.last


def test_a_number_locked_in_a_platform_messaging_service_explains_the_release(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("voip")
    through_provider(chat, platform_locked=True)
    assert chat.state == "ineligible", chat.last
    assert "release" in chat.said().lower()


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
    assert "(415) 867-5309" in second.said()


def test_a_vanity_number_is_shown_converted_for_confirmation(chat):
    start_numbers(chat, "1-800-FLOWERS")
    assert chat.state == "numbers_confirm", chat.last
    assert "(800) 356-9377" in chat.said()
    chat.choose("yes")
    assert chat.state == "active"


def test_a_partial_port_asks_what_stays_and_the_new_main_number(chat):
    start_numbers(chat, "415 867 5309")
    chat.choose("landline")
    through_provider(chat, btn="415 867 5309")
    chat.choose("yes")
    assert chat.state == "remaining_action"
    chat.choose("keep")
    assert chat.state == "new_btn", chat.last
    chat.text("415 867 5309")
    assert chat.state == "new_btn"
    chat.text("(415) 867-5310")
    assert chat.state == "loa_details"


def test_hundreds_of_numbers_in_one_request_work(chat, client):
    pasted = "\n".join(f"(415) 867-{n:04d}" for n in range(2000, 2300))
    start_numbers(chat, pasted + "\n(415) 867-2000")
    assert "300" in chat.said()
    assert "(415) 867-2000 was listed more than once" in chat.said()
    chat.choose("landline")
    through_provider(chat)
    to_documents(chat)
    preview = client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=chat.headers)
    assert preview.status_code == 200
    from tests.test_intake_e2e import pdf_fields

    fields = pdf_fields(preview.data)
    assert fields["number_300"] == "(415) 867-2299"


def test_numbers_on_two_accounts_become_two_requests(chat):
    start_numbers(chat, "415 867 5309, 415 867 5310, 415 867 5311")
    chat.choose("landline")
    through_provider(chat)
    assert chat.state == "same_account"
    assert "all 3 numbers" in chat.said()
    chat.choose("no")
    assert chat.state == "account_numbers"
    chat.text("415 867 5309 and 415-867-5311")
    assert "1 other number(s) will go on their own request" in chat.said()
    assert chat.state == "full_port"
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    chat.upload("bill", bill_pdf(), "bill.pdf")
    chat.choose("done") if chat.state == "documents" else None
    first = finish(chat)
    assert [c["id"] for c in chat.last["input"]["choices"]][0] == "next"
    chat.choose("next")
    assert chat.state == "number_type", chat.last
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**{**PROVIDER, "account_number": "99887766"})
    assert chat.state == "full_port"
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    assert chat.state == "documents"
    assert first.startswith("PR-")


def test_a_csv_list_of_numbers_is_read_at_the_numbers_step(chat, app):
    chat.choose("port")
    csv = b"\xef\xbb\xbfName,Phone\nFront desk,(415) 867-5309\nFax,415.867.5310\n"
    reply = chat.upload("number_list", csv, "numbers.csv")
    assert reply["document"]["kind"] == "number_list"
    assert chat.state == "number_type"
    assert "2 numbers" in chat.said()


def test_a_binary_file_as_a_number_list_is_refused_kindly(chat):
    chat.choose("port")
    error = chat.upload("number_list", b"\x00\x01\x02\xff" * 50, "list.csv", 415)
    assert error["error"]["code"] == "unsupported_file"
    assert chat.state == "numbers"
