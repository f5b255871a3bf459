"""Helpers shared by the LOA tests: poppler and qpdf runs, PDF structure reading."""

import io
import re
import subprocess
from datetime import UTC
from datetime import datetime
from pathlib import Path

from PIL import Image
from PIL import ImageChops
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.generic import NameObject

from assistant import loa
from assistant.loa_fonts import CJK_FONT
from assistant.loa_fonts import add_stream
from assistant.loa_fonts import load_font
from assistant.loa_fonts import pdf_object
from assistant.loa_layout import CAP_HEIGHT
from assistant.loa_layout import FIELD_PADDING
from assistant.loa_layout import PAGE_HEIGHT
from assistant.loa_layout import PAGE_WIDTH

REQUEST = {
    "business_name": "札幌 Noodle House LLC",
    "name_on_bill": "Zoë Wójcik-Trần",
    "authorized_name": "Şule Ăngheluță",
    "authorized_title": "Owner",
    "service_street": "1450 Market Street",
    "service_unit": "Suite 210",
    "service_city": "San Francisco",
    "service_state": "CA",
    "service_zip": "94103",
    "carrier": "Pacific Bell",
    "account_number": "8812-4471-09",
    "pin": "7391",
    "btn": "+14155550100",
    "account_type": "business",
    "partial_port": True,
    "remaining_numbers_action": "keep",
    "new_btn": "+14155550199",
    "contact_email": "zoe@sapporo-noodles.example",
    "contact_phone": "+14155550111",
    "requested_date": "2027-01-15",
    "number_type": "landline",
}
BUTTON_FIELDS = ("account_type", "partial_port", "remaining_numbers_action")
# What each text field shows for REQUEST: the values as given, phone numbers
# as people read them, choices by their label.
SHOWN = {
    "brand": "Rally Corp",
    **{k: v for k, v in REQUEST.items() if k not in BUTTON_FIELDS},
    "btn": "(415) 555-0100",
    "new_btn": "(415) 555-0199",
    "contact_phone": "(415) 555-0111",
    "number_type": "Landline",
}
# Debian's complete Noto Sans, of which the shipped font is a reduction.
SOURCE_FONT = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"
SIGNER = {
    "signature_name": "Şule Ăngheluță",
    "signed_at": datetime(2026, 5, 9, 14, 3, 7, tzinfo=UTC),
    "ip": "203.0.113.7",
    "user_agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36"
    ),
}


def numbers(count: int) -> list[str]:
    return [f"+1415555{index:04d}" for index in range(count)]


def national(count: int) -> list[str]:
    return [f"(415) 555-{index:04d}" for index in range(count)]


def run(command: list[str], data: bytes) -> subprocess.CompletedProcess:
    return subprocess.run(command, input=data, capture_output=True, check=False)


def pdf_text(pdf: bytes, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = run(["pdftotext", *pages, "-enc", "UTF-8", "-", "-"], pdf)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    return result.stdout.decode("utf-8")


def words(text: str) -> str:
    return " ".join(text.split())


def render(pdf: bytes, page: int, dpi: int = 72) -> Image.Image:
    result = run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-gray", "-"],
        pdf,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b"", result.stderr
    return Image.open(io.BytesIO(result.stdout)).convert("L")


def qpdf_check(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "check.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def word_boxes(pdf: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    result = run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"], pdf
    )
    pattern = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
        r"(.*?)</word>"
    )
    found = pattern.findall(result.stdout.decode("utf-8"))
    return [(w, float(a), float(b), float(c), float(d)) for a, b, c, d, w in found]


def fields_by_name(pdf: bytes) -> dict:
    reader = PdfReader(io.BytesIO(pdf))
    found = {}
    for name, field, widgets in loa._terminal_fields(reader.root_object):
        found[name] = (field, widgets)
    return found


def template_rect(name: str) -> tuple[float, float, float, float]:
    field, widgets = fields_by_name(loa.DEFAULT_TEMPLATE.read_bytes())[name]
    return tuple(float(v) for v in widgets[0]["/Rect"])


def _to_unicode(font) -> dict[int, str]:
    cmap = font["/ToUnicode"].get_data().decode("ascii")
    return {
        int(code, 16): bytes.fromhex(text).decode("utf-16-be")
        for code, text in re.findall(r"^<([0-9A-F]{4})> <([0-9A-F]+)>$", cmap, re.M)
    }


def appearance_text(stream) -> str:
    """Decode the text an appearance stream draws, through its fonts' ToUnicode."""
    fonts = stream["/Resources"]["/Font"]
    maps = {name: _to_unicode(font.get_object()) for name, font in fonts.items()}
    shown = []
    current = None
    content = stream.get_data().decode("latin-1")
    for font, codes in re.findall(r"(/F\d+) [\d.]+ Tf|<([0-9A-F]+)> Tj", content):
        if font:
            current = maps[font]
            continue
        shown.append(
            "".join(current[int(codes[i : i + 4], 16)] for i in range(0, len(codes), 4))
        )
    return "".join(shown)


def _full_font(writer: PdfWriter, path: str, gids: set[int]):
    """Embed a whole font file, glyph ids as codes: no subsetting, no CID map."""
    font = load_font(path)
    widths = []
    for gid in sorted(gids):
        widths += [gid, [font.scaled_advance(gid)]]
    descriptor = {
        "/Type": "/FontDescriptor",
        "/FontName": "/Reference",
        "/Flags": 4,
        "/FontBBox": [-1000, -1000, 2000, 2000],
        "/ItalicAngle": 0,
        "/Ascent": 1000,
        "/Descent": -300,
        "/CapHeight": 700,
        "/StemV": 80,
        "/FontFile2": add_stream(writer, Path(path).read_bytes(), compress=False),
    }
    descendant = {
        "/Type": "/Font",
        "/Subtype": "/CIDFontType2",
        "/BaseFont": "/Reference",
        "/CIDSystemInfo": {
            "/Registry": "(Adobe)",
            "/Ordering": "(Identity)",
            "/Supplement": 0,
        },
        "/FontDescriptor": writer._add_object(pdf_object(descriptor)),
        "/W": widths,
        "/CIDToGIDMap": "/Identity",
    }
    type0 = {
        "/Type": "/Font",
        "/Subtype": "/Type0",
        "/BaseFont": "/Reference",
        "/Encoding": "/Identity-H",
        "/DescendantFonts": [writer._add_object(pdf_object(descendant))],
    }
    return writer._add_object(pdf_object(type0))


def reference_rendering(
    placed: list[tuple[str, tuple, float]], dpi: int
) -> Image.Image:
    """Render (text, field rectangle, size) where the LOA puts text in a field,
    set in the complete font files.

    The page is made here, independently of the LOA's subsetting and CID codes:
    whole font files, glyph ids as codes. A correct LOA renders the same pixels.
    """
    paths = {"/Latin": SOURCE_FONT, "/CJK": CJK_FONT}
    used: dict[str, set[int]] = {name: set() for name in paths}
    ops = []
    for text, (x1, y1, _, y2), size in placed:
        baseline = y1 + ((y2 - y1) - size * CAP_HEIGHT) / 2
        ops.append(f"BT 0 g 1 0 0 1 {x1 + FIELD_PADDING:.3f} {baseline:.3f} Tm")
        for ch in text:
            name = "/Latin" if ord(ch) in load_font(SOURCE_FONT).cmap else "/CJK"
            gid = load_font(paths[name]).cmap[ord(ch)]
            used[name].add(gid)
            ops.append(f"{name} {size} Tf <{gid:04X}> Tj")
        ops.append("ET")

    writer = PdfWriter()
    page = writer.add_blank_page(PAGE_WIDTH, PAGE_HEIGHT)
    fonts = {
        name: _full_font(writer, paths[name], gids)
        for name, gids in used.items()
        if gids
    }
    page[NameObject("/Resources")] = pdf_object({"/Font": fonts})
    page[NameObject("/Contents")] = add_stream(writer, " ".join(ops).encode("ascii"))
    buffer = io.BytesIO()
    writer.write(buffer)
    return render(buffer.getvalue(), 1, dpi)


def field_drawing_difference(
    page: Image.Image, reference: Image.Image, rect: tuple, dpi: int
) -> float:
    """Return the share of a field's inked pixels that differ from the reference."""
    scale = dpi / 72
    x1, y1, x2, y2 = rect
    # Inside the field's border, which the reference page does not draw.
    box = (
        round((x1 + 1.5) * scale),
        round((PAGE_HEIGHT - y2 + 1.5) * scale),
        round((x2 - 1.5) * scale),
        round((PAGE_HEIGHT - y1 - 1.5) * scale),
    )
    drawn, expected = page.crop(box), reference.crop(box)
    inked = sum(expected.histogram()[:200])
    assert inked > 0, "the reference drew nothing"
    differing = ImageChops.difference(drawn, expected).point(
        lambda v: 255 if v > 64 else 0
    )
    return differing.histogram()[255] / inked
