"""Which numbers can be ported here, and what to offer for those that can't."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

import phonenumbers
from phonenumbers import NumberParseException
from phonenumbers import geocoder
from rapidfuzz import fuzz
from rapidfuzz import utils

from assistant.numbers import NANP_SHAPE
from assistant.numbers import PortNumber

logger = logging.getLogger(__name__)

# Line types phonenumbers reports that no provider here can take over.
UNPORTABLE_LINE_TYPES = {
    "premium_rate": "a premium-rate number",
    "personal_number": "a personal number",
    "shared_cost": "a shared-cost number",
    "uan": "a company-wide access number",
    "pager": "a pager number",
    "voicemail": "a voicemail access number",
}

# A word of a carrier name this close (0-100) to a configured one is the same.
CARRIER_MATCH_SCORE = 88

BUSINESS_NAME_LIMIT = 25
AUTHORIZED_NAME_LIMIT = 15

NEW_LOCAL = "Get a new local number registered for business texting (10DLC)."
NEW_TOLL_FREE = "Get a new toll-free number."
TEMPORARY = "Start texting today from a temporary number while this is sorted out."
TEAM_HELP = "Ask our porting team to look at it with you."
CHECK_STATUS = "Check how the other request is going on the status page."

_NOT_DIGIT = re.compile(r"\D")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@dataclass
class Ineligible:
    """A number that can't be ported, why, and what the customer can do instead."""

    e164: str
    code: str
    reason: str
    alternatives: list[str] = field(default_factory=list)


@dataclass
class EligibilityResult:
    """Numbers split into those that can carry on and those that can't."""

    eligible: list[str] = field(default_factory=list)
    ineligible: list[Ineligible] = field(default_factory=list)


def check_eligibility(
    numbers: list[PortNumber | dict],
    *,
    supported_regions: Iterable[str] = ("US",),
    active: bool | None = None,
    carrier: str | None = None,
    refusing_carriers: Iterable[str] = (),
    carrier_refuses: bool = False,
    locked: bool = False,
    open_numbers: set[str] | frozenset[str] = frozenset(),
) -> EligibilityResult:
    """Apply every porting rule to each number; the first rule a number fails wins.

    `active`, `carrier_refuses` and `locked` are the customer's answers for the
    whole list; `active=None` means not asked yet and blocks nothing.
    """
    supported = set(supported_regions)
    matched = _refusing_carrier(carrier, refusing_carriers)
    refuses = carrier_refuses or matched is not None
    provider = matched or (carrier or "").strip() or None
    result = EligibilityResult()

    for item in numbers:
        number = item if isinstance(item, PortNumber) else PortNumber.from_dict(item)
        code = _first_failed_rule(number, supported, active, refuses, locked)
        if code is None and number.e164 in open_numbers:
            code = "already_requested"
        if code is None:
            result.eligible.append(number.e164)
            continue
        result.ineligible.append(
            Ineligible(
                e164=number.e164,
                code=code,
                reason=_reason(code, number, supported, provider),
                alternatives=_alternatives(code, number),
            )
        )

    logger.info(
        "eligibility: %d eligible, %d not (%s)",
        len(result.eligible),
        len(result.ineligible),
        ", ".join(sorted({i.code for i in result.ineligible})) or "none",
    )
    return result


def split_requests(numbers: list[PortNumber]) -> list[list[PortNumber]]:
    """Group numbers into requests: geographic first, toll-free on its own."""
    geographic = [n for n in numbers if not n.toll_free]
    toll_free = [n for n in numbers if n.toll_free]
    return [group for group in (geographic, toll_free) if group]


def carrier_hint(carrier: str, number_type: str) -> list[str]:
    """Help lines on finding the account details this provider will ask for."""
    provider = carrier.strip() or "your current provider"
    if number_type == "google_voice":
        # Google Voice sends no bill, so the generic bill hints would mislead.
        return [
            "Google Voice doesn't send a bill. First unlock the number for "
            "transfer in your Google Voice settings, signed in to the Google "
            "account that holds it.",
            "Then enter here the account number and PIN that your Google account "
            "gives you for the transfer.",
        ]
    hints = [
        f"Your account number is on your bill from {provider}, usually near the "
        "top, and in your online account under billing or account details."
    ]
    if number_type == "mobile":
        hints += [
            f"For a mobile number, {provider} gives a number transfer PIN. It isn't "
            "your account PIN: the account owner asks for it in the app, online "
            "or by phone.",
            "A transfer PIN expires after about a week, so ask for it when you're "
            "ready to send this request.",
        ]
    else:
        hints.append(
            f"The PIN is the passcode set on your account with {provider}. If you "
            "never set one, their support team can tell you whether there is one."
        )
    hints += [
        "If the account or number has a lock or port-out protection, please turn "
        "it off first, or the move will be refused.",
        "Bought the number through a reseller or an online platform? Then use the "
        "account number and PIN from that platform, not from the network behind it.",
    ]
    return hints


def name_length_warnings(fields: dict) -> dict[str, str]:
    """Kind warnings for names some providers cut short; the names are kept."""
    limits = {
        "business_name": (BUSINESS_NAME_LIMIT, "business names"),
        "authorized_name": (AUTHORIZED_NAME_LIMIT, "the authorized person's name"),
    }
    warnings = {}
    for name, (limit, what) in limits.items():
        value = (fields.get(name) or "").strip()
        if len(value) > limit:
            warnings[name] = (
                f"Some providers shorten {what} after {limit} characters. If your "
                "bill shows a shorter form, please use it exactly as printed so "
                "the names match."
            )
    return warnings


def account_number_warning(account_number: str, numbers: list[str]) -> str | None:
    """A question for the customer when the account number is one of the numbers."""
    digits = _NOT_DIGIT.sub("", account_number or "")
    if not digits:
        return None
    for e164 in numbers:
        national = _national_digits(e164)
        if national and digits in (national, "1" + national):
            return (
                "The account number you gave is the same as one of your phone "
                "numbers. Some providers do use the phone number, but most print a "
                "separate account number on the bill: please check it and confirm."
            )
    return None


def _first_failed_rule(
    number: PortNumber,
    supported: set[str],
    active: bool | None,
    refuses: bool,
    locked: bool,
) -> str | None:
    if _is_invalid(number):
        return "invalid"
    if not _in_supported_region(number, supported):
        return "region"
    if number.line_type in UNPORTABLE_LINE_TYPES:
        return "line_type"
    if active is False:
        return "inactive"
    if refuses:
        return "carrier_refuses"
    if locked:
        return "locked"
    return None


def _is_invalid(number: PortNumber) -> bool:
    try:
        parsed = phonenumbers.parse(number.e164, None)
    except NumberParseException:
        return True
    if not phonenumbers.is_possible_number(parsed):
        return True
    national = phonenumbers.national_significant_number(parsed)
    return parsed.country_code == 1 and not NANP_SHAPE.fullmatch(national)


def _in_supported_region(number: PortNumber, supported: set[str]) -> bool:
    if number.region in supported:
        return True
    # A NANP number the metadata doesn't place yet is waiting on the
    # customer's confirmation, not refused: it is most likely a new US block.
    return number.region is None and number.e164.startswith("+1") and "US" in supported


def _refusing_carrier(carrier: str | None, refusing: Iterable[str]) -> str | None:
    """The configured name the customer's carrier matches, allowing for typos.

    A refusal is a hard block, so a match must be close: the same name with
    spaces and punctuation ignored ("tmobile" for "T-Mobile"), or every word
    of the configured name, each allowing a typo, among the customer's words
    ("Gogle Voice LLC" for "Google Voice"). A shorter name ("Verizon") never
    matches a longer one ("Verizon Wireless"), nor a fragment ("Tel") "Telnyx".
    """
    if not carrier or not _squash(carrier):
        return None
    words = utils.default_process(carrier).split()
    for name in refusing:
        if _squash(carrier) == _squash(name):
            return name
        wanted = utils.default_process(name).split()
        if wanted and all(_has_word(words, word) for word in wanted):
            return name
    return None


def _has_word(words: list[str], word: str) -> bool:
    return any(fuzz.ratio(w, word) >= CARRIER_MATCH_SCORE for w in words)


def _squash(name: str) -> str:
    return _NOT_ALNUM.sub("", name.lower())


def _reason(
    code: str, number: PortNumber, supported: set[str], provider: str | None
) -> str:
    shown = number.display
    if code == "invalid":
        # The entry as typed, since a broken number has no display form.
        return f"“{number.raw}” isn't a complete phone number, so it can't be moved."
    if code == "region":
        return (
            f"We can only bring over numbers from {_places(supported)}, and {shown} "
            "is from somewhere else."
        )
    if code == "line_type":
        kind = UNPORTABLE_LINE_TYPES[number.line_type]
        return f"{shown} is {kind}, a kind of number that can't be moved to us."
    if code == "inactive":
        return (
            f"{shown} has to be in service with your current provider on the day "
            "we ask for it. If you can switch it back on, we can try again."
        )
    if code == "carrier_refuses":
        return (
            f"{provider or 'Your current provider'} doesn't release numbers to "
            f"other providers, so {shown} can't be moved from there."
        )
    if code == "locked":
        return (
            f"{shown} is tied to a messaging service or sub-account on another "
            "platform. Please ask that platform to release it from there; once "
            "it's released, we can ask for it."
        )
    return (
        f"{shown} is already on another porting request that's still open, so we "
        "won't ask for it twice."
    )


def _alternatives(code: str, number: PortNumber) -> list[str]:
    if code == "already_requested":
        return [CHECK_STATUS, TEAM_HELP]
    if code in ("inactive", "locked"):
        return [TEMPORARY, TEAM_HELP]
    new_numbers = (
        [NEW_TOLL_FREE, NEW_LOCAL] if number.toll_free else [NEW_LOCAL, NEW_TOLL_FREE]
    )
    return [*new_numbers, TEMPORARY, TEAM_HELP]


def _places(regions: set[str]) -> str:
    names = sorted(map(_region_name, regions), key=lambda n: n.removeprefix("the "))
    if len(names) <= 1:
        return "".join(names) or "no region yet"
    return ", ".join(names[:-1]) + " and " + names[-1]


def _region_name(region: str) -> str:
    example = phonenumbers.example_number(region)
    name = geocoder.country_name_for_number(example, "en") if example else ""
    if not name:
        return region
    # Country names that read wrongly without "the" in a sentence.
    if name.startswith(_NAMES_WITH_THE):
        return f"the {name}"
    return name


_NAMES_WITH_THE = (
    "United",
    "Netherlands",
    "Philippines",
    "Bahamas",
    "Dominican Republic",
    "Czech Republic",
    "Gambia",
)


def _national_digits(e164: str) -> str | None:
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    return phonenumbers.national_significant_number(parsed)
