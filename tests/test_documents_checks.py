from dataclasses import replace

import pytest

from assistant import documents
from tests import docgen

INTAKE = docgen.INTAKE
BILL = """Pacific Coast Telecom
Account name: {name}
Service address: {street}
{city}
Your numbers
Business line {first}
Fax line {second}
Total due: $34.98"""


def bill_text(**changes: str) -> str:
    values = {
        "name": "ACME PLUMBING, LLC",
        "street": "123 Main St",
        "city": "San Francisco, CA 94103",
        "first": "(415) 555-0123",
        "second": "415.555.0187",
    }
    return BILL.format(**{**values, **changes})


def findings_by_code(kind: str, text: str, intake: dict = INTAKE) -> dict:
    return {f.code: f for f in documents.check_document(kind, text, intake)}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("(415) 555-0123", "415.555.0187"),
        ("4155550123", "415-555-0187"),
        ("+1 415 555 0123", "1-415-555-0187"),
        ("+1 (415) 555-0123", "415 / 555 0187"),
        ("(415)555-0123", "415.555.O187"),
        ("(4l5) 555-Ol23", "4I5 555 0I87"),
        ("(415) S55-0123", "415 555 01B7"),
    ],
)
def test_every_number_is_found_in_any_formatting_and_with_ocr_noise(first, second):
    found = findings_by_code("bill", bill_text(first=first, second=second))

    assert found["numbers"].ok
    assert found["numbers"].message == "We found your 2 numbers on this bill."
    assert found["numbers"].detail == "2 of 2 numbers found"


@pytest.mark.parametrize(
    ("first", "second", "missing"),
    [
        ("(415) 555-0124", "415.555.0187", ["+14155550123"]),
        ("(415) 555-0123", "(510) 555-0187", ["+14155550187"]),
        ("555-0123", "555-0187", ["+14155550123", "+14155550187"]),
        ("(415) 555-01234", "415.555.0187", []),
    ],
)
def test_a_number_that_is_not_on_the_document_is_named(first, second, missing):
    finding = findings_by_code("bill", bill_text(first=first, second=second))["numbers"]

    assert finding.ok is not bool(missing)
    for number in missing:
        assert number in finding.detail
        assert number[-4:] in finding.message
    if len(missing) == 2:
        assert "the numbers ending in 0123 and 0187" in finding.message


def test_a_missing_number_message_offers_both_ways_forward():
    finding = findings_by_code("bill", bill_text(second="none"))["numbers"]

    assert finding.message == (
        "We couldn't find the number ending in 0187 on this bill. If it shows on "
        "another page or another bill, please upload that too; otherwise you can go "
        "on anyway."
    )


def test_numbers_of_other_countries_are_found_by_their_national_digits():
    intake = {**INTAKE, "numbers": ["+442071234567"]}

    found = findings_by_code("bill", bill_text(first="020 7123 4567"), intake)

    assert found["numbers"].ok


@pytest.mark.parametrize(
    "printed",
    [
        "ACME PLUMBING, LLC",
        "Acme Plumbing L.L.C.",
        "Acme Plumbing Inc.",
        "acme plumbing",
        "ACMEPLUMBING,LLC",
        "ACME PLUMBlNG LLC",
        "Acrne Plumbing LLC",
        "Attn: Jane Doe, Acme Plumbing",
        "Modern billing for Acme Plumbing LLC",
    ],
)
def test_the_name_matches_despite_case_legal_suffix_spacing_and_ocr_noise(printed):
    assert findings_by_code("bill", bill_text(name=printed))["name"].ok


@pytest.mark.parametrize(
    "printed", ["Bayside Dental Group", "Apex Heating", "Acme", "Plumbing Supplies"]
)
def test_another_name_on_the_bill_is_a_name_finding(printed):
    finding = findings_by_code("bill", bill_text(name=printed))["name"]

    assert not finding.ok
    assert "Acme Plumbing LLC" in finding.message
    assert "go on anyway" in finding.message
    assert finding.detail == "name_on_bill not found; business_name not found"


def test_a_bill_in_the_business_name_is_enough_when_the_name_on_bill_differs():
    intake = {**INTAKE, "name_on_bill": "Jane Doe"}

    finding = findings_by_code("bill", bill_text(name="Acme Plumbing"), intake)["name"]

    assert finding.ok
    assert finding.detail.startswith("name_on_bill not found; business_name found")


@pytest.mark.parametrize("printed", ["DOE, JANE", "Jane Doe", "JANE A DOE"])
def test_a_personal_name_matches_in_either_order(printed):
    intake = {**INTAKE, "name_on_bill": "Jane Doe", "business_name": ""}

    assert findings_by_code("bill", bill_text(name=printed), intake)["name"].ok


@pytest.mark.parametrize(
    ("street", "city"),
    [
        ("123 Main St", "San Francisco, CA 94103"),
        ("123 MAIN STREET", "SAN FRANCISCO CA 94103-2231"),
        ("123MainSt", "SanFrancisco,CA94103"),
        ("l23 Main St.", "San Francisco, CA 94lO3"),
        ("123 Main St Suite 4", "Oakland, CA 94103"),
        ("123 Main St", "San Francisco, California"),
    ],
)
def test_the_service_address_matches_by_street_and_zip_or_city(street, city):
    finding = findings_by_code("bill", bill_text(street=street, city=city))["address"]

    assert finding.ok, finding.detail


@pytest.mark.parametrize(
    ("street", "city", "detail"),
    [
        ("1234 Main St", "San Francisco, CA 94103", "street not found; ZIP found"),
        ("123 Market St", "San Francisco, CA 94103", "street not found; ZIP found"),
        ("123 Main Ave", "San Francisco, CA 94103", "street not found; ZIP found"),
        ("880 Harbor Blvd", "Oakland, CA 94607", "street not found; ZIP not found"),
        ("123 Main St", "Portland, OR 97201", "street found; ZIP not found"),
    ],
)
def test_another_address_is_an_address_finding(street, city, detail):
    finding = findings_by_code("bill", bill_text(street=street, city=city))["address"]

    assert not finding.ok
    assert finding.detail.startswith(detail)
    assert "123 Main Street" in finding.message


NEW_YORK = {"service_city": "New York", "service_state": "NY", "service_zip": "10036"}


def new_york_intake(street: str) -> dict:
    return {**INTAKE, **NEW_YORK, "service_street": street}


@pytest.mark.parametrize(
    ("street", "printed"),
    [
        ("350 5th Ave", "350 5th Ave, New York, NY 10036"),
        ("350 5th Ave", "350 FIFTH AVENUE"),
        ("350 Fifth Avenue", "350 5th Ave"),
        ("225 W 42nd St", "225 West 42nd Street"),
        ("225 W 42nd St", "225 W 42ND ST"),
        ("225 E 21st St", "225 EAST 21ST ST"),
        ("100 1st Ave", "100 1st Ave"),
        ("10 W 42nd St", "10 W 42nd St"),
        ("42 3rd St", "42 3rd St"),
        ("1600 Pennsylvania Ave NW", "1600 Pennsylvania Ave NW"),
        ("1600 Pennsylvania Ave NW", "1600 PENNSYLVANIA AVENUE NORTHWEST"),
    ],
)
def test_a_house_number_before_a_numbered_street_matches(street, printed):
    text = bill_text(street=printed, city="New York, NY 10036")

    finding = findings_by_code("bill", text, new_york_intake(street))["address"]

    assert finding.ok
    assert finding.detail == "street found; ZIP found; city found"


@pytest.mark.parametrize(
    "street", ["350 5th Ave", "10 W 42nd St", "1600 Pennsylvania Ave NW"]
)
def test_a_numbered_street_matches_in_a_pdf_bill_drawn_glyph_by_glyph(street):
    bill = replace(docgen.Bill(), street=street, city_line="New York, NY 10036")
    pdf = docgen.text_pdf_bill(bill, glyph_by_glyph=True)
    text = documents.read_text(pdf, "application/pdf")

    finding = findings_by_code("bill", text, new_york_intake(street))["address"]

    assert finding.ok
    assert finding.detail == "street found; ZIP found; city found"


@pytest.mark.parametrize(
    ("street", "printed"),
    [
        ("350 5th Ave", "1350 5th Ave"),
        ("350 5th Ave", "350 6th Ave"),
        ("350 5th Ave", "35 5th Ave"),
        ("10 W 42nd St", "10 W 43rd St"),
        ("10 W 42nd St", "110 W 42nd St"),
        ("10 W 42nd St", "10 W 142nd St"),
        ("42 3rd St", "42 3 Main St"),
        ("1600 Pennsylvania Ave NW", "1601 Pennsylvania Ave NW"),
    ],
)
def test_another_house_or_street_number_is_an_address_finding(street, printed):
    text = bill_text(street=printed, city="New York, NY 10036")

    finding = findings_by_code("bill", text, new_york_intake(street))["address"]

    assert not finding.ok
    assert finding.detail.startswith("street not found; ZIP found")
    assert f"We couldn't find your service address, {street}," in finding.message


def test_a_street_given_with_its_unit_matches_the_bill_without_it():
    intake = {**INTAKE, "service_street": "123 Main Street, Suite 200"}

    assert findings_by_code("bill", bill_text(), intake)["address"].ok


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("bill", ["numbers", "name", "address"]),
        ("csr", ["numbers", "name", "address"]),
        ("receipt", ["numbers", "name"]),
        ("portal_screenshot", ["numbers"]),
        ("google_voice_screenshot", ["numbers", "email"]),
    ],
)
def test_each_kind_gets_its_own_checks_and_a_match_passes_quietly(kind, codes):
    text = bill_text() + "\nSigned in as jane.doe@acmeplumbing.com"

    findings = documents.check_document(kind, text, INTAKE)

    assert [f.code for f in findings] == codes
    assert all(f.ok for f in findings)


def test_checks_whose_intake_fields_are_empty_are_left_out():
    intake = {"numbers": ["+14155550123"], "name_on_bill": "", "service_street": None}

    findings = documents.check_document("bill", bill_text(), intake)

    assert [f.code for f in findings] == ["numbers"]


@pytest.mark.parametrize(
    ("text", "ok", "detail"),
    [
        ("Your number (415) 555-0123\njane.doe@acmeplumbing.com", True, "matches"),
        ("Your number (415) 555-0123\njane.doe @ acmeplumbing . com", True, "matches"),
        ("Your number (415) 555-0123\nJANE.D0E@ACMEPLUMBING.C0M", True, "matches"),
        ("Your number (415) 555-0123\nbilling@example.org", True, "differs from"),
        ("Your number (415) 555-0123\nLinked numbers Messages", False, "no e-mail"),
    ],
)
def test_a_google_voice_screenshot_must_show_an_email_address(text, ok, detail):
    intake = {**INTAKE, "numbers": ["+14155550123"]}

    finding = findings_by_code("google_voice_screenshot", text, intake)["email"]

    assert finding.ok is ok
    assert detail in finding.detail
    if not ok:
        assert "Google Voice settings page" in finding.message


@pytest.mark.parametrize("text", ["", "   \n ", "~ ,. '' =", "ll 1 ' ~ ee", None])
def test_nearly_empty_text_gives_one_could_not_read_finding(text):
    findings = documents.check_document("bill", text, INTAKE)

    assert [(f.code, f.ok) for f in findings] == [("unreadable", False)]
    assert "sharper photo" in findings[0].message
    assert "PDF" in findings[0].message


def test_number_lists_are_checked_elsewhere():
    assert documents.check_document("number_list", "4155550123", INTAKE) == []


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown document kind"):
        documents.check_document("passport", bill_text(), INTAKE)


def test_details_for_staff_never_quote_the_document():
    text = bill_text(name="Bayside Dental Group", street="9 Elm Rd", second="x")

    findings = documents.check_document("bill", text, INTAKE)

    for finding in findings:
        assert "Bayside" not in finding.detail + finding.message
        assert "Elm" not in finding.detail + finding.message
