import codecs

import pytest

from assistant.numbers import NumberListError
from assistant.numbers import PortNumber
from assistant.numbers import format_number
from assistant.numbers import is_toll_free
from assistant.numbers import parse_number_list_csv
from assistant.numbers import parse_numbers

# "+1 415 234 5678" typed on a full-width (CJK) keyboard.
FULL_WIDTH = "".join(
    "\u3000" if c == " " else chr(ord(c) + 0xFEE0) for c in "+1 415 234 5678"
)


def _e164s(result):
    return [n.e164 for n in result.numbers]


def _codes(result):
    return [i.code for i in result.issues]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4152345678", ["+14152345678"]),
        ("415 234 5678", ["+14152345678"]),
        ("(415) 234-5678", ["+14152345678"]),
        ("(415)234-5678", ["+14152345678"]),
        ("415.234.5678", ["+14152345678"]),
        ("415-234-5678", ["+14152345678"]),
        ("+1 415 234 5678", ["+14152345678"]),
        ("+14152345678", ["+14152345678"]),
        ("1-415-234-5678", ["+14152345678"]),
        ("1 (415) 234-5678", ["+14152345678"]),
        ("+1 (415) 234-5678.", ["+14152345678"]),
        ("Tel: (415) 234-5678", ["+14152345678"]),
        ("Phone#4152345678", ["+14152345678"]),
        ("Fax4152345678", ["+14152345678"]),
        ("800 234 5678", ["+18002345678"]),
        ("+44 20 7946 0958", ["+442079460958"]),
        ("011 44 20 7946 0958", ["+442079460958"]),
        ("415 234 5678, 415 234 5679", ["+14152345678", "+14152345679"]),
        ("415 234 5678; 415 234 5679", ["+14152345678", "+14152345679"]),
        ("415 234 5678\n415 234 5679", ["+14152345678", "+14152345679"]),
        ("415 234 5678\r\n\r\n415 234 5679", ["+14152345678", "+14152345679"]),
        ("415 234 5678\t415 234 5679", ["+14152345678", "+14152345679"]),
        ("4152345678 4152345679", ["+14152345678", "+14152345679"]),
        ("415-234-5678 415-234-5679", ["+14152345678", "+14152345679"]),
        ("(415) 234-5678 (415) 234-5679", ["+14152345678", "+14152345679"]),
        ("415 234 5678 415 234 5679", ["+14152345678", "+14152345679"]),
        ("1 415 234 5678 1 415 234 5679", ["+14152345678", "+14152345679"]),
        ("+44 20 7946 0958 +44 20 7946 0959", ["+442079460958", "+442079460959"]),
        ("415 234 5678 and 415 234 5679", ["+14152345678", "+14152345679"]),
        ("1.415.234.5678", ["+14152345678"]),
        ("+1.415.234.5678", ["+14152345678"]),
        ("(415)-234-5678", ["+14152345678"]),
        ("415/234-5678", ["+14152345678"]),
        ("415 2345678", ["+14152345678"]),
        ("[415] 234-5678", ["+14152345678"]),
        ("tel:+14152345678", ["+14152345678"]),
        # Pasted from a word processor or a web page: typographic dashes,
        # non-breaking spaces and full-width digits.
        ("415\u2013234\u20135678", ["+14152345678"]),
        ("415\u2011234\u20115678", ["+14152345678"]),
        ("(415)\u00a0234\u20145678", ["+14152345678"]),
        (FULL_WIDTH, ["+14152345678"]),
        ("\uff08415\uff09234-5678", ["+14152345678"]),
        ("415 234 5678 \u2022 415 234 5679", ["+14152345678", "+14152345679"]),
    ],
)
def test_parse_numbers_reads_every_common_spelling_and_list_separator(text, expected):
    result = parse_numbers(text)

    assert _e164s(result) == expected
    assert result.issues == []


@pytest.mark.parametrize(
    ("text", "expected_raw"),
    [
        ("Front desk (Anna) 415 234 5678", "Front desk (Anna) 415 234 5678"),
        ("415 234 5678 (main line)", "415 234 5678 (main line)"),
        ("Anna - 415.234.5678", "Anna - 415.234.5678"),
        ("Call Bob at (415) 234-5678 please", "Call Bob at (415) 234-5678 please"),
    ],
)
def test_words_around_a_number_never_become_digits(text, expected_raw):
    result = parse_numbers(text)

    assert [(n.e164, n.raw, n.vanity) for n in result.numbers] == [
        ("+14152345678", expected_raw, False)
    ]
    assert result.issues == []


def test_labels_and_headers_in_a_pasted_list_are_not_reported():
    text = "Here are our numbers:\nMain office\n415 234 5678\nWarehouse, 212 234 5678"

    result = parse_numbers(text)

    assert _e164s(result) == ["+14152345678", "+12122345678"]
    assert result.issues == []


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("1-800-FLOWERS", "+18003569377"),
        ("1 800 FLOWERS", "+18003569377"),
        ("800-flowers", "+18003569377"),
        ("+1 (800) FLOWERS", "+18003569377"),
        ("1-800-GOT-JUNK", "+18004685865"),
        ("1-800-CONTACTS", "+18002668228"),
        ("(415) 555-HELP", "+14155554357"),
    ],
)
def test_a_whole_entry_spelled_in_letters_is_read_as_a_vanity_number(text, e164):
    result = parse_numbers(text)

    assert [(n.e164, n.vanity, n.raw) for n in result.numbers] == [(e164, True, text)]
    assert result.needs_confirmation == result.numbers
    shown = format_number(e164)
    assert result.issues[0].code == "vanity"
    assert result.issues[0].message == (
        f"We read “{text}” as {shown}; please confirm that's your number."
    )


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            "415 234 567",
            "too_short",
            "“415 234 567” has too few digits for a phone number; please check it.",
        ),
        (
            "415 234 56789",
            "too_long",
            "“415 234 56789” has too many digits for one phone number; "
            "please check it.",
        ),
        (
            "41523456784152345679",
            "too_long",
            "“41523456784152345679” has too many digits for one phone number; "
            "please check it.",
        ),
        (
            "234 5678",
            "too_short",
            "“234 5678” is missing its area code: please add the 3 digits in front.",
        ),
        (
            "012 345 6789",
            "invalid",
            "“012 345 6789” isn't a phone number that can exist; please check the "
            "digits.",
        ),
        (
            "415 123 4567",
            "invalid",
            "“415 123 4567” isn't a phone number that can exist; please check the "
            "digits.",
        ),
        (
            "+1 311 234 5678",
            "invalid",
            "“+1 311 234 5678” isn't a phone number that can exist; please check the "
            "digits.",
        ),
        (
            "+999 123 456",
            "invalid",
            "“+999 123 456” isn't a phone number that can exist; please check the "
            "digits.",
        ),
        (
            "1-800-FLOWER",
            "too_short",
            "“1-800-FLOWER” has too few digits for a phone number; please check it.",
        ),
        (
            "12#34",
            "not_a_number",
            "We couldn't find a phone number in “12#34”.",
        ),
        (
            "Call me at 415 234 567",
            "too_short",
            "“Call me at 415 234 567” has too few digits for a phone number; please "
            "check it.",
        ),
    ],
)
def test_an_entry_that_is_not_a_usable_number_is_named_with_its_reason(
    text, code, message
):
    result = parse_numbers(text)

    assert result.numbers == []
    assert [(i.raw, i.code, i.message) for i in result.issues] == [
        (text, code, message)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "How long does a port take?",
        "I have 3 numbers to port, how long does that take?",
        "Can I port by December 15 2026?",
        "Suite 4B",
        "FLOWERS",
        "",
        " , ; \n",
    ],
)
def test_text_without_a_number_attempt_gives_an_empty_result(text):
    result = parse_numbers(text)

    assert (result.numbers, result.issues, result.duplicates) == ([], [], [])
    assert result.summary_lines() == ["We didn't find a phone number we could use yet."]


def test_a_bad_entry_in_a_list_is_named_and_the_good_ones_are_kept():
    result = parse_numbers("415 234 5678, 415 234 567, 212 234 5678")

    assert _e164s(result) == ["+14152345678", "+12122345678"]
    assert [(i.raw, i.code) for i in result.issues] == [("415 234 567", "too_short")]


def test_a_short_number_followed_by_a_good_one_on_the_same_line_is_split():
    result = parse_numbers("415 234 567 212 234 5678")

    assert _e164s(result) == ["+12122345678"]
    assert [(i.raw, i.code) for i in result.issues] == [("415 234 567", "too_short")]


@pytest.mark.parametrize(
    "text",
    [
        "415 234 5678 ext 12",
        "415 234 5678 ext. 12",
        "415 234 5678 extension 12",
        "415-234-5678x12",
        "415-234-5678 x12",
        "415-234-5678 x 12",
        "(415) 234-5678 (ext 12)",
        "+1-415-234-5678;ext=12",
        "tel:+1-415-234-5678;ext=12",
    ],
)
def test_an_extension_is_kept_on_the_number_and_warned_about(text):
    result = parse_numbers(text)

    assert [(n.e164, n.extension) for n in result.numbers] == [("+14152345678", "12")]
    assert _codes(result) == ["extension"]
    assert result.issues[0].message.endswith(
        "has extension 12: we'll move the main number (415) 234-5678, since an "
        "extension can't be moved on its own."
    )


def test_an_extension_in_a_list_goes_with_the_number_before_it():
    result = parse_numbers("415 234 5678 x12 415 234 5679")

    assert [(n.e164, n.extension, n.raw) for n in result.numbers] == [
        ("+14152345678", "12", "415 234 5678 ext 12"),
        ("+14152345679", None, "415 234 5679"),
    ]


@pytest.mark.parametrize(
    ("text", "fictional"),
    [
        ("415 555 0100", True),
        ("(212) 555-0123", True),
        ("+1 303 555 0199", True),
        ("415 555 0200", False),
        ("415 555 0099", False),
        ("415 234 0150", False),
        ("212-555-0143", True),
        ("800-555-0199", False),
        ("(888) 555-0100", False),
    ],
)
def test_numbers_reserved_for_fiction_are_left_out_like_invalid_entries(
    text, fictional
):
    result = parse_numbers(text)

    assert len(result.numbers) == (0 if fictional else 1)
    expected = ["fictional"] if fictional else []
    assert _codes(result) == expected


def test_a_toll_free_number_in_the_555_01_range_is_kept_as_toll_free():
    result = parse_numbers("800-555-0199")

    assert [n.e164 for n in result.numbers] == ["+18005550199"]
    assert result.numbers[0].line_type == "toll_free"
    assert not result.issues


def test_the_fictional_issue_names_the_entry_and_asks_to_fix_or_leave_it_out():
    result = parse_numbers("415 555 0123")

    assert result.issues[0].message == (
        "“415 555 0123” is a number reserved for films and examples, so it can't be "
        "moved and we've left it out. Please check it for a typo, or carry on "
        "without it."
    )


def test_a_fictional_number_in_a_list_is_left_out_and_the_others_kept():
    result = parse_numbers("415 867 5309, (212) 555-0143, 415 867 5310")

    assert [n.e164 for n in result.numbers] == ["+14158675309", "+14158675310"]
    assert [(i.raw, i.code) for i in result.issues] == [("(212) 555-0143", "fictional")]


def test_a_fictional_number_in_a_csv_is_left_out_and_named():
    data = b"name,number\nMain,415 867 5309\nFilm,(212) 555-0143\n"
    result = parse_number_list_csv(data)

    assert [n.e164 for n in result.numbers] == ["+14158675309"]
    assert [(i.raw, i.code) for i in result.issues] == [("(212) 555-0143", "fictional")]


def test_a_number_the_metadata_does_not_know_gets_a_confirm_step_not_a_block():
    result = parse_numbers("+1 710 234 5678")

    assert [(n.e164, n.known, n.line_type) for n in result.numbers] == [
        ("+17102345678", False, "unknown")
    ]
    assert result.needs_confirmation == result.numbers
    assert [(i.code, i.message) for i in result.issues] == [
        (
            "unknown_range",
            "We don't recognise “+1 710 234 5678” as a number in use yet; please "
            "confirm it's right.",
        )
    ]


@pytest.mark.parametrize(
    ("text", "kept", "duplicates"),
    [
        ("415 234 5678, (415) 234-5678", ["+14152345678"], ["+14152345678"]),
        (
            "415 234 5678\n+1 415 234 5678\n1-415-234-5678",
            ["+14152345678"],
            ["+14152345678"],
        ),
        (
            "415 234 5678, 212 234 5678, 4152345678, 2122345678",
            ["+14152345678", "+12122345678"],
            ["+14152345678", "+12122345678"],
        ),
        ("800-356-9377, 1-800-FLOWERS", ["+18003569377"], ["+18003569377"]),
    ],
)
def test_duplicates_are_removed_and_reported_once_each(text, kept, duplicates):
    result = parse_numbers(text)

    assert _e164s(result) == kept
    assert result.duplicates == duplicates
    assert _codes(result).count("duplicate") == len(duplicates)


@pytest.mark.parametrize(
    ("text", "line_type"),
    [
        ("415 234 5678", "fixed_line_or_mobile"),
        ("800 234 5678", "toll_free"),
        ("833 234 5678", "toll_free"),
        ("888 234 5678", "toll_free"),
        ("900 234 5678", "premium_rate"),
        ("500 234 5678", "personal_number"),
        ("+44 20 7946 0958", "fixed_line"),
        ("+44 7911 123456", "mobile"),
    ],
)
def test_the_line_type_comes_from_the_number_itself(text, line_type):
    (number,) = parse_numbers(text).numbers

    assert number.line_type == line_type
    assert number.toll_free == (line_type == "toll_free")


@pytest.mark.parametrize(
    ("e164", "shown", "toll_free"),
    [
        ("+14152345678", "(415) 234-5678", False),
        ("+18003569377", "(800) 356-9377", True),
        ("+18442345678", "(844) 234-5678", True),
        ("+442079460958", "+44 20 7946 0958", False),
        ("+80012345678", "+800 1234 5678", True),
        ("not a number", "not a number", False),
    ],
)
def test_format_number_and_is_toll_free(e164, shown, toll_free):
    assert format_number(e164) == shown
    assert is_toll_free(e164) is toll_free


def test_a_port_number_survives_a_round_trip_through_a_dict():
    (number,) = parse_numbers("1-800-FLOWERS").numbers

    again = PortNumber.from_dict(number.to_dict())

    assert again == number
    assert again.display == "(800) 356-9377"


def test_a_port_number_can_be_rebuilt_from_its_e164_alone():
    number = PortNumber.from_dict({"e164": "+15002345678"})

    assert (number.region, number.line_type, number.known) == (
        "US",
        "personal_number",
        True,
    )


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("415 234 5678", ["We found 1 number."]),
        ("800 234 5678, 888 234 5678", ["We found 2 toll-free numbers."]),
        (
            "415 234 5678, 800 234 5678, 212 234 5678",
            ["We found 3 numbers, 1 of them toll-free."],
        ),
        (
            "415 234 5678, 4152345678, 415 234 567",
            [
                "We found 1 number.",
                "(415) 234-5678 was listed more than once; we kept it once.",
                "“415 234 567” has too few digits for a phone number; please check it.",
            ],
        ),
        (
            "415 234 5678, 4152345678, 212 234 5678, 2122345678",
            [
                "We found 2 numbers.",
                "These were listed more than once and we kept each once: "
                "(415) 234-5678, (212) 234-5678.",
            ],
        ),
    ],
)
def test_summary_lines_say_what_was_found_removed_and_wrong(text, lines):
    assert parse_numbers(text).summary_lines() == lines


def test_hundreds_of_numbers_in_one_paste_are_all_read():
    text = "\n".join(f"(415) 234-{i:04d}" for i in range(500))

    result = parse_numbers(text)

    assert len(result.numbers) == 500
    assert result.numbers[499].e164 == "+14152340499"
    assert result.issues == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"4152345678\n2122345678\n", ["+14152345678", "+12122345678"]),
        (
            b"Name,Number,Notes\nAnna,415 234 5678,Suite 400\nBob,(212) 234-5678,\n",
            ["+14152345678", "+12122345678"],
        ),
        (
            codecs.BOM_UTF8 + b"Name;Phone\nAnna;415.234.5678\nBob;212.234.5678\n",
            ["+14152345678", "+12122345678"],
        ),
        (
            b"number\ttype\n+1 415 234 5678\tmain\n+1 212 234 5678\tfax\n",
            ["+14152345678", "+12122345678"],
        ),
        (
            "Nom,Téléphone\nRené,415 234 5678\n".encode("cp1252"),
            ["+14152345678"],
        ),
        (
            "Name,Phone\r\nAnna,415 234 5678\r\n".encode("utf-16"),
            ["+14152345678"],
        ),
        (
            b"Main,Backup\n415 234 5678,212 234 5678\n415 234 5679,\n",
            ["+14152345678", "+12122345678", "+14152345679"],
        ),
    ],
)
def test_a_csv_upload_reads_every_column_that_holds_numbers(data, expected):
    result = parse_number_list_csv(data)

    assert _e164s(result) == expected
    assert result.issues == []


def test_a_csv_upload_names_its_bad_rows_and_removes_duplicates():
    data = b"Phone\n415 234 5678\n415 234 567\n(415) 234-5678\n800-FLOWERS\n"

    result = parse_number_list_csv(data)

    assert _e164s(result) == ["+14152345678", "+18003569377"]
    assert result.duplicates == ["+14152345678"]
    assert _codes(result) == ["too_short", "duplicate", "vanity"]


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"%PDF-1.7\n\x00\x01\x02\x03binary",
        b"\xff\xfe\x00\xd8",
    ],
)
def test_a_binary_upload_is_refused_with_a_sentence(data):
    with pytest.raises(NumberListError) as error:
        parse_number_list_csv(data)

    assert error.value.message == (
        "We couldn't read that file as a list. Please upload a CSV or plain text "
        "file, or paste the numbers into the chat."
    )
