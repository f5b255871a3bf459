import pytest

from assistant.eligibility import CHECK_STATUS
from assistant.eligibility import NEW_LOCAL
from assistant.eligibility import NEW_TOLL_FREE
from assistant.eligibility import TEAM_HELP
from assistant.eligibility import TEMPORARY
from assistant.eligibility import account_number_warning
from assistant.eligibility import carrier_hint
from assistant.eligibility import check_eligibility
from assistant.eligibility import name_length_warnings
from assistant.eligibility import split_requests
from assistant.numbers import PortNumber
from assistant.numbers import parse_numbers

LOCAL = "+14152345678"
TOLL_FREE = "+18002345678"


def _number(e164: str) -> PortNumber:
    return PortNumber.from_dict({"e164": e164})


@pytest.mark.parametrize(
    ("e164", "options", "code", "reason"),
    [
        (
            "+442079460958",
            {},
            "region",
            "We can only bring over numbers from the United States, and "
            "+44 20 7946 0958 is from somewhere else.",
        ),
        (
            "+14165550123",
            {},
            "region",
            "We can only bring over numbers from the United States, and "
            "(416) 555-0123 is from somewhere else.",
        ),
        (
            "+442079460958",
            {"supported_regions": ("US", "CA", "PR")},
            "region",
            "We can only bring over numbers from Canada, Puerto Rico and the United "
            "States, and +44 20 7946 0958 is from somewhere else.",
        ),
        (
            "+19002345678",
            {},
            "line_type",
            "(900) 234-5678 is a premium-rate number, a kind of number that can't be "
            "moved to us.",
        ),
        (
            "+15002345678",
            {},
            "line_type",
            "(500) 234-5678 is a personal number, a kind of number that can't be "
            "moved to us.",
        ),
        (
            "+11234567890",
            {},
            "invalid",
            "“+11234567890” isn't a complete phone number, so it can't be moved.",
        ),
        (
            "+1415",
            {},
            "invalid",
            "“+1415” isn't a complete phone number, so it can't be moved.",
        ),
        (
            "not a number",
            {},
            "invalid",
            "“not a number” isn't a complete phone number, so it can't be moved.",
        ),
        (
            LOCAL,
            {"active": False},
            "inactive",
            "(415) 234-5678 has to be in service with your current provider on the "
            "day we ask for it. If you can switch it back on, we can try again.",
        ),
        (
            LOCAL,
            {"carrier_refuses": True},
            "carrier_refuses",
            "Your current provider doesn't release numbers to other providers, so "
            "(415) 234-5678 can't be moved from there.",
        ),
        (
            LOCAL,
            {"carrier": "tmobile", "refusing_carriers": ["Telnyx", "T-Mobile"]},
            "carrier_refuses",
            "T-Mobile doesn't release numbers to other providers, so (415) 234-5678 "
            "can't be moved from there.",
        ),
        (
            LOCAL,
            {"carrier": "Acme Tel", "carrier_refuses": True},
            "carrier_refuses",
            "Acme Tel doesn't release numbers to other providers, so (415) 234-5678 "
            "can't be moved from there.",
        ),
        (
            LOCAL,
            {"locked": True},
            "locked",
            "(415) 234-5678 is tied to a messaging service or sub-account on another "
            "platform. Please ask that platform to release it from there; once it's "
            "released, we can ask for it.",
        ),
        (
            LOCAL,
            {"open_numbers": {LOCAL}},
            "already_requested",
            "(415) 234-5678 is already on another porting request that's still open, "
            "so we won't ask for it twice.",
        ),
    ],
)
def test_each_eligibility_rule_gives_its_code_and_plain_reason(
    e164, options, code, reason
):
    result = check_eligibility([_number(e164)], **options)

    assert result.eligible == []
    assert [(i.e164, i.code, i.reason) for i in result.ineligible] == [
        (e164, code, reason)
    ]


@pytest.mark.parametrize(
    ("e164", "options", "alternatives"),
    [
        ("+19002345678", {}, [NEW_LOCAL, NEW_TOLL_FREE, TEMPORARY, TEAM_HELP]),
        (
            TOLL_FREE,
            {"locked": False, "carrier_refuses": True},
            [
                NEW_TOLL_FREE,
                NEW_LOCAL,
                TEMPORARY,
                TEAM_HELP,
            ],
        ),
        (LOCAL, {"active": False}, [TEMPORARY, TEAM_HELP]),
        (LOCAL, {"locked": True}, [TEMPORARY, TEAM_HELP]),
        (LOCAL, {"open_numbers": frozenset({LOCAL})}, [CHECK_STATUS, TEAM_HELP]),
    ],
)
def test_alternatives_fit_the_reason_and_the_kind_of_number(
    e164, options, alternatives
):
    (ineligible,) = check_eligibility([_number(e164)], **options).ineligible

    assert ineligible.alternatives == alternatives


def test_the_alternative_sentences_read_plainly():
    assert [NEW_LOCAL, NEW_TOLL_FREE, TEMPORARY, TEAM_HELP] == [
        "Get a new local number registered for business texting (10DLC).",
        "Get a new toll-free number.",
        "Start texting today from a temporary number while this is sorted out.",
        "Ask our porting team to look at it with you.",
    ]


def test_a_mixed_list_keeps_eligible_numbers_and_lists_the_rest():
    parsed = parse_numbers(
        "415 234 5678, 900 234 5678, +44 20 7946 0958, 800 234 5678, 212 234 5678"
    )

    result = check_eligibility(parsed.numbers, open_numbers={"+12122345678"})

    assert result.eligible == ["+14152345678", "+18002345678"]
    assert [(i.e164, i.code) for i in result.ineligible] == [
        ("+19002345678", "line_type"),
        ("+442079460958", "region"),
        ("+12122345678", "already_requested"),
    ]


def test_dicts_from_the_conversation_slots_are_accepted():
    slots = [n.to_dict() for n in parse_numbers("415 234 5678, 1-800-FLOWERS").numbers]

    result = check_eligibility(slots, active=True)

    assert result.eligible == ["+14152345678", "+18003569377"]


def test_a_number_the_metadata_does_not_know_yet_is_not_refused():
    result = check_eligibility(parse_numbers("+1 710 234 5678").numbers)

    assert result.eligible == ["+17102345678"]


def test_when_several_rules_fail_the_first_one_is_reported():
    result = check_eligibility(
        [_number("+19002345678")], active=False, locked=True, carrier_refuses=True
    )

    assert [i.code for i in result.ineligible] == ["line_type"]


def test_not_knowing_yet_whether_a_number_is_active_blocks_nothing():
    result = check_eligibility([_number(LOCAL)], active=None)

    assert result.eligible == [LOCAL]


@pytest.mark.parametrize(
    ("carrier", "refused"),
    [
        ("T-Mobile", True),
        ("tmobile", True),
        ("t mobile", True),
        ("Google Voice LLC", True),
        ("google  voice", True),
        ("Verizon Wirless", True),
        ("Gogle Voice", True),
        ("T-Mobile USA Inc", True),
        ("Mobile", False),
        ("Tel", False),
        ("Verizon", False),
        ("Comcast", False),
        ("", False),
        (None, False),
    ],
)
def test_a_carrier_on_the_refusing_list_is_recognised_despite_spelling(
    carrier, refused
):
    result = check_eligibility(
        [_number(LOCAL)],
        carrier=carrier,
        refusing_carriers=("T-Mobile", "Google Voice", "Verizon Wireless", "Telnyx"),
    )

    assert [i.code for i in result.ineligible] == (
        ["carrier_refuses"] if refused else []
    )


def test_toll_free_and_geographic_numbers_go_on_separate_requests_geographic_first():
    numbers = parse_numbers(
        "800 234 5678, 415 234 5678, 888 234 5678, 212 234 5678"
    ).numbers

    requests = split_requests(numbers)

    assert [[n.e164 for n in request] for request in requests] == [
        ["+14152345678", "+12122345678"],
        ["+18002345678", "+18882345678"],
    ]


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("415 234 5678, 212 234 5678", 1),
        ("800 234 5678", 1),
        ("", 0),
    ],
)
def test_a_list_of_one_kind_stays_one_request(text, groups):
    assert len(split_requests(parse_numbers(text).numbers)) == groups


def test_carrier_hint_for_a_mobile_number_explains_the_transfer_pin():
    hints = carrier_hint("T-Mobile", "mobile")

    assert hints == [
        "Your account number is on your bill from T-Mobile, usually near the top, "
        "and in your online account under billing or account details.",
        "For a mobile number, T-Mobile gives a number transfer PIN. It isn't your "
        "account PIN: the account owner asks for it in the app, online or by "
        "phone.",
        "A transfer PIN expires after about a week, so ask for it when you're "
        "ready to send this request.",
        "If the account or number has a lock or port-out protection, please turn "
        "it off first, or the move will be refused.",
        "Bought the number through a reseller or an online platform? Then use the "
        "account number and PIN from that platform, not from the network behind it.",
    ]


@pytest.mark.parametrize("number_type", ["landline", "voip", "toll_free"])
def test_carrier_hint_for_other_lines_explains_the_account_pin(number_type):
    hints = carrier_hint("  ", number_type)

    assert hints[1] == (
        "The PIN is the passcode set on your account with your current provider. "
        "If you never set one, their support team can tell you whether there is one."
    )
    assert not any("transfer PIN" in hint for hint in hints)


@pytest.mark.parametrize(
    ("fields", "flagged"),
    [
        ({"business_name": "Rally Plumbing", "authorized_name": "Anna Lee"}, []),
        ({"business_name": "A" * 25, "authorized_name": "B" * 15}, []),
        ({"business_name": "A" * 26}, ["business_name"]),
        ({"authorized_name": "Anna Maria Rodriguez"}, ["authorized_name"]),
        (
            {
                "business_name": "Northern California Plumbing and Heating LLC",
                "authorized_name": "Maximilian Oppenheimer",
            },
            ["business_name", "authorized_name"],
        ),
        ({"business_name": None, "authorized_name": ""}, []),
    ],
)
def test_long_names_are_flagged_never_cut(fields, flagged):
    before = dict(fields)

    warnings = name_length_warnings(fields)

    assert list(warnings) == flagged
    assert fields == before


def test_the_long_business_name_warning_suggests_the_form_on_the_bill():
    warnings = name_length_warnings({"business_name": "A" * 30})

    assert warnings["business_name"] == (
        "Some providers shorten business names after 25 characters. If your bill "
        "shows a shorter form, please use it exactly as printed so the names match."
    )


@pytest.mark.parametrize(
    ("account_number", "queried"),
    [
        ("4152345678", True),
        ("415-234-5678", True),
        ("14152345678", True),
        ("(212) 234-5678", True),
        ("8812345", False),
        ("41523456789", False),
        ("", False),
        ("n/a", False),
    ],
)
def test_an_account_number_equal_to_a_phone_number_is_queried(account_number, queried):
    warning = account_number_warning(account_number, ["+14152345678", "+12122345678"])

    if queried:
        assert warning == (
            "The account number you gave is the same as one of your phone numbers. "
            "Some providers do use the phone number, but most print a separate "
            "account number on the bill: please check it and confirm."
        )
    else:
        assert warning is None


@pytest.mark.parametrize(
    ("e164", "region", "kind"),
    [
        ("+33884012345", "FR", "a shared-cost number"),
        ("+445512345678", "GB", "a company-wide access number"),
        ("+447640123456", "GB", "a pager number"),
        ("+49177991234567", "DE", "a voicemail access number"),
        ("+447012345678", "GB", "a personal number"),
        ("+449012345678", "GB", "a premium-rate number"),
    ],
)
def test_every_line_type_that_cannot_move_is_refused_even_in_a_supported_region(
    e164, region, kind
):
    number = _number(e164)

    (ineligible,) = check_eligibility([number], supported_regions=(region,)).ineligible

    assert (ineligible.code, ineligible.reason) == (
        "line_type",
        f"{number.display} is {kind}, a kind of number that can't be moved to us.",
    )


def test_a_mobile_number_in_a_supported_region_is_eligible():
    assert check_eligibility(
        [_number("+447400123456")], supported_regions=("GB",)
    ).eligible == ["+447400123456"]


@pytest.mark.parametrize(
    ("regions", "places"),
    [
        (("GB",), "the United Kingdom"),
        (("US", "CA"), "Canada and the United States"),
        (("DE", "FR", "NL"), "France, Germany and the Netherlands"),
    ],
)
def test_the_region_reason_names_the_supported_places_readably(regions, places):
    (ineligible,) = check_eligibility(
        [_number("+61255501234")], supported_regions=regions
    ).ineligible

    assert ineligible.reason == (
        f"We can only bring over numbers from {places}, and +61 2 5550 1234 is "
        "from somewhere else."
    )
