import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms import StringField

from forms.validators import PO_BOX_MESSAGE
from forms.validators import STATE_MESSAGE
from forms.validators import ZIP_MESSAGE
from forms.validators import Email
from forms.validators import NotPOBox
from forms.validators import USState
from forms.validators import USZip
from forms.validators import check_email
from forms.validators import check_service_address
from forms.validators import is_po_box
from forms.validators import normalise_state
from forms.validators import normalise_zip


@pytest.mark.parametrize(
    "text",
    [
        "PO Box 12",
        "po box 12",
        "P.O. Box 12",
        "P. O. Box 12",
        "P O Box 12",
        "PO. Box 12",
        "P.O.Box12",
        "PoBox 12",
        "POBOX 12",
        "P.O.B. 12",
        "POB 12",
        "POB12",
        "Post Office Box 12",
        "PostOffice Box 12",
        "Post Box 12",
        "Postal Box 12",
        "Lock Box 12",
        "Lockbox 12",
        "Caller Box 12",
        "PO Drawer 12",
        "PO Box #12",
        "PO Box No. 12",
        "PO Box",
        "Box 12",
        "Box #12",
        "box 12a",
        "123 Main St\nBox 12",
        "123 Main St, PO Box 5",
        "Rural Route 2 Box 5",
        "PO Box 1 PO Box 2",
        "P O B 12",
        "P.O. B. 12",
        "P.O Box 12",
        "p.o.b 12",
        "pobox12",
        "POST OFFICE BOX 12",
        "Post-Office Box 12",
        "P-O Box 12",
        "P/O Box 12",
        "PO Bx 12",
        "Post Office Box",
        "Post Office Box No 12",
        "PO Box Number 12",
        "PO Box A-12",
        "Box12",
        "BOX 12",
        "Box 12-A",
        "Box No. 12",
        "P.O.\u00a0Box 12",
        "123 Main St\nP.O. Box 9",
    ],
)
def test_every_po_box_spelling_is_refused(text):
    assert is_po_box(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "123 Boxwood Rd",
        "1 Post Office Square",
        "12 Post Office Rd",
        "12 Box Elder St",
        "44 Boxer Ave",
        "12 Boxford St",
        "200 Box Canyon Rd",
        "9 Postbox Lane",
        "77 Lockbox Way",
        "12 Po Street",
        "5 Poblano Dr",
        "3 Post Rd",
        "1600 Pennsylvania Ave NW",
        "One World Trade Center",
        "12 Main St Apt 4",
        "Suite 100",
        "Unit 12B",
        "",
        "!!!",
        "a & b ; c # d",
        "12 Main St Apt 4 Apt 5",
        "Suite 1 Suite 2 Suite 3",
        "12 Pob Rd",
        "12 Box Hill Rd",
        "10 Boxhill Ave",
        "7 Post Office Lane",
        "3 Post Office Bay Rd",
        "33 Po Ave",
        "1 Pobox Ct",
        "4 Box St",
        "1 Box Turtle Ct",
        "12 Main St, Boxford",
        "500 Post Oak Blvd",
        "12 Postal Way",
    ],
)
def test_street_names_that_merely_contain_box_or_post_office_pass(text):
    assert is_po_box(text) is False


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CA", "CA"),
        ("ca", "CA"),
        (" Tx ", "TX"),
        ("California", "CA"),
        ("new york", "NY"),
        ("N.Y.", "NY"),
        ("NEW HAMPSHIRE", "NH"),
        ("Washington", "WA"),
        ("Washington DC", "DC"),
        ("Washington, D.C.", "DC"),
        ("District of Columbia", "DC"),
        ("D.C.", "DC"),
        ("Puerto Rico", "PR"),
        ("PR", "PR"),
        ("Pensylvania", "PA"),
        ("West Virgina", "WV"),
        ("Massachusets", "MA"),
        ("Calif.", "CA"),
        ("Mass.", "MA"),
        ("Tex", "TX"),
        ("W. Va.", "WV"),
        ("Wis.", "WI"),
        ("N.H.", "NH"),
        ("Guam", "GU"),
        ("XX", None),
        ("Cal", None),
        ("Texsa", None),
        ("Ontario", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_state_accepts_names_codes_and_small_typos(text, code):
    assert normalise_state(text) == code


@pytest.mark.parametrize(
    ("text", "zip_code"),
    [
        ("94103", "94103"),
        (" 94103 ", "94103"),
        ("94103-1234", "94103-1234"),
        ("94103 1234", "94103-1234"),
        ("941031234", "94103-1234"),
        ("9410", None),
        ("941033", None),
        ("94103-12", None),
        ("ABCDE", None),
        ("", None),
        ("00000", None),
        ("94103\u20131234", "94103-1234"),
        ("94103\u20111234", "94103-1234"),
        ("\uff19\uff14\uff11\uff10\uff13", "94103"),
        ("\u0669\u0664\u0661\u0660\u0663", None),
        ("94103-", None),
    ],
)
def test_normalise_zip_accepts_zip_and_zip_plus_four(text, zip_code):
    assert normalise_zip(text) == zip_code


@pytest.mark.parametrize(
    ("state", "zip_code"),
    [
        ("CA", "94103"),
        ("California", "90210-1234"),
        ("NY", "10001"),
        ("NY", "06390"),  # Fishers Island, New York
        ("TX", "75201"),
        ("TX", "79901"),
        ("TX", "88510"),  # El Paso post office boxes start with 8
        ("MA", "02108"),
        ("NJ", "07030"),
        ("DC", "20500"),
        ("PR", "00901"),
        ("FL", "33101"),
        ("IL", "60601"),
        ("CO", "80202"),
        ("WA", "98101"),
        ("AK", "99501"),
        ("GA", "30301"),
        ("OH", "43215"),
        ("MN", "55401"),
        ("PA", "19103"),
    ],
)
def test_a_zip_that_fits_its_state_is_accepted(state, zip_code):
    errors = check_service_address("12 Main St", "", "Springfield", state, zip_code)

    assert errors == {}


@pytest.mark.parametrize(
    ("state", "zip_code", "message"),
    [
        (
            "TX",
            "90210",
            "The ZIP code 90210 isn't one used in Texas; please check the ZIP code "
            "and the state.",
        ),
        (
            "New York",
            "94103",
            "The ZIP code 94103 isn't one used in New York; please check the ZIP "
            "code and the state.",
        ),
        (
            "CA",
            "10001",
            "The ZIP code 10001 isn't one used in California; please check the ZIP "
            "code and the state.",
        ),
        (
            "FL",
            "60601-1234",
            "The ZIP code 60601-1234 isn't one used in Florida; please check the ZIP "
            "code and the state.",
        ),
    ],
)
def test_a_zip_from_another_state_is_queried(state, zip_code, message):
    errors = check_service_address("12 Main St", "", "Springfield", state, zip_code)

    assert errors == {"service_zip": [message]}


@pytest.mark.parametrize(
    ("address", "errors"),
    [
        (
            ("PO Box 12", "", "Austin", "TX", "78701"),
            {"service_street": [PO_BOX_MESSAGE]},
        ),
        (
            ("12 Main St", "Box 7", "Austin", "TX", "78701"),
            {"service_unit": [PO_BOX_MESSAGE]},
        ),
        (
            ("", None, "Austin", "TX", "78701"),
            {"service_street": ["Please enter the street address, like 12 Main St."]},
        ),
        (
            ("12 Main St", None, "  ", "TX", "78701"),
            {"service_city": ["Please enter the city or town."]},
        ),
        (
            ("12 Main St", None, "Austin", "Texsa", "78701"),
            {"service_state": [STATE_MESSAGE]},
        ),
        (
            ("12 Main St", None, "Austin", "TX", "7870"),
            {"service_zip": [ZIP_MESSAGE]},
        ),
        (
            (None, None, None, None, None),
            {
                "service_street": ["Please enter the street address, like 12 Main St."],
                "service_city": ["Please enter the city or town."],
                "service_state": [STATE_MESSAGE],
                "service_zip": [ZIP_MESSAGE],
            },
        ),
        (("1 Post Office Square", "Suite 400", "Boston", "MA", "02109"), {}),
        (("Calle Luna 12", "", "San Juan", "Puerto Rico", "00901"), {}),
        # usaddress raises on these; an address it can't label still passes.
        (("Ranch & Co; gate #3 ~ rd 2", "", "Marfa", "TX", "79843"), {}),
        (("12 Main St Apt 4 Apt 5", "Apt 1 Apt 2", "Marfa", "TX", "79843"), {}),
    ],
)
def test_check_service_address_names_each_field_to_fix(address, errors):
    assert check_service_address(*address) == errors


def test_the_po_box_sentence_says_why_and_what_to_do():
    assert PO_BOX_MESSAGE == (
        "A P.O. box can't be used here: the provider checks the place where the "
        "phone service is. Please enter the street address instead."
    )


@pytest.mark.parametrize(
    ("text", "normalised", "error"),
    [
        ("anna@company.com", "anna@company.com", None),
        ("  Anna@Company.COM ", "Anna@company.com", None),
        ("anna.lee+port@sub.example.org", "anna.lee+port@sub.example.org", None),
        (
            "anna",
            None,
            "That e-mail address doesn't look complete. Please check it, for "
            "example name@company.com.",
        ),
        (
            "anna@company",
            None,
            "That e-mail address doesn't look complete. Please check it, for "
            "example name@company.com.",
        ),
        (
            "anna lee@company.com",
            None,
            "That e-mail address doesn't look complete. Please check it, for "
            "example name@company.com.",
        ),
        ("", None, "Please enter an e-mail address."),
        (None, None, "Please enter an e-mail address."),
    ],
)
def test_check_email_normalises_or_explains(text, normalised, error):
    assert check_email(text) == (normalised, error)


class _AddressForm(Form):
    service_street = StringField(validators=[NotPOBox()])
    service_state = StringField(validators=[USState()])
    service_zip = StringField(validators=[USZip()])
    contact_email = StringField(validators=[Email()])


def _form(**data):
    values = {
        "service_street": "12 Main St",
        "service_state": "california",
        "service_zip": "941031234",
        "contact_email": "Anna@Company.COM",
    }
    values.update(data)
    return _AddressForm(MultiDict(values))


def test_the_wtforms_validators_accept_and_normalise_a_good_address():
    form = _form()

    assert form.validate() is True
    assert form.data == {
        "service_street": "12 Main St",
        "service_state": "CA",
        "service_zip": "94103-1234",
        "contact_email": "Anna@company.com",
    }


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"service_street": "P.O.B. 12"}, {"service_street": [PO_BOX_MESSAGE]}),
        ({"service_state": "Ontario"}, {"service_state": [STATE_MESSAGE]}),
        ({"service_zip": "9410"}, {"service_zip": [ZIP_MESSAGE]}),
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
            {"contact_email": "anna@"},
            {
                "contact_email": [
                    "That e-mail address doesn't look complete. Please check it, "
                    "for example name@company.com."
                ]
            },
        ),
    ],
)
def test_the_wtforms_validators_give_our_sentences(data, errors):
    form = _form(**data)

    assert form.validate() is False
    assert form.errors == errors


def test_a_zip_validator_without_a_state_field_checks_the_format_only():
    class ZipOnly(Form):
        zip_code = StringField(validators=[USZip(state_field="missing")])

    form = ZipOnly(MultiDict({"zip_code": "10001"}))

    assert form.validate() is True


def test_validators_accept_a_custom_message():
    class Street(Form):
        street = StringField(validators=[NotPOBox(message="No boxes, please.")])

    form = Street(MultiDict({"street": "PO Box 1"}))

    assert form.validate() is False
    assert form.errors == {"street": ["No boxes, please."]}
