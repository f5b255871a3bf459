"""The Letter of Authorization: a pre-filled, fillable preview and the signed copy.

Both come from a template PDF and a field map: the built-in pair in loa_template/,
or an operator's own, checked at start-up by `check_template`. Filling uses pypdf
and draws every widget's appearance stream here, with embedded subset fonts (see
loa_fonts), so a value looks the same in every viewer whatever its script.
Numbers beyond the template's own number fields go on continuation pages.
Signing flattens the form into page content, then adds an audit page in an
incremental update, so the recorded SHA-256 covers the signed pages byte for byte.
"""

import functools
import hashlib
import io
import logging
import math
import re
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import phonenumbers
import yaml
from phonenumbers import PhoneNumberFormat
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject
from pypdf.generic import DictionaryObject
from pypdf.generic import NameObject
from pypdf.generic import TextStringObject

from assistant import loa_layout as layout
from assistant.loa_fonts import FontSet
from assistant.loa_fonts import add_stream
from assistant.loa_fonts import clean_text
from assistant.loa_fonts import default_faces
from assistant.loa_fonts import number
from assistant.loa_fonts import pdf_object
from assistant.numbers import format_number

logger = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent / "loa_template"
DEFAULT_TEMPLATE = TEMPLATE_DIR / "template.pdf"
DEFAULT_FIELD_MAP = TEMPLATE_DIR / "fields.toml"

REQUEST_FIELDS = (
    "business_name",
    "name_on_bill",
    "authorized_name",
    "authorized_title",
    "service_street",
    "service_unit",
    "service_city",
    "service_state",
    "service_zip",
    "carrier",
    "account_number",
    "pin",
    "btn",
    "account_type",
    "partial_port",
    "remaining_numbers_action",
    "new_btn",
    "contact_email",
    "contact_phone",
    "requested_date",
    "number_type",
)
# Fields the LOA fills itself rather than taking from the porting request.
WRITTEN_FIELDS = (
    "signature_name",
    "signed_date",
    "brand",
    "page_label",
    "numbers_note",
    "resporg_note",
)
REQUIRED_FIELDS = (
    "name_on_bill",
    "service_street",
    "service_city",
    "service_state",
    "service_zip",
    "account_number",
    "signature_name",
    "signed_date",
)
CHOICE_LABELS = {
    "account_type": {"business": "Business", "residential": "Residential"},
    "remaining_numbers_action": {"keep": "Keep in service", "disconnect": "Disconnect"},
    "number_type": {
        "mobile": "Mobile",
        "landline": "Landline",
        "voip": "VoIP",
        "google_voice": "Google Voice",
        "toll_free": "Toll-free",
    },
    "partial_port": {"yes": "Yes", "no": "No"},
}
PHONE_FIELDS = ("btn", "new_btn", "contact_phone")
NO_PIN = "None (provider uses no PIN)"

CONTINUATION_COLUMNS = 3
CONTINUATION_ROWS = 30
NUMBERS_PER_CONTINUATION_PAGE = CONTINUATION_COLUMNS * CONTINUATION_ROWS
USER_AGENT_LIMIT = 1000

_CLONE_LOCK = threading.Lock()
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_TEXT_KINDS = ("text", "choice")


class TemplateError(Exception):
    """An LOA template or field map that cannot be used; the message says why."""


@dataclass(frozen=True)
class FieldMap:
    """Where each porting-request field goes in a template."""

    fields: dict[str, str]
    checkboxes: dict[str, dict[str, str]]
    number_field: str

    def number_name(self, position: int) -> str:
        """Return the template field name of the number at a 1-based position."""
        return self.number_field.replace("{n}", str(position))


@dataclass(frozen=True)
class _Template:
    reader: PdfReader
    field_map: FieldMap
    number_slots: int
    page_count: int

    def copy(self) -> PdfWriter:
        """Return a writer holding a fresh copy of the template."""
        # The parsed template is shared by the process: cloning reads its objects,
        # and a PdfReader is not safe to read from two threads at once.
        with _CLONE_LOCK:
            writer = PdfWriter(clone_from=self.reader)
        writer.pdf_header = "%PDF-1.7"
        return writer


def check_template(
    template_path: str | Path | None = None, field_map_path: str | Path | None = None
) -> None:
    """Load and check a template and its field map, raising TemplateError if unusable.

    Called at start-up so that a missing file, a corrupt PDF or a mapped field the
    template lacks stops the app with a clear message, not a customer's download.
    """
    _template(template_path, field_map_path)


def unrenderable_characters(fields: dict) -> dict[str, list[str]]:
    """Return, per field, the characters that no shipped font can draw."""
    chain = default_faces()["regular"]
    found: dict[str, list[str]] = {}
    for name, raw in fields.items():
        if not isinstance(raw, str):
            continue
        missing: list[str] = []
        for ch in clean_text(raw):
            if ch not in missing and chain.glyph(ch) is None:
                missing.append(ch)
        if missing:
            found[name] = missing
    return found


def fill_loa(
    fields: dict,
    numbers: list[str],
    *,
    template_path: str | Path | None = None,
    field_map_path: str | Path | None = None,
    brand: str = "Rally Corp",
    resporg: str = "",
) -> bytes:
    """Return the fillable LOA preview with every field and number filled in.

    `fields` holds porting-request values (missing ones print empty) and
    `numbers` E.164 numbers, placed in number_1 … number_N across continuation
    pages. Every widget carries an appearance stream drawing its value.
    """
    template = _template(template_path, field_map_path)
    values, choices = _values(fields, brand, resporg)
    writer = _filled(template, values, choices, numbers)
    return _write(writer)


def sign_loa(
    fields: dict,
    numbers: list[str],
    *,
    signature_name: str,
    signed_at: datetime,
    ip: str,
    user_agent: str,
    brand: str = "Rally Corp",
    template_path: str | Path | None = None,
    field_map_path: str | Path | None = None,
    resporg: str = "",
) -> bytes:
    """Return the signed LOA: flattened, signed and dated, with an audit page.

    The audit page records the signer, the UTC time, the IP address, the user
    agent and the SHA-256 of the signed pages, which are the file's first
    revision; `signed_pages_digest` recomputes it.
    """
    if signed_at.tzinfo is None or signed_at.utcoffset() is None:
        raise ValueError("signed_at must be timezone-aware")
    signature = clean_text(signature_name)
    if not signature:
        raise ValueError("signature_name is empty")
    signed_at = signed_at.astimezone(UTC)

    template = _template(template_path, field_map_path)
    values, choices = _values(fields, brand, resporg)
    values["signature_name"] = signature
    values["signed_date"] = signed_at.date().isoformat()
    filled = _filled(template, values, choices, numbers)
    flat = _flattened(filled)
    signed = _write(flat)
    record = {
        "signature": signature,
        "values": values,
        "signed_at": signed_at,
        "ip": clean_text(ip),
        "user_agent": clean_text(user_agent),
        "pages": len(filled.pages),
    }
    return _with_audit_page(flat, signed, record)


def signed_pages_digest(pdf_bytes: bytes) -> str:
    """Return the SHA-256 (hex) of a signed LOA's signed pages, its first revision."""
    return hashlib.sha256(pdf_bytes[: _signed_length(pdf_bytes)]).hexdigest()


# Field map and template -------------------------------------------------------


def _template(template_path, field_map_path) -> _Template:
    template = Path(template_path or DEFAULT_TEMPLATE)
    field_map = Path(field_map_path or DEFAULT_FIELD_MAP)
    stamps = []
    for path, what in ((template, "template"), (field_map, "field map")):
        try:
            stat = path.stat()
        except OSError:
            raise TemplateError(f"The LOA {what} {path} does not exist.") from None
        stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
    return _load_template(*stamps[0], *stamps[1])


@functools.lru_cache(maxsize=8)
def _load_template(
    template: str,
    _mtime: int,
    _size: int,
    field_map: str,
    _map_mtime: int,
    _map_size: int,
) -> _Template:
    mapping = _read_field_map(Path(field_map))
    data = Path(template).read_bytes()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise TemplateError(
                f"The LOA template {template} is encrypted; save it without a password."
            )
        found = {
            name: _field_info(field, widgets)
            for name, field, widgets in _terminal_fields(reader.root_object)
        }
        page_count = len(reader.pages)
    except TemplateError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise TemplateError(
            f"The LOA template {template} is not a readable PDF ({error})."
        ) from error
    if not found:
        raise TemplateError(f"The LOA template {template} has no form fields.")

    problems = _mapping_problems(mapping, found)
    if problems:
        raise TemplateError(
            f"The LOA field map {field_map} does not fit the template {template}: "
            + " ".join(problems)
        )
    slots = 1
    while _is_text(found.get(mapping.number_name(slots + 1))):
        slots += 1
    logger.info(
        "LOA template %s ready: %d fields, %d number rows", template, len(found), slots
    )
    loaded = _Template(reader, mapping, slots, page_count)
    loaded.copy()  # reads every object now, so later copies only clone
    return loaded


def _read_field_map(path: Path) -> FieldMap:
    raw = path.read_bytes()
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise TemplateError(
            f"The LOA field map {path} can't be read: {error}"
        ) from None

    def fail(problem: str) -> TemplateError:
        return TemplateError(f"The LOA field map {path} {problem}")

    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise fail("needs a [fields] table.")
    pattern = data.get("number_field")
    if not isinstance(pattern, str) or "{n}" not in pattern:
        raise fail(
            'needs number_field, a field name with {n} in it, e.g. "number_{n}".'
        )

    fields: dict[str, str] = {}
    checkboxes: dict[str, dict[str, str]] = {}
    known = REQUEST_FIELDS + WRITTEN_FIELDS
    for key, target in data["fields"].items():
        if key not in known:
            raise fail(f"names {key!r}, which is not a porting-request field.")
        if isinstance(target, str) and target:
            fields[key] = target
        elif isinstance(target, dict) and key in CHOICE_LABELS:
            unknown = [v for v in target if v not in CHOICE_LABELS[key]]
            if unknown or not all(isinstance(t, str) for t in target.values()):
                allowed = ", ".join(CHOICE_LABELS[key])
                raise fail(
                    f"maps {key!r} to checkboxes for values other than {allowed}."
                )
            checkboxes[key] = dict(target)
        else:
            raise fail(f"maps {key!r} to something other than a field name.")
    missing = [k for k in REQUIRED_FIELDS if k not in fields and k not in checkboxes]
    if missing:
        raise fail(f"must map {', '.join(missing)}.")
    return FieldMap(fields, checkboxes, pattern)


@dataclass(frozen=True)
class _FieldInfo:
    kind: str
    on_states: tuple[str, ...]


def _is_text(info: _FieldInfo | None) -> bool:
    return info is not None and info.kind in _TEXT_KINDS


def _mapping_problems(mapping: FieldMap, found: dict[str, _FieldInfo]) -> list[str]:
    problems = []
    first_number = mapping.number_name(1)
    if not _is_text(found.get(first_number)):
        problems.append(f"It has no text field {first_number!r} for the first number.")
    for key, target in mapping.fields.items():
        info = found.get(target)
        if info is None:
            problems.append(f"{key} is mapped to {target!r}, which the template lacks.")
        elif info.kind in ("signature", "push"):
            problems.append(f"{key} is mapped to {target!r}, a {info.kind} field.")
        elif info.kind in _TEXT_KINDS:
            continue
        elif key not in CHOICE_LABELS:
            problems.append(f"{key} is text but {target!r} is a {info.kind}.")
        elif info.kind == "checkbox" and key != "partial_port":
            problems.append(
                f"{key} is a choice but {target!r} is one checkbox; map each value "
                "to its own checkbox."
            )
        elif not info.on_states:
            problems.append(f"{target!r} has no on-state appearance.")
        elif info.kind == "radio":
            for value in CHOICE_LABELS[key]:
                if _matching_state(key, value, info.on_states) is None:
                    problems.append(
                        f"{target!r} has no button for {key} {value!r} "
                        f"(its states: {', '.join(info.on_states)})."
                    )
    for key, boxes in mapping.checkboxes.items():
        for value, target in boxes.items():
            info = found.get(target)
            if info is None:
                problems.append(
                    f"{key} {value!r} is mapped to {target!r}, which the "
                    "template lacks."
                )
            elif info.kind != "checkbox" or not info.on_states:
                problems.append(f"{target!r} for {key} {value!r} is not a checkbox.")
    return problems


def _terminal_fields(root) -> Iterator[tuple[str, DictionaryObject, list]]:
    """Yield each field's full name, its dictionary and its widget dictionaries."""
    form = root.get("/AcroForm")
    if form is None:
        return
    pending = [(ref, "") for ref in reversed(form.get_object().get("/Fields", []))]
    while pending:
        ref, prefix = pending.pop()
        field = ref.get_object()
        part = field.get("/T")
        name = (
            f"{prefix}.{part}" if prefix and part is not None else str(part or prefix)
        )
        kids = [kid.get_object() for kid in field.get("/Kids", [])]
        named = [kid for kid in field.get("/Kids", []) if "/T" in kid.get_object()]
        if named:
            pending.extend((kid, name) for kid in reversed(named))
        else:
            yield name, field, kids or [field]


def _inherited(field: DictionaryObject, key: str, default=None):
    node = field
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return default


def _field_info(field: DictionaryObject, widgets: list) -> _FieldInfo:
    kind = {"/Tx": "text", "/Ch": "choice", "/Sig": "signature"}.get(
        _inherited(field, "/FT"), "button"
    )
    flags = int(_inherited(field, "/Ff", 0))
    if kind == "button":
        if flags & layout.PUSHBUTTON:
            kind = "push"
        else:
            kind = "radio" if flags & layout.RADIO else "checkbox"
    states = tuple(state for widget in widgets if (state := _on_state(widget)))
    return _FieldInfo(kind, states)


def _on_state(widget: DictionaryObject) -> str | None:
    """Return the on-state name a button widget defines in its appearances."""
    appearance = widget.get("/AP")
    normal = appearance.get_object().get("/N") if appearance is not None else None
    normal = normal.get_object() if normal is not None else None
    if not isinstance(normal, DictionaryObject) or "/Type" in normal:
        return None
    return next((str(state) for state in normal if state != "/Off"), None)


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _matching_state(key: str, value: str, states) -> str | None:
    wanted = {_squash(value), _squash(CHOICE_LABELS[key].get(value, value))}
    return next((s for s in states if _squash(s.lstrip("/")) in wanted), None)


# Values -----------------------------------------------------------------------


def _values(
    fields: dict, brand: str, resporg: str = ""
) -> tuple[dict[str, str], dict[str, str]]:
    """Return the text each field shows, and the chosen value of each choice."""
    shown = {"brand": clean_text(brand), "resporg_note": ""}
    if fields.get("number_type") == "toll_free" and clean_text(resporg):
        shown["resporg_note"] = f"New RespOrg: {clean_text(resporg)}"
    choices = {}
    for name in REQUEST_FIELDS:
        raw = fields.get(name)
        if raw is None or raw == "":
            # A blank PIN box reads as forgotten; say that there is none.
            no_pin = name == "pin" and _truthy(fields.get("no_pin"))
            shown[name] = NO_PIN if no_pin else ""
            continue
        if name == "partial_port":
            raw = "yes" if _truthy(raw) else "no"
        elif isinstance(raw, date | datetime):
            raw = raw.isoformat()
        text = clean_text(str(raw))
        if name in CHOICE_LABELS:
            choices[name] = text.lower()
            text = CHOICE_LABELS[name].get(text.lower(), text)
        elif name in PHONE_FIELDS:
            text = _shown_phone(text)
        shown[name] = text
    return shown, choices


def _shown_phone(text: str) -> str:
    """A phone number as people read it, however it was typed; else as typed."""
    if _E164.fullmatch(text):
        return format_number(text)
    try:
        parsed = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(parsed):
        return text
    return format_number(phonenumbers.format_number(parsed, PhoneNumberFormat.E164))


def _truthy(raw) -> bool:
    if isinstance(raw, str):
        return raw.strip().lower() in ("yes", "true", "on", "1", "y")
    return bool(raw)


def _numbers_note(count: int, slots: int, first_pages: int, total_pages: int) -> str:
    if count == 0:
        return ""
    if count <= slots:
        return f"{count} number{'' if count == 1 else 's'} in total."
    pages = (
        f"page {total_pages}"
        if total_pages == first_pages + 1
        else f"pages {first_pages + 1} to {total_pages}"
    )
    rest = f"{count}" if count == slots + 1 else f"{slots + 1} to {count}"
    return f"{count} numbers in total: 1 to {slots} here, {rest} on {pages}."


# Filling ----------------------------------------------------------------------


class _Appearances:
    """Appearance streams drawn during a fill, written once the fonts are known."""

    def __init__(self, writer: PdfWriter) -> None:
        self.writer = writer
        self.fonts = FontSet()
        self.resources = DictionaryObject()
        self.resources_ref = writer._add_object(self.resources)
        self._pending: list[tuple[DictionaryObject, bytes, float, float]] = []

    def text(
        self, widget: DictionaryObject, value: str, default_appearance: str
    ) -> None:
        """Draw a text widget's value with the size, colour and layout it asks for."""
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        width, height = abs(x2 - x1), abs(y2 - y1)
        size, color = layout.field_style(
            str(_inherited(widget, "/DA", default_appearance))
        )
        flags = int(_inherited(widget, "/Ff", 0))
        comb = int(_inherited(widget, "/MaxLen", 0)) if flags & layout.COMB else 0
        content = layout.text_appearance(
            self.fonts,
            value,
            width,
            height,
            size=size,
            color=color,
            align=int(_inherited(widget, "/Q", 0)),
            comb_cells=comb,
            multiline=bool(flags & layout.MULTILINE),
        )
        self._pending.append((widget, content, width, height))

    def finish(self) -> None:
        """Embed the fonts and attach every drawn appearance to its widget."""
        self.resources[NameObject("/Font")] = self.fonts.add_to(self.writer)
        for widget, content, width, height in self._pending:
            entries = {
                "/Type": "/XObject",
                "/Subtype": "/Form",
                "/BBox": [0, 0, width, height],
                "/Resources": self.resources_ref,
            }
            stream = add_stream(self.writer, content, entries, compress=False)
            widget[NameObject("/AP")] = pdf_object({"/N": stream})


def _filled(
    template: _Template, values: dict[str, str], choices: dict[str, str], numbers
) -> PdfWriter:
    writer = template.copy()
    mapping = template.field_map
    shown_numbers = [format_number(n) for n in numbers]
    extra = max(0, len(numbers) - template.number_slots)
    total_pages = template.page_count + math.ceil(extra / NUMBERS_PER_CONTINUATION_PAGE)
    values = {
        **values,
        "page_label": f"Page 1 of {total_pages}",
        "numbers_note": _numbers_note(
            len(numbers), template.number_slots, template.page_count, total_pages
        ),
    }
    texts = {target: values.get(key, "") for key, target in mapping.fields.items()}
    for position in range(1, template.number_slots + 1):
        shown = shown_numbers[position - 1] if position <= len(numbers) else ""
        texts[mapping.number_name(position)] = shown
    buttons = _button_states(mapping, choices)

    form = writer.root_object["/AcroForm"].get_object()
    default_appearance = str(form.get("/DA", "/Helv 0 Tf 0 g"))
    drawn = _Appearances(writer)
    for name, field, widgets in _terminal_fields(writer.root_object):
        kind = _field_info(field, widgets).kind
        if kind in _TEXT_KINDS:
            value = texts[name] if name in texts else _current_text(field)
            field[NameObject("/V")] = TextStringObject(value)
            for widget in widgets:
                drawn.text(widget, value, default_appearance)
        elif name in buttons:
            _set_button(field, widgets, kind, buttons[name])

    account = values.get("business_name") or values.get("name_on_bill", "")
    for page_index in range(template.page_count, total_pages):
        first = template.number_slots + (page_index - template.page_count) * (
            NUMBERS_PER_CONTINUATION_PAGE
        )
        _add_continuation_page(
            writer,
            drawn,
            mapping,
            shown_numbers,
            first,
            page_index + 1,
            total_pages,
            account,
        )
    drawn.finish()
    # Our appearances are complete; a viewer asked to rebuild them would redraw
    # them with its own fonts, and an XFA form would hide the AcroForm entirely.
    for key in ("/NeedAppearances", "/XFA"):
        form.pop(key, None)
    resources = form.setdefault(NameObject("/DR"), DictionaryObject()).get_object()
    fonts = resources.setdefault(NameObject("/Font"), DictionaryObject()).get_object()
    if "/Helv" not in fonts:
        fonts[NameObject("/Helv")] = pdf_object(
            {
                "/Type": "/Font",
                "/Subtype": "/Type1",
                "/BaseFont": "/Helvetica",
                "/Encoding": "/WinAnsiEncoding",
            }
        )
    return writer


def _current_text(field: DictionaryObject) -> str:
    value = field.get("/V")
    return clean_text(str(value)) if isinstance(value, str) else ""


def _button_states(mapping: FieldMap, choices: dict[str, str]) -> dict[str, object]:
    """Return what each mapped button field should show: a value, or on/off."""
    states: dict[str, object] = {}
    for key, target in mapping.fields.items():
        if key in CHOICE_LABELS:
            states[target] = (key, choices.get(key, ""))
    for key, boxes in mapping.checkboxes.items():
        for value, target in boxes.items():
            states[target] = choices.get(key) == value
    return states


def _set_button(field: DictionaryObject, widgets: list, kind: str, wanted) -> None:
    """Turn a checkbox or radio group on or off by its widgets' own on-states.

    `wanted` is True or False for a checkbox of its own, or (field, value) for a
    choice, which a radio group matches against its buttons' state names.
    """
    chosen = "/Off"
    for widget in widgets:
        on_state = _on_state(widget)
        if isinstance(wanted, bool):
            selected = wanted
        elif kind == "checkbox":
            selected = wanted == ("partial_port", "yes")
        else:
            key, value = wanted
            selected = bool(value) and _matching_state(key, value, [on_state or ""])
        state = on_state if selected and on_state else "/Off"
        widget[NameObject("/AS")] = NameObject(state)
        if state != "/Off":
            chosen = state
    field[NameObject("/V")] = NameObject(chosen)

    # Read back what was written: an on-state without an appearance shows nothing.
    for widget in widgets:
        if widget["/AS"] != "/Off" and widget["/AS"] != _on_state(widget):
            raise TemplateError(f"A checkbox has no appearance for {widget['/AS']}.")


def _add_continuation_page(
    writer: PdfWriter,
    drawn: _Appearances,
    mapping: FieldMap,
    shown_numbers: list[str],
    first: int,
    page_number: int,
    total_pages: int,
    account: str,
) -> None:
    """Add a page listing numbers from index `first`, headed with the account."""
    canvas = layout.Canvas(drawn.fonts)
    left, right = layout.MARGIN, layout.PAGE_WIDTH - layout.MARGIN
    canvas.text(left, 62, "Letter of Authorization, continued", 16, "bold")
    canvas.text(right, 62, f"Page {page_number} of {total_pages}", 9, align="right")
    if account:
        heading = f"Account: {account}"
        size = min(11.0, 11 * (right - left) / drawn.fonts.width(heading, 11))
        canvas.text(left, 82, heading, size)
    last = min(len(shown_numbers), first + NUMBERS_PER_CONTINUATION_PAGE)
    listed = f"{first + 1}" if last == first + 1 else f"{first + 1} to {last}"
    canvas.text(
        left,
        98,
        f"Numbers to move, continued: {listed} of {len(shown_numbers)}",
        9,
        gray=layout.LABEL_GRAY,
    )
    canvas.rule(left, 106, right, gray=0.6)

    page = writer.add_blank_page(layout.PAGE_WIDTH, layout.PAGE_HEIGHT)
    column_width = (right - left) / CONTINUATION_COLUMNS
    widgets = []
    for index in range(first, last):
        column, row = divmod(index - first, CONTINUATION_ROWS)
        x = left + column * column_width
        top = 118 + row * 20
        canvas.text(x + 26, top + 12, str(index + 1), 9, align="right")
        canvas.box(x + 30, top, column_width - 40, 16)
        rect = layout.rect_from_top(x + 30, top, column_width - 40, 16)
        widget = layout.text_widget(
            mapping.number_name(index + 1), rect, tooltip=f"Number {index + 1}"
        )
        widget[NameObject("/V")] = TextStringObject(shown_numbers[index])
        widget[NameObject("/P")] = page.indirect_reference
        drawn.text(widget, shown_numbers[index], "")
        widgets.append(writer._add_object(widget))

    page[NameObject("/Contents")] = add_stream(writer, canvas.data())
    page[NameObject("/Resources")] = drawn.resources_ref
    page[NameObject("/Annots")] = ArrayObject(widgets)
    writer.root_object["/AcroForm"].get_object()["/Fields"].extend(widgets)


def _write(writer: PdfWriter) -> bytes:
    writer.generate_file_identifiers()
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# Signing ----------------------------------------------------------------------


def _flattened(writer: PdfWriter) -> PdfWriter:
    """Return a new document whose pages draw every widget's appearance as content."""
    flat = PdfWriter()
    flat.pdf_header = "%PDF-1.7"
    for page in writer.pages:
        kept, ops, xobjects = [], [], {}
        annotations = page.get("/Annots")
        for ref in annotations.get_object() if annotations is not None else []:
            annotation = ref.get_object()
            if annotation.get("/Subtype") != "/Widget":
                kept.append(ref)
                continue
            stream = _shown_appearance(annotation)
            if stream is None or int(annotation.get("/F", 0)) & layout.NOT_SHOWN:
                continue
            name = f"/LOAField{len(xobjects)}"
            xobjects[name] = stream.indirect_reference
            matrix = " ".join(number(v) for v in _placement(annotation, stream))
            ops.append(f"q {matrix} cm {name} Do Q")
        if xobjects:
            resources = DictionaryObject(
                _inherited(page, "/Resources", DictionaryObject()).get_object()
            )
            drawn = DictionaryObject(resources.get("/XObject", DictionaryObject()))
            drawn.update({NameObject(k): v for k, v in xobjects.items()})
            resources[NameObject("/XObject")] = drawn
            page[NameObject("/Resources")] = resources
            contents = page.get("/Contents")
            contents = contents.get_object() if contents is not None else []
            streams = (
                list(contents) if isinstance(contents, list) else [page["/Contents"]]
            )
            # Wrapped in q … Q so the page's own drawing can't shift the fields.
            page[NameObject("/Contents")] = ArrayObject(
                [
                    add_stream(writer, b"q"),
                    *streams,
                    add_stream(writer, ("Q\n" + "\n".join(ops)).encode("ascii")),
                ]
            )
        if kept:
            page[NameObject("/Annots")] = ArrayObject(kept)
        else:
            page.pop("/Annots", None)
        flat.add_page(page)
    flat.add_metadata({"/Title": "Letter of Authorization (signed)"})
    return flat


def _shown_appearance(annotation: DictionaryObject):
    appearance = annotation.get("/AP")
    if appearance is None:
        return None
    normal = appearance.get_object().get("/N")
    normal = normal.get_object() if normal is not None else None
    if (
        isinstance(normal, DictionaryObject)
        and "/Type" not in normal
        and "/BBox" not in normal
    ):
        state = annotation.get("/AS")
        normal = normal.get(state).get_object() if state in normal else None
    return normal if normal is not None and "/BBox" in normal else None


def _placement(annotation: DictionaryObject, stream) -> list[float]:
    """Return the matrix mapping an appearance's box onto its widget's rectangle."""
    x1, y1, x2, y2 = (float(v) for v in annotation["/Rect"])
    left, right = min(x1, x2), max(x1, x2)
    bottom, top = min(y1, y2), max(y1, y2)
    a, b, c, d, e, f = (float(v) for v in stream.get("/Matrix", [1, 0, 0, 1, 0, 0]))
    bx1, by1, bx2, by2 = (float(v) for v in stream["/BBox"])
    corners = [
        (x * a + y * c + e, x * b + y * d + f) for x in (bx1, bx2) for y in (by1, by2)
    ]
    low_x = min(p[0] for p in corners)
    low_y = min(p[1] for p in corners)
    span_x = max(p[0] for p in corners) - low_x
    span_y = max(p[1] for p in corners) - low_y
    scale_x = (right - left) / span_x if span_x else 1.0
    scale_y = (top - bottom) / span_y if span_y else 1.0
    return [scale_x, 0, 0, scale_y, left - low_x * scale_x, bottom - low_y * scale_y]


def _with_audit_page(flat: PdfWriter, signed: bytes, record: dict) -> bytes:
    """Append the audit page to the signed revision as an incremental update.

    Written here rather than with pypdf's incremental mode, which parses the
    whole signed file again and hashes every object to find what changed.
    """
    digest = hashlib.sha256(signed).hexdigest()
    fonts = FontSet()
    canvas = layout.Canvas(fonts)
    _draw_audit(canvas, record, digest, len(signed))

    pages = flat.root_object["/Pages"].get_object()
    page = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Page"),
            NameObject("/Parent"): pages.indirect_reference,
            NameObject("/MediaBox"): pdf_object(
                [0, 0, layout.PAGE_WIDTH, layout.PAGE_HEIGHT]
            ),
        }
    )
    first_new = flat._add_object(page).idnum
    page[NameObject("/Resources")] = pdf_object({"/Font": fonts.add_to(flat)})
    contents = add_stream(flat, canvas.data())
    page[NameObject("/Contents")] = contents
    last_new = contents.idnum
    pages["/Kids"].append(page.indirect_reference)
    pages[NameObject("/Count")] = pdf_object(int(pages["/Count"]) + 1)

    update = io.BytesIO()
    offsets = {}
    for idnum in [pages.indirect_reference.idnum, *range(first_new, last_new + 1)]:
        offsets[idnum] = len(signed) + update.tell()
        update.write(f"{idnum} 0 obj\n".encode("ascii"))
        flat.get_object(idnum).write_to_stream(update)
        update.write(b"\nendobj\n")
    xref_at = len(signed) + update.tell()
    update.write(b"xref\n")
    for idnum in offsets:
        if idnum == first_new or idnum == pages.indirect_reference.idnum:
            count = 1 if idnum != first_new else last_new - first_new + 1
            update.write(f"{idnum} {count}\n".encode("ascii"))
        update.write(f"{offsets[idnum]:010d} 00000 n\r\n".encode("ascii"))
    # The new trailer repeats the signed revision's (root, info, file id) and
    # points back to its cross-reference table.
    previous = re.findall(rb"startxref\s+(\d+)", signed[-64:])[-1].decode("ascii")
    trailer = signed[signed.rindex(b"trailer") : signed.rindex(b"startxref")]
    update.write(
        re.sub(
            rb"/Size \d+",
            f"/Size {last_new + 1} /Prev {previous}".encode("ascii"),
            trailer,
        ).rstrip()
    )
    update.write(f"\nstartxref\n{xref_at}\n%%EOF\n".encode("ascii"))
    return signed + update.getvalue()


def _draw_audit(canvas: layout.Canvas, record: dict, digest: str, length: int) -> None:
    left, right = layout.MARGIN, layout.PAGE_WIDTH - layout.MARGIN
    values = record["values"]
    pages = record["pages"]
    user_agent = record["user_agent"]
    if len(user_agent) > USER_AGENT_LIMIT:
        user_agent = (
            f"{user_agent[:USER_AGENT_LIMIT]} (first {USER_AGENT_LIMIT} characters)"
        )
    signed_pages = "page 1" if pages == 1 else f"pages 1 to {pages}"
    person = ", ".join(
        v for v in (values["authorized_name"], values["authorized_title"]) if v
    )
    rows = [
        ("Signed by", record["signature"]),
        ("Authorized person", person),
        ("Account name", values["business_name"] or values["name_on_bill"]),
        ("Signed at (UTC)", record["signed_at"].strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("IP address", record["ip"]),
        ("User agent", user_agent),
        (
            "Signed pages",
            f"{signed_pages.capitalize()}: the first {length} bytes of this file",
        ),
        ("SHA-256 of the signed pages", digest),
    ]

    canvas.text(left, 62, "Signature record", 18, "bold")
    canvas.text(right, 62, values["brand"], 10, align="right")
    top = canvas.paragraph(
        left,
        76,
        right - left,
        f"This page was added after the Letter of Authorization on {signed_pages} "
        "was signed. It records who signed, when, and from where.",
        9,
        12,
        gray=layout.LABEL_GRAY,
    )
    canvas.rule(left, top + 6, right, gray=0.6)
    top += 18
    for label, value in rows:
        canvas.text(left, top + 9, label, 9, "bold")
        top = canvas.paragraph(
            left + 150, top, right - left - 150, value or "-", 9.5, 13
        )
        top += 9
    canvas.rule(left, top, right, gray=0.6)
    canvas.paragraph(
        left,
        top + 8,
        right - left,
        f"To check the signed pages, compute the SHA-256 of the first {length} bytes "
        "of this file: it equals the value above only if those pages are unchanged.",
        8.5,
        11,
        gray=layout.LABEL_GRAY,
    )


def _signed_length(pdf_bytes: bytes) -> int:
    """Return the length of a file's first revision, found from its last trailer."""
    starts = re.findall(rb"startxref\s+(\d+)", pdf_bytes[-1024:])
    if not starts:
        raise ValueError("not a PDF: no startxref")
    last = int(starts[-1])
    trailer_end = pdf_bytes.find(b"stream", last)
    trailer = pdf_bytes[last : trailer_end if trailer_end > 0 else None]
    previous = re.search(rb"/Prev\s+(\d+)", trailer)
    if previous is None:
        raise ValueError("this PDF has no signed revision before an audit page")
    end = pdf_bytes.find(b"%%EOF", int(previous.group(1)))
    if end < 0:
        raise ValueError("the signed revision has no end marker")
    end += len(b"%%EOF")
    while pdf_bytes[end : end + 1] in (b"\r", b"\n"):
        end += 1
    return end
