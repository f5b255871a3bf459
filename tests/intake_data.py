"""Values of one complete intake, shared by the end-to-end tests."""

from tests import docgen

NUMBER_TEXT = "(415) 867-5309"
NUMBER_E164 = "+14158675309"

PROVIDER = {
    "carrier": "Pacific Coast Telecom",
    "account_type": "business",
    "account_number": "88123345009",
    "pin": "4821",
}

LOA_DETAILS = {
    "name_on_bill": "ACME PLUMBING, LLC",
    "business_name": "Acme Plumbing",
    "authorized_name": "Jane Doe",
    "authorized_title": "Owner",
    "service_street": "123 Main St",
    "service_unit": "Suite 4",
    "service_city": "San Francisco",
    "service_state": "CA",
    "service_zip": "94103",
    "contact_email": "jane.doe@acmeplumbing.com",
    "contact_phone": "(415) 555-2671",
}

BILL = docgen.Bill(numbers=(NUMBER_TEXT,), lines=("Mobile",))


def bill_pdf() -> bytes:
    return docgen.text_pdf_bill(BILL)


def run_to_review(chat, number_type: str = "mobile", **loa_details) -> None:
    """Walk a conversation from the welcome to the review step."""
    run_to_documents(chat, number_type, **loa_details)
    chat.upload("bill", bill_pdf(), "march-bill.pdf")
    assert chat.state == "csr", chat.last
    chat.choose("skip")
    assert chat.state == "review", chat.last


def run_to_documents(chat, number_type: str = "mobile", **loa_details) -> None:
    """Walk a conversation from the welcome to the documents step."""
    chat.choose("port")
    chat.text(NUMBER_TEXT)
    assert chat.state == "number_type", chat.last
    chat.choose(number_type)
    chat.choose("yes")
    assert chat.state == "messaging_use", chat.last
    chat.choose("none")
    assert chat.state == "provider", chat.last
    chat.form(**PROVIDER)
    assert chat.state == "full_port", chat.last
    chat.choose("no")
    assert chat.state == "loa_details", chat.last
    chat.form(**{**LOA_DETAILS, **loa_details})
    assert chat.state == "documents", chat.last
