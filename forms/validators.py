"""Service address, state, ZIP and e-mail checks, as functions and WTForms validators.

The functions return customer sentences instead of raising, so the chat and
the wizard can show the same words; the validator classes wrap them for
WTForms and store the normalised value back on the field.
"""

from __future__ import annotations

import logging
import re
import unicodedata

import phonenumbers
import usaddress
from email_validator import EmailNotValidError
from email_validator import validate_email
from rapidfuzz import fuzz
from rapidfuzz import process
from rapidfuzz import utils
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

logger = logging.getLogger(__name__)

US_STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
    "GU": "Guam",
    "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}

_STATE_ALIASES = {
    "washington dc": "DC",
    "washington d c": "DC",
    "d c": "DC",
    "virgin islands": "VI",
    "us virgin islands": "VI",
    "northern marianas": "MP",
    "n y": "NY",
    # The traditional abbreviations people still write on forms.
    "ala": "AL",
    "ariz": "AZ",
    "ark": "AR",
    "calif": "CA",
    "colo": "CO",
    "conn": "CT",
    "del": "DE",
    "fla": "FL",
    "ill": "IL",
    "ind": "IN",
    "kans": "KS",
    "kan": "KS",
    "mass": "MA",
    "mich": "MI",
    "minn": "MN",
    "miss": "MS",
    "mont": "MT",
    "nebr": "NE",
    "neb": "NE",
    "nev": "NV",
    "okla": "OK",
    "ore": "OR",
    "oreg": "OR",
    "penn": "PA",
    "tenn": "TN",
    "tex": "TX",
    "wash": "WA",
    "w va": "WV",
    "wis": "WI",
    "wisc": "WI",
    "wyo": "WY",
}

# The first ZIP digit each state's ZIP codes start with (USPS national areas).
# New York reaches into 0 (Fishers Island, the IRS in Holtsville) and Texas
# into 8 (El Paso), so those two list both.
ZIP_FIRST_DIGITS = {
    "0": "CT MA ME NH NJ NY PR RI VT VI",
    "1": "DE NY PA",
    "2": "DC MD NC SC VA WV",
    "3": "AL FL GA MS TN",
    "4": "IN KY MI OH",
    "5": "IA MN MT ND SD WI",
    "6": "IL KS MO NE",
    "7": "AR LA OK TX",
    "8": "AZ CO ID NM NV TX UT WY",
    "9": "AK AS CA GU HI MP OR WA",
}

# A state name this close (0-100) to a typed one is taken as a typo of it.
STATE_MATCH_SCORE = 90

PO_BOX_MESSAGE = (
    "A P.O. box can't be used here: the provider checks the place where the "
    "phone service is. Please enter the street address instead."
)
PMB_MESSAGE = (
    "A private mailbox (PMB) is a mail drop, so it can't be used here: the "
    "provider checks the place where the phone service is. Please enter the "
    "suite or unit of that place instead, or leave it empty."
)
STREET_NAME_MESSAGE = "Please add the street name to the number, like 123 Main St."
# The one example number every phone sentence shows, outside the fictional range.
EXAMPLE_PHONE = "(415) 555-2671"
PHONE_MESSAGE = (
    "That doesn't look like a phone number. Please enter it with its area code, "
    f"like {EXAMPLE_PHONE}."
)
STATE_MESSAGE = "Please enter a US state, as its name or 2-letter code (like CA)."
ZIP_MESSAGE = "Please enter a 5-digit ZIP code, like 94103 or 94103-1234."
EMAIL_MESSAGE = (
    "That e-mail address doesn't look complete. Please check it, for example "
    "name@company.com."
)

# Typographic dashes that pasted text brings in, each read as a plain hyphen;
# NFKC has already folded the full-width and small forms.
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
DASH_TABLE = str.maketrans(dict.fromkeys(DASHES, "-"))

_BOX_WORDS = (
    r"p\.?\s*o\.?\s*b(?:ox|\.)?"
    r"|post(?:al)?\s*(?:office\s*)?box"
    r"|(?:lock|caller)\s*box"
    r"|p\.?\s*o\.?\s*drawer"
)
# A box word counts when a box number follows it or nothing does: "PO Box",
# "POB 12", "P.O.Box12" are boxes, while "Postbox Lane" is a street name.
_PO_BOX = re.compile(
    rf"\b(?:{_BOX_WORDS})(?![a-z])\s*(?:#|no\.?|number)?\s*(?:[a-z]?-?\d|$)",
    re.IGNORECASE,
)
# A private mailbox at a mail store: "PMB 123", "P.M.B. 12", "Private Mailbox 4".
_PMB = re.compile(
    r"\b(?:p\.?\s*m\.?\s*b\.?|private\s*mail(?:ing)?\s*box)(?![a-z])"
    r"\s*(?:#|no\.?|number)?\s*(?:[a-z]?-?\d|$)",
    re.IGNORECASE,
)
_BOX_LINE = re.compile(r"\s*box\s*(?:#|no\.?)?\s*\d+[a-z]?\s*", re.IGNORECASE)
# ASCII digits only: \d would also take other scripts' digits into the ZIP.
_ZIP = re.compile(r"([0-9]{5})(?:[\s-]?([0-9]{4}))?")
_NOT_LETTER = re.compile(r"[^a-z]+")
_STATE_NAMES = {
    _NOT_LETTER.sub(" ", n.lower()).strip(): c for c, n in US_STATES.items()
}


def is_po_box(text: str) -> bool:
    """Whether an address line is a P.O. box in any of its usual spellings."""
    for line in (text or "").splitlines():
        if _PO_BOX.search(line) or _BOX_LINE.fullmatch(line):
            return True
        if "USPSBoxType" in _address_labels(line):
            return True
    return False


def is_private_mailbox(text: str) -> bool:
    """Whether an address line is a private mailbox (PMB) at a mail store."""
    return any(_PMB.search(line) for line in (text or "").splitlines())


def mail_drop_message(text: str) -> str | None:
    """The sentence refusing a P.O. box or private mailbox, or None for neither."""
    if is_private_mailbox(text):
        return PMB_MESSAGE
    if is_po_box(text):
        return PO_BOX_MESSAGE
    return None


def has_street_name(street: str) -> bool:
    """Whether a street line names a street, not only a house number."""
    return any(ch.isalpha() for ch in street or "")


def normalise_phone(s: str | None, region: str = "US") -> str | None:
    """A phone number as +E.164, or None when the text isn't a valid one."""
    text = unicodedata.normalize("NFKC", s or "").strip()
    if not text:
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_state(s: str | None) -> str | None:
    """The 2-letter code of a US state or territory, from its code or name."""
    text = (s or "").strip()
    if not text:
        return None
    letters = _NOT_LETTER.sub(" ", text.lower()).strip()
    code = letters.replace(" ", "").upper()
    if len(code) == 2 and code in US_STATES:
        return code
    if letters in _STATE_NAMES:
        return _STATE_NAMES[letters]
    if letters in _STATE_ALIASES:
        return _STATE_ALIASES[letters]
    # Full names only, so a short typo is never guessed into a state.
    if len(letters) >= 5:
        match = process.extractOne(
            letters,
            list(_STATE_NAMES),
            scorer=fuzz.ratio,
            processor=utils.default_process,
            score_cutoff=STATE_MATCH_SCORE,
        )
        if match:
            return _STATE_NAMES[match[0]]
    return None


def normalise_zip(s: str | None) -> str | None:
    """A ZIP code as 12345 or 12345-6789, or None when it isn't one."""
    # Full-width digits and typographic dashes come in with pasted text.
    text = unicodedata.normalize("NFKC", s or "").translate(DASH_TABLE).strip()
    match = _ZIP.fullmatch(text)
    if not match or match.group(1) == "00000":
        return None
    return "-".join(part for part in match.groups() if part)


def check_service_address(
    street: str | None,
    unit: str | None,
    city: str | None,
    state: str | None,
    zip: str | None,
) -> dict[str, list[str]]:
    """Problems with a service address, keyed by the porting-request field name."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    street = (street or "").strip()
    if not street:
        add("service_street", "Please enter the street address, like 12 Main St.")
    elif street_drop := mail_drop_message(street):
        add("service_street", street_drop)
    elif not has_street_name(street):
        add("service_street", STREET_NAME_MESSAGE)
    if unit_drop := mail_drop_message(unit or ""):
        add("service_unit", unit_drop)

    city = (city or "").strip()
    if not any(c.isalpha() for c in city):
        add("service_city", "Please enter the city or town.")

    code = normalise_state(state)
    if code is None:
        add("service_state", STATE_MESSAGE)
    zip_code = normalise_zip(zip)
    if zip_code is None:
        add("service_zip", ZIP_MESSAGE)
    elif code and not zip_matches_state(zip_code, code):
        add("service_zip", _zip_state_message(zip_code, code))
    return errors


def zip_matches_state(zip_code: str, state: str) -> bool:
    """Whether a ZIP code can belong to a state, judged by its first digit."""
    return state in ZIP_FIRST_DIGITS.get(zip_code[:1], "").split()


def check_email(s: str | None) -> tuple[str | None, str | None]:
    """The normalised e-mail address and None, or None and a sentence saying why."""
    text = (s or "").strip()
    if not text:
        return None, "Please enter an e-mail address."
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None, EMAIL_MESSAGE
    return checked.normalized, None


class NotPOBox:
    """Refuses a P.O. box or a private mailbox (PMB) in an address field."""

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field) -> None:
        sentence = mail_drop_message(str(field.data or ""))
        if sentence:
            raise ValidationError(self.message or sentence)


class StreetName:
    """Refuses a street line that is only a house number."""

    def __init__(self, message: str | None = None):
        self.message = message or STREET_NAME_MESSAGE

    def __call__(self, form, field) -> None:
        if field.data and not has_street_name(str(field.data)):
            raise ValidationError(self.message)


class Phone:
    """Accepts a valid phone number (US unless it has a country code)."""

    def __init__(self, region: str = "US", message: str | None = None):
        self.region = region
        self.message = message or PHONE_MESSAGE

    def __call__(self, form, field) -> None:
        if field.data and normalise_phone(str(field.data), self.region) is None:
            raise StopValidation(self.message)


class TCRId:
    """A Campaign Registry ID: its letter and 6 letters or digits, stored uppercase."""

    def __init__(self, prefix: str, what: str):
        self.prefix, self.what = prefix, what
        self.pattern = re.compile(rf"{prefix}[A-Z0-9]{{6}}")

    def __call__(self, form, field) -> None:
        text = "".join(str(field.data or "").split()).upper()
        if not text:
            return
        if not self.pattern.fullmatch(text):
            raise StopValidation(
                f"A {self.what} ID is the letter {self.prefix} followed by 6 letters "
                f"or digits, like {self.prefix}A1B2C3. You'll find it in your "
                "Campaign Registry account; or leave it empty."
            )
        field.data = text


class USState:
    """Accepts a US state name or code and stores the 2-letter code."""

    def __init__(self, message: str | None = None):
        self.message = message or STATE_MESSAGE

    def __call__(self, form, field) -> None:
        code = normalise_state(field.data)
        if code is None:
            raise StopValidation(self.message)
        field.data = code


class USZip:
    """Accepts ZIP or ZIP+4, stores it normalised, and checks it fits the state.

    The state is read from `state_field` on the same form when it is there.
    """

    def __init__(self, state_field: str = "service_state", message: str | None = None):
        self.state_field = state_field
        self.message = message or ZIP_MESSAGE

    def __call__(self, form, field) -> None:
        zip_code = normalise_zip(field.data)
        if zip_code is None:
            raise StopValidation(self.message)
        field.data = zip_code

        state_field = _form_field(form, self.state_field)
        state = normalise_state(state_field.data) if state_field else None
        if state and not zip_matches_state(zip_code, state):
            raise ValidationError(_zip_state_message(zip_code, state))


class Email:
    """Checks an e-mail address with email-validator and stores it normalised."""

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field) -> None:
        normalised, error = check_email(field.data)
        if error:
            raise StopValidation(self.message or error)
        field.data = normalised


def _zip_state_message(zip_code: str, state: str) -> str:
    return (
        f"The ZIP code {zip_code} isn't one used in {US_STATES[state]}; please "
        "check the ZIP code and the state."
    )


def _address_labels(line: str) -> set[str]:
    """Labels usaddress gives a line; none when it can't make sense of it."""
    try:
        tagged, _kind = usaddress.tag(line)
    except Exception:
        # usaddress raises RepeatedLabelError and others on odd input; an
        # address it can't label is still accepted, so nothing is re-raised.
        logger.debug("usaddress could not label an address line")
        return set()
    return set(tagged)


def _form_field(form, name: str):
    try:
        return form[name]
    except (KeyError, TypeError):
        return None
