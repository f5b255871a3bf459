"""Build the built-in LOA template, byte for byte the same on every run.

    python -m assistant.loa_template.build            rebuild template.pdf
    python -m assistant.loa_template.build --fonts    re-derive the shipped fonts

The template is one US-letter page with a form field for each porting-request
field named in fields.toml. The fonts step reduces Debian's Noto Sans to what the
LOA can draw (see FONTS.md); run it only when moving to a new Noto release.
"""

import io
import sys
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject
from pypdf.generic import TextStringObject

from assistant import loa_layout as layout
from assistant.loa_fonts import BOLD_FONT
from assistant.loa_fonts import REGULAR_FONT
from assistant.loa_fonts import FontSet
from assistant.loa_fonts import add_stream
from assistant.loa_fonts import pdf_object

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "template.pdf"
NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
# Bold only draws the template's own headings, so it keeps printable ASCII,
# Latin-1 and common punctuation.
BOLD_UNICODES = [*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x2010, 0x2027)]

LEFT = layout.MARGIN
RIGHT = layout.PAGE_WIDTH - layout.MARGIN
LABEL_SIZE = 7.5
FIELD_HEIGHT = 18
ROW_HEIGHT = 35

AUTHORIZATION = (
    "By signing, I confirm that I hold the account for the telephone numbers in "
    "this letter, or that the account holder has authorized me to act for them. "
    "I authorize the provider named at the top of this letter, and the carriers "
    "it works with, to move these numbers from my current provider and to "
    "receive the account details needed to do so. I understand that moving a "
    "number ends my current provider's service for it, and that numbers staying "
    "on my old account are handled as chosen in section 5. The details above are "
    "true and match my current provider's records."
)


class _TemplatePage:
    """The template's single page: its drawing, its widgets and their fields."""

    def __init__(self, writer: PdfWriter, fonts: FontSet) -> None:
        self.writer = writer
        self.canvas = layout.Canvas(fonts)
        self.page = writer.add_blank_page(layout.PAGE_WIDTH, layout.PAGE_HEIGHT)
        self.annotations: list = []
        self.fields: list = []
        self._empty = add_stream(
            writer,
            b"",
            {"/Type": "/XObject", "/Subtype": "/Form", "/BBox": [0, 0, 1, 1]},
        )

    def heading(self, top: float, title: str, note: str = "") -> float:
        self.canvas.text(LEFT, top + 11, title, 11, "bold")
        if note:
            indent = LEFT + self.canvas.fonts.width(title, 11, "bold") + 8
            self.canvas.text(indent, top + 11, note, 8, gray=layout.LABEL_GRAY)
        return top + 18

    def label(self, x: float, top: float, text: str) -> None:
        self.canvas.text(x, top + LABEL_SIZE, text, LABEL_SIZE, gray=layout.LABEL_GRAY)

    def text_field(
        self,
        name: str,
        label: str,
        x: float,
        top: float,
        width: float,
        *,
        height: float = FIELD_HEIGHT,
        size: float = 10,
        flags: int = 0,
        align: int = 0,
        boxed: bool = True,
    ) -> None:
        """Place a labelled text field whose box starts just below `top`."""
        box_top = top
        if label:
            self.label(x, top, label)
            box_top = top + LABEL_SIZE + 3
        if boxed:
            self.canvas.box(x, box_top, width, height)
        rect = layout.rect_from_top(x, box_top, width, height)
        widget = layout.text_widget(
            name, rect, tooltip=label or name, size=size, flags=flags, align=align
        )
        widget[pdf_object("/V")] = TextStringObject("")
        self._add(widget, self._blank(rect))

    def _blank(self, rect: tuple) -> DictionaryObject:
        width, height = rect[2] - rect[0], rect[3] - rect[1]
        stream = add_stream(
            self.writer,
            b"/Tx BMC EMC",
            {"/Type": "/XObject", "/Subtype": "/Form", "/BBox": [0, 0, width, height]},
        )
        return pdf_object({"/N": stream})

    def _add(self, widget: DictionaryObject, appearance: DictionaryObject) -> None:
        widget[pdf_object("/P")] = self.page.indirect_reference
        widget[pdf_object("/AP")] = appearance
        reference = self.writer._add_object(widget)
        self.annotations.append(reference)
        self.fields.append(reference)

    def _state_appearance(self, on_state: str, mark: bytes, size: float) -> dict:
        entries = {
            "/Type": "/XObject",
            "/Subtype": "/Form",
            "/BBox": [0, 0, size, size],
        }
        return {
            "/N": {
                on_state: add_stream(self.writer, mark, entries),
                "/Off": add_stream(self.writer, b"", entries),
            }
        }

    def checkbox(self, name: str, label: str, x: float, top: float) -> None:
        """Place a checkbox whose on-state is /Yes, with its label to the right."""
        size = 10
        self.canvas.box(x, top, size, size)
        self.canvas.text(x + size + 5, top + 8, label, 9)
        mark = b"q 0 g 1.4 w 1 J 1 j 2 5.2 m 4.2 2.6 l 8.2 7.8 l S Q"
        widget = pdf_object(
            {
                "/Type": "/Annot",
                "/Subtype": "/Widget",
                "/FT": "/Btn",
                "/T": TextStringObject(name),
                "/TU": TextStringObject(label),
                "/Rect": list(layout.rect_from_top(x, top, size, size)),
                "/F": layout.PRINT,
                "/V": "/Off",
                "/AS": "/Off",
                "/DA": TextStringObject("/ZaDb 0 Tf 0 g"),
                "/MK": {"/CA": TextStringObject("4")},
            }
        )
        self._add(widget, pdf_object(self._state_appearance("/Yes", mark, size)))

    def radio_group(
        self, name: str, tooltip: str, options: list[tuple[str, str, float, float]]
    ) -> None:
        """Place radio buttons (on-state, label, x, top) sharing one field."""
        size = 10
        parent = pdf_object(
            {
                "/FT": "/Btn",
                "/T": TextStringObject(name),
                "/TU": TextStringObject(tooltip),
                "/Ff": layout.RADIO | layout.NO_TOGGLE_TO_OFF,
                "/V": "/Off",
                "/DA": TextStringObject("/ZaDb 0 Tf 0 g"),
            }
        )
        parent_ref = self.writer._add_object(parent)
        dot = f"q 0 g {layout.circle_path(5, 5, 2.6)} f Q".encode("ascii")
        kids = []
        for state, label, x, top in options:
            self.canvas.circle(x + size / 2, top + size / 2, size / 2)
            self.canvas.text(x + size + 4, top + 8, label, 9)
            widget = pdf_object(
                {
                    "/Type": "/Annot",
                    "/Subtype": "/Widget",
                    "/Parent": parent_ref,
                    "/Rect": list(layout.rect_from_top(x, top, size, size)),
                    "/F": layout.PRINT,
                    "/AS": "/Off",
                    "/MK": {"/CA": TextStringObject("l")},
                    "/P": self.page.indirect_reference,
                    "/AP": self._state_appearance("/" + state, dot, size),
                }
            )
            reference = self.writer._add_object(widget)
            self.annotations.append(reference)
            kids.append(reference)
        parent[pdf_object("/Kids")] = pdf_object(kids)
        self.fields.append(parent_ref)


def _draw(page: _TemplatePage) -> None:
    canvas = page.canvas
    # Read-only fields without a box sit FIELD_PADDING outside the margin, so
    # their text lines up with the headings drawn on the page.
    page.text_field(
        "brand",
        "",
        LEFT - layout.FIELD_PADDING,
        36,
        330,
        height=26,
        size=16,
        flags=layout.READ_ONLY,
        boxed=False,
    )
    page.text_field(
        "page_label",
        "",
        RIGHT + layout.FIELD_PADDING - 150,
        42,
        150,
        height=14,
        size=8,
        flags=layout.READ_ONLY,
        align=2,
        boxed=False,
    )
    canvas.text(LEFT, 90, "Letter of Authorization", 20, "bold")
    canvas.text(
        LEFT,
        107,
        "Permission to move telephone numbers to a new provider",
        10,
        gray=layout.LABEL_GRAY,
    )
    canvas.rule(LEFT, 118, RIGHT, gray=0.6)

    top = page.heading(128, "1  Customer")
    page.text_field("business_name", "Business name", LEFT, top, 330)
    page.label(396, top, "Account type")
    page.radio_group(
        "account_type",
        "Account type",
        [
            ("business", "Business", 396, top + 14),
            ("residential", "Residential", 470, top + 14),
        ],
    )
    top += ROW_HEIGHT
    page.text_field(
        "name_on_bill", "Name exactly as it appears on the bill", LEFT, top, 504
    )

    top = page.heading(
        top + ROW_HEIGHT + 6,
        "2  Service address",
        "where the numbers are used; not a P.O. box",
    )
    page.text_field("service_street", "Street address", LEFT, top, 390)
    page.text_field("service_unit", "Apartment, suite or unit", 456, top, 102)
    top += ROW_HEIGHT
    page.text_field("service_city", "City", LEFT, top, 250)
    page.text_field("service_state", "State", 316, top, 80)
    page.text_field("service_zip", "ZIP code", 408, top, 150)

    top = page.heading(top + ROW_HEIGHT + 6, "3  Current provider and account")
    page.text_field("carrier", "Current provider", LEFT, top, 250)
    page.text_field("account_number", "Account number", 316, top, 242)
    top += ROW_HEIGHT
    page.text_field("pin", "PIN or passcode", LEFT, top, 150)
    page.text_field("btn", "Billing telephone number", 216, top, 170)
    page.text_field("number_type", "Number type", 398, top, 160)

    section_top = top + ROW_HEIGHT + 6
    top = page.heading(section_top, "4  Numbers to move")
    page.text_field(
        "numbers_note",
        "",
        LEFT - layout.FIELD_PADDING,
        top,
        246,
        height=13,
        size=8,
        flags=layout.READ_ONLY,
        boxed=False,
    )
    for row in range(4):
        row_top = top + 16 + row * 22
        canvas.text(LEFT + 14, row_top + 13, str(row + 1), 9, align="right")
        page.text_field(f"number_{row + 1}", "", LEFT + 20, row_top, 180)

    canvas.text(316, section_top + 11, "5  Partial port", 11, "bold")
    top = section_top + 20
    page.checkbox("partial_port", "Other numbers stay on this account", 316, top)
    page.label(316, top + 18, "The numbers that stay on the old account should be")
    page.radio_group(
        "remaining_numbers_action",
        "What happens to the numbers that stay",
        [
            ("keep", "Kept in service", 316, top + 30),
            ("disconnect", "Disconnected", 420, top + 30),
        ],
    )
    page.text_field(
        "new_btn",
        "New billing telephone number for the old account",
        316,
        top + 48,
        242,
    )
    # Written by the app on toll-free letters: the RespOrg taking the numbers over.
    page.text_field(
        "resporg_note",
        "",
        316 - layout.FIELD_PADDING,
        top + 82,
        246,
        height=14,
        size=9,
        flags=layout.READ_ONLY,
        boxed=False,
    )

    top = page.heading(section_top + 128, "6  Port date and contact")
    page.text_field("requested_date", "Requested port date", LEFT, top, 130)
    page.text_field("contact_email", "Contact e-mail", 196, top, 220)
    page.text_field("contact_phone", "Contact phone", 428, top, 130)

    top = page.heading(top + ROW_HEIGHT + 6, "7  Authorization")
    top = canvas.paragraph(LEFT, top, 504, AUTHORIZATION, 8.5, 11) + 8
    page.text_field("signature_name", "Signature", LEFT, top, 330, height=24, size=14)
    page.text_field("signed_date", "Date signed", 396, top, 162)
    top += ROW_HEIGHT + 6
    page.text_field("authorized_name", "Printed name", LEFT, top, 330)
    page.text_field("authorized_title", "Title", 396, top, 162)


def build_template() -> bytes:
    """Return the template PDF; the same bytes on every run with the same fonts."""
    writer = PdfWriter()
    writer.pdf_header = "%PDF-1.7"
    fonts = FontSet()
    page = _TemplatePage(writer, fonts)
    _draw(page)

    helvetica = {
        "/Type": "/Font",
        "/Subtype": "/Type1",
        "/BaseFont": "/Helvetica",
        "/Encoding": "/WinAnsiEncoding",
    }
    dingbats = {"/Type": "/Font", "/Subtype": "/Type1", "/BaseFont": "/ZapfDingbats"}
    page.page[pdf_object("/Resources")] = pdf_object({"/Font": fonts.add_to(writer)})
    page.page[pdf_object("/Contents")] = add_stream(writer, page.canvas.data())
    page.page[pdf_object("/Annots")] = pdf_object(page.annotations)
    writer.root_object[pdf_object("/AcroForm")] = pdf_object(
        {
            "/Fields": page.fields,
            # Viewers that let people edit a field draw the edit with these.
            "/DR": {
                "/Font": {
                    "/Helv": writer._add_object(pdf_object(helvetica)),
                    "/ZaDb": writer._add_object(pdf_object(dingbats)),
                }
            },
            "/DA": TextStringObject("/Helv 0 Tf 0 g"),
        }
    )
    writer.add_metadata(
        {"/Title": "Letter of Authorization", "/Producer": "loa_template/build.py"}
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def build_fonts() -> None:
    """Reduce Debian's Noto Sans to the shipped fonts (fonts-noto-core)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    for source, target, unicodes in (
        ("NotoSans-Regular.ttf", REGULAR_FONT, None),
        ("NotoSans-Bold.ttf", BOLD_FONT, BOLD_UNICODES),
    ):
        options = subset.Options()
        options.hinting = False
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "DSIG", "gasp"]
        options.glyph_names = False
        options.notdef_outline = True
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
        font = TTFont(NOTO_DIR / source, recalcTimestamp=False)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes or font.getBestCmap().keys())
        subsetter.subset(font)
        font.save(target)


def main(argv: list[str]) -> None:
    if "--fonts" in argv:
        build_fonts()
    TEMPLATE.write_bytes(build_template())


if __name__ == "__main__":
    main(sys.argv[1:])
