"""Reading phone numbers the way customers type, paste and upload them.

`phonenumbers` does the parsing and knows the numbering plans; this module adds
the product rules on top: how a pasted list splits into entries, when letters
are a vanity number, which entries are warned about and which are refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import replace

import phonenumbers
from phonenumbers import NumberParseException
from phonenumbers import PhoneNumberFormat
from phonenumbers import PhoneNumberType
from phonenumbers import ValidationResult

from forms.validators import DASHES

logger = logging.getLogger(__name__)

LINE_TYPES = {
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}

# NANP toll-free area codes, so a toll-free number from a block the metadata
# has not caught up with still goes on the toll-free request.
NANP_TOLL_FREE_AREA_CODES = frozenset({"800", "833", "844", "855", "866", "877", "888"})

# A NANP area code and exchange both start with 2-9, and N11 is never an area code.
NANP_SHAPE = re.compile(r"[2-9](?!11)\d\d[2-9]\d{6}")
_ENTRY_SEPARATORS = re.compile(r"[\r\n,;|\t]+")
_RFC3966_EXTENSION = re.compile(r";\s*ext\s*=\s*", re.IGNORECASE)
_EXTENSION = re.compile(
    r"(?:(?<=\d)|(?<![^\s(]))(?:ext(?:ension|n)?|x)\s*[.:=]?\s*(\d{1,6})(?!\d)",
    re.IGNORECASE,
)
_EXTENSION_TOKEN = re.compile(r"ext=(\d+)")
_NUMERIC_TOKEN = re.compile(r"[+(]*\d[\d().\-/+]*")
_VANITY = re.compile(
    r"(?P<prefix>\+?1[\s.\-]*)?\(?(?P<area>\d{3})\)?[\s.\-]*"
    r"(?P<rest>[a-z0-9][a-z0-9\s.\-]*)",
    re.IGNORECASE,
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D")
_HAS_ALNUM = re.compile(r"[a-z0-9]", re.IGNORECASE)
_HAS_LETTER = re.compile(r"[a-z]", re.IGNORECASE)
# A number glued to a label ("Phone#4152345678", "Fax4152345678") is split off.
_GLUED_NUMBER = re.compile(r"(?<=[a-z#=])(?=[+(]?\d[\d().\-]{6,})", re.IGNORECASE)

_VANITY_LENGTH = 7
_LOCAL_LENGTH = 7
_CSV_DELIMITERS = ",;\t|"
# Dashes and brackets that word processors and web pages put into a pasted
# number, read as the plain ones; NFKC has already folded full-width forms.
_PUNCTUATION = str.maketrans({**dict.fromkeys(DASHES, "-"), "[": "(", "]": ")"})


class NumberListError(ValueError):
    """An uploaded number list that cannot be read as text."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PortNumber:
    """One phone number as read from the customer's entry, with what it is."""

    e164: str
    raw: str
    region: str | None
    line_type: str
    vanity: bool = False
    extension: str | None = None
    known: bool = True
    fictional: bool = False

    @property
    def display(self) -> str:
        return format_number(self.e164)

    @property
    def toll_free(self) -> bool:
        return self.line_type == "toll_free"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> PortNumber:
        """Rebuild a number from `to_dict` output; missing facts are re-derived.

        An e164 that doesn't parse gives an unknown number rather than an
        error, so eligibility can name it as invalid.
        """
        raw = d.get("raw") or d["e164"]
        try:
            values = asdict(_describe(phonenumbers.parse(d["e164"], None), raw))
        except NumberParseException:
            values = asdict(cls(d["e164"], raw, None, "unknown", known=False))
        names = {f.name for f in fields(cls)}
        values.update({k: v for k, v in d.items() if k in names})
        return cls(**values)


@dataclass
class NumberIssue:
    """Something about one entry the customer should know or fix."""

    raw: str
    code: str
    message: str


@dataclass
class ParseResult:
    """The numbers found in an entry or upload, and what was wrong with the rest."""

    numbers: list[PortNumber] = field(default_factory=list)
    issues: list[NumberIssue] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def needs_confirmation(self) -> list[PortNumber]:
        return [n for n in self.numbers if n.vanity or not n.known]

    def summary_lines(self) -> list[str]:
        """Customer-facing lines: what was found, what was removed, each issue."""
        lines = [_count_line(self.numbers)]
        if self.duplicates:
            shown = ", ".join(format_number(e164) for e164 in self.duplicates)
            if len(self.duplicates) == 1:
                lines.append(f"{shown} was listed more than once; we kept it once.")
            else:
                lines.append(
                    f"These were listed more than once and we kept each once: {shown}."
                )
        lines.extend(i.message for i in self.issues if i.code != "duplicate")
        return lines


def format_number(e164: str) -> str:
    """Show a number the way people read it: national for NANP, else international."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if parsed.country_code == 1:
        return phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)


def is_toll_free(e164: str) -> bool:
    """Whether a number is toll-free, judged from the number itself."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except NumberParseException:
        return False
    return _line_type(parsed) == "toll_free"


def parse_numbers(text: str, default_region: str = "US") -> ParseResult:
    """Read every number in free text or a pasted list, in the order given.

    Entries are split on new lines, commas, semicolons, tabs and bars; numbers
    separated only by spaces are told apart by their length. Letters turn into
    digits only when a whole entry is a vanity number such as 1-800-FLOWERS.
    Words are never reported as mistakes, nor a few digits among words (a
    count, a date, a suite), so labels, headers and questions give an empty
    result; an entry that tries to be a number and fails is named in `issues`.
    """
    return _parse_entries(_split_entries(text), default_region)


def parse_number_list_csv(data: bytes, default_region: str = "US") -> ParseResult:
    """Read the numbers of an uploaded CSV or text list.

    Every column in which most cells look like phone numbers is read, so a
    name or notes column does not produce errors; a header row is skipped.
    Raises `NumberListError` when the upload is not readable text.
    """
    rows = _read_rows(_decode(data))
    # With no column that looks like numbers, every cell is read so each
    # entry that fails is named to the customer.
    columns = _number_columns(rows) or list(range(max(map(len, rows), default=0)))
    entries = []
    for index, row in enumerate(rows):
        cells = [row[c].strip() for c in columns if c < len(row)]
        if index == 0 and not any(_has_digit(c) for c in cells):
            continue
        for cell in cells:
            entries.extend(_split_entries(cell))
    logger.info("read a number list: %d rows, %d entries", len(rows), len(entries))
    return _parse_entries(entries, default_region)


def _parse_entries(entries: Iterable[str], region: str) -> ParseResult:
    result = ParseResult()
    seen: set[str] = set()

    for entry in entries:
        for item in _read_entry(entry, region):
            if isinstance(item, NumberIssue):
                result.issues.append(item)
            elif item.fictional:
                # Reserved for films and examples, so no carrier can move it:
                # it is left out like a mistyped entry, for the customer to fix.
                result.issues.append(_issue(item.raw, "fictional", number=item))
            elif item.e164 in seen:
                if item.e164 not in result.duplicates:
                    result.duplicates.append(item.e164)
                    result.issues.append(_issue(item.raw, "duplicate", number=item))
            else:
                seen.add(item.e164)
                result.numbers.append(item)
                result.issues.extend(_warnings(item))
    return result


def _split_entries(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION)
    text = _RFC3966_EXTENSION.sub(" ext ", text)
    entries = (e.strip() for e in _ENTRY_SEPARATORS.split(text))
    return [e for e in entries if _HAS_ALNUM.search(e)]


def _read_entry(entry: str, region: str) -> list[PortNumber | NumberIssue]:
    """Every number and issue in one entry; empty when it holds no number attempt."""
    if not _has_digit(entry):
        return []
    vanity = _read_vanity(entry, region)
    if vanity is not None:
        return [vanity]

    text = _EXTENSION.sub(r" ext=\1 ", entry.replace(":", " "))
    candidates = _candidates(_GLUED_NUMBER.sub(" ", text))
    if _HAS_LETTER.search(entry):
        # Among words, a few digits are a count, a date or a suite ("I have
        # 3 numbers", "Suite 400"), not a phone number typed wrong.
        candidates = [
            c for c in candidates if len(_digits("".join(c[0]))) >= _LOCAL_LENGTH
        ]
        if not candidates:
            return []
    if not candidates:
        return [_issue(entry, "not_a_number")]

    found: list[PortNumber | NumberIssue] = []
    for tokens, extension in candidates:
        # A lone number is named by the whole entry, words and all, so the
        # customer recognises it; in a list each number is named by itself.
        raw = entry if len(candidates) == 1 else " ".join(tokens)
        if extension and len(candidates) > 1:
            raw = f"{raw} ext {extension}"
        item = _read_candidate(" ".join(tokens), region, raw=raw)
        if extension and isinstance(item, PortNumber):
            item = replace(item, extension=extension)
        found.append(item)
    return found


def _candidates(text: str) -> list[tuple[list[str], str | None]]:
    """Group the numeric tokens of an entry into numbers, each with its extension."""
    candidates: list[tuple[list[str], str | None]] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            candidates.append((pending.copy(), None))
            pending.clear()

    for token in text.split():
        extension = _EXTENSION_TOKEN.fullmatch(token)
        numeric = _NUMERIC_TOKEN.fullmatch(token.rstrip(".:"))
        if extension:
            flush()
            # An extension only means something after a number; a stray one
            # is dropped rather than read as a number of its own.
            if candidates and candidates[-1][1] is None:
                candidates[-1] = (candidates[-1][0], extension.group(1))
        elif numeric:
            token = numeric.group()
            if pending and _starts_new_number(pending, token):
                flush()
            pending.append(token)
            if _is_complete(pending):
                flush()
        else:
            flush()
    flush()
    return candidates


def _starts_new_number(pending: list[str], token: str) -> bool:
    """Whether a token after an unfinished number is better read as a new one."""
    if token.lstrip("(").startswith("+"):
        return True
    needed = _digits_needed(pending)
    if needed is None:
        return False
    digits = len(_digits(" ".join(pending)))
    added = len(_digits(token))
    return digits + added > needed and (added == 3 or added >= 10)


def _is_complete(pending: list[str]) -> bool:
    needed = _digits_needed(pending)
    return needed is not None and len(_digits(" ".join(pending))) >= needed


def _digits_needed(pending: list[str]) -> int | None:
    """Digits a NANP-style entry needs; None when only the entry's end can tell."""
    text = " ".join(pending).lstrip("(")
    digits = _digits(text)
    if text.startswith("+"):
        return 11 if digits.startswith("1") else None
    if digits.startswith(("00", "011")):
        return None
    return 11 if digits.startswith("1") else 10


def _read_vanity(entry: str, region: str) -> PortNumber | NumberIssue | None:
    """The number a whole-entry vanity spelling stands for, or None if not one."""
    match = _VANITY.fullmatch(entry.strip())
    if not match:
        return None
    rest = _NOT_ALNUM.sub("", match.group("rest"))
    spelled, extra = rest[:_VANITY_LENGTH], rest[_VANITY_LENGTH:]
    if not any(c.isalpha() for c in spelled):
        return None
    if len(spelled) < _VANITY_LENGTH:
        return _issue(entry, "too_short")
    # Extra letters are common on vanity numbers (1-800-CONTACTS) and are not
    # dialled; extra digits mean the entry is something else.
    if not extra.isalpha() and extra:
        return _issue(entry, "too_long")

    digits = match.group("area") + phonenumbers.convert_alpha_characters_in_number(
        spelled.upper()
    )
    prefix = "+1" if match.group("prefix") else ""
    read = _read_candidate(prefix + digits, region, raw=entry)
    if isinstance(read, NumberIssue):
        return read
    return replace(read, vanity=True)


def _read_candidate(
    text: str, region: str, raw: str | None = None
) -> PortNumber | NumberIssue:
    raw = raw or text
    try:
        parsed = phonenumbers.parse(text, region)
    except NumberParseException as error:
        return _issue(raw, _PARSE_ERRORS.get(error.error_type, "invalid"))

    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return _issue(raw, "too_short", missing_area_code=True)
    if reason != ValidationResult.IS_POSSIBLE:
        return _issue(raw, _LENGTH_REASONS.get(reason, "invalid"))

    national = phonenumbers.national_significant_number(parsed)
    if parsed.country_code == 1 and not NANP_SHAPE.fullmatch(national):
        return _issue(raw, "invalid")
    return _describe(parsed, raw)


def _describe(parsed: phonenumbers.PhoneNumber, raw: str) -> PortNumber:
    national = phonenumbers.national_significant_number(parsed)
    nanp = parsed.country_code == 1
    # 555-0100 to 0199 is set aside for fiction only under geographic area codes;
    # a toll-free 8XX code has no such range, so 800-555-0199 is a real number.
    fictional = (
        nanp
        and national[:3] not in NANP_TOLL_FREE_AREA_CODES
        and national[3:6] == "555"
        and 100 <= int(national[6:]) <= 199
    )
    # Finding the region is the slow part of the metadata look-ups (a NANP
    # number is tried against every NANP region), so it is done once here.
    region = phonenumbers.region_code_for_number(parsed)
    known = region is not None and phonenumbers.is_valid_number_for_region(
        parsed, region
    )
    return PortNumber(
        e164=f"+{parsed.country_code}{national}",
        raw=raw,
        region=region,
        line_type=_line_type(parsed),
        known=known,
        fictional=fictional,
    )


def _line_type(parsed: phonenumbers.PhoneNumber) -> str:
    line_type = LINE_TYPES.get(phonenumbers.number_type(parsed), "unknown")
    national = phonenumbers.national_significant_number(parsed)
    if parsed.country_code == 1 and national[:3] in NANP_TOLL_FREE_AREA_CODES:
        return "toll_free"
    return line_type


def _warnings(number: PortNumber) -> list[NumberIssue]:
    """The issues a number that was kept still carries."""
    warnings = []
    if number.vanity:
        warnings.append(_issue(number.raw, "vanity", number=number))
    if number.extension:
        warnings.append(_issue(number.raw, "extension", number=number))
    if not number.known:
        warnings.append(_issue(number.raw, "unknown_range", number=number))
    return warnings


def _issue(
    raw: str,
    code: str,
    *,
    number: PortNumber | None = None,
    missing_area_code: bool = False,
) -> NumberIssue:
    shown = number.display if number else ""
    if missing_area_code:
        message = f"“{raw}” is missing its area code: please add the 3 digits in front."
    elif code == "extension":
        message = (
            f"“{raw}” has extension {number.extension}: we'll move the main number "
            f"{shown}, since an extension can't be moved on its own."
        )
    else:
        message = _MESSAGES[code].format(raw=raw, shown=shown)
    return NumberIssue(raw=raw, code=code, message=message)


_MESSAGES = {
    "invalid": "“{raw}” isn't a phone number that can exist; please check the digits.",
    "too_short": "“{raw}” has too few digits for a phone number; please check it.",
    "too_long": "“{raw}” has too many digits for one phone number; please check it.",
    "not_a_number": "We couldn't find a phone number in “{raw}”.",
    "fictional": (
        "“{raw}” is a number reserved for films and examples, so it can't be "
        "moved and we've left it out. Please check it for a typo, or carry on "
        "without it."
    ),
    "unknown_range": (
        "We don't recognise “{raw}” as a number in use yet; please confirm it's right."
    ),
    "vanity": "We read “{raw}” as {shown}; please confirm that's your number.",
    "duplicate": "{shown} was listed more than once; we kept it once.",
}

_PARSE_ERRORS = {
    NumberParseException.NOT_A_NUMBER: "not_a_number",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}

_LENGTH_REASONS = {
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
}


def _count_line(numbers: list[PortNumber]) -> str:
    total = len(numbers)
    toll_free = sum(n.toll_free for n in numbers)
    if not total:
        return "We didn't find a phone number we could use yet."
    noun = "number" if total == 1 else "numbers"
    if toll_free == total:
        return f"We found {total} toll-free {noun}."
    if toll_free:
        return f"We found {total} {noun}, {toll_free} of them toll-free."
    return f"We found {total} {noun}."


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "cp1252"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        return text
    raise NumberListError(
        "We couldn't read that file as a list. Please upload a CSV or plain text "
        "file, or paste the numbers into the chat."
    )


def _looks_binary(text: str) -> bool:
    control = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t")
    return "\x00" in text or control > len(text) // 100


def _read_rows(text: str) -> list[list[str]]:
    sample = text[:4096]
    delimiter = max(_CSV_DELIMITERS, key=sample.count)
    if not sample.count(delimiter):
        delimiter = ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]


def _number_columns(rows: list[list[str]]) -> list[int]:
    """Columns where at least half the filled cells look like a phone number."""
    width = max((len(row) for row in rows), default=0)
    columns = []
    for column in range(width):
        cells = [r[column].strip() for r in rows if column < len(r) and r[column]]
        looking = sum(_looks_like_number(c) for c in cells)
        if cells and looking * 2 >= len(cells) - 1 and looking:
            columns.append(column)
    return columns


def _looks_like_number(cell: str) -> bool:
    digits = len(_digits(cell))
    return 10 <= digits <= 15 or (digits == 3 and _VANITY.fullmatch(cell) is not None)


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text)
