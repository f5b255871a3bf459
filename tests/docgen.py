"""Generators of evidence documents for tests and benchmarks."""

import io
import zlib
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace

from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont
from pypdf import PdfWriter

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

INTAKE = {
    "numbers": ["+14155550123", "+14155550187"],
    "business_name": "Acme Plumbing",
    "name_on_bill": "Acme Plumbing LLC",
    "service_street": "123 Main Street",
    "service_city": "San Francisco",
    "service_state": "CA",
    "service_zip": "94103",
    "contact_email": "jane.doe@acmeplumbing.com",
}


@dataclass(frozen=True)
class Bill:
    """What a generated bill prints; the defaults agree with INTAKE."""

    carrier: str = "Pacific Coast Telecom"
    name: str = "ACME PLUMBING, LLC"
    street: str = "123 Main St"
    city_line: str = "San Francisco, CA 94103"
    numbers: tuple[str, ...] = ("(415) 555-0123", "415.555.0187")
    account: str = "8812 3345 0091"
    lines: tuple[str, ...] = field(default=("Business line", "Fax line"))

    def rows(self) -> list[tuple[str, str]]:
        """The bill as (label, value) rows, top to bottom."""
        rows = [
            ("", self.carrier),
            ("", "Monthly statement - March 2025"),
            ("Account name:", self.name),
            ("Service address:", self.street),
            ("", self.city_line),
            ("Account number:", self.account),
            ("", "Numbers on this account"),
        ]
        for number, line in zip(self.numbers, self.lines, strict=False):
            rows.append((line, number))
        rows.append(("Total due:", "$34.98"))
        return rows


MISMATCHED_BILL = replace(
    Bill(),
    name="Bayside Dental Group",
    numbers=("(415) 555-0123", "(415) 555-0199"),
)
MOVED_BILL = replace(Bill(), street="880 Harbor Blvd", city_line="Oakland, CA 94607")


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def _assemble_pdf(contents: list[bytes], font: bytes = b"Helvetica") -> bytes:
    """Build a PDF with one page per content stream, using a standard font."""
    return _assemble_pdf_streams([_stream(content) for content in contents], font)


def _stream(content: bytes, filter_name: bytes = b"") -> bytes:
    extra = b" /Filter /%s" % filter_name if filter_name else b""
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(content), extra, content)


def _assemble_pdf_streams(streams: list[bytes], font: bytes = b"Helvetica") -> bytes:
    first_page = 4
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(streams)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(streams)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /%s >>" % font,
    ]
    for i, stream in enumerate(streams):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (first_page + 2 * i + 1)
        )
        objects.append(stream)
    return _assemble_objects(objects)


def _assemble_objects(objects: list[bytes]) -> bytes:
    """Number the objects from 1, the first being the catalog, and add the xref."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _text_ops(x: float, y: float, text: str, size: int = 11) -> bytes:
    return b"BT /F1 %d Tf %.1f %.1f Td %s Tj ET" % (size, x, y, _pdf_string(text))


def _glyph_ops(x: float, y: float, text: str, size: int = 11) -> bytes:
    # Every glyph placed on its own, with letter spacing, as some billing
    # systems do: text extraction then sees no gap between words at all.
    advance = 0.6 * size + 5
    ops = []
    for i, char in enumerate(text):
        if char != " ":
            ops.append(_text_ops(x + i * advance, y, char, size))
    return b"\n".join(ops)


def text_pdf_bill(
    bill: Bill = Bill(), *, glyph_by_glyph: bool = False, split_labels: bool = False
) -> bytes:
    """A one-page bill with real text, optionally drawn glyph by glyph, or with
    every label drawn before every value as some billing systems do."""
    draw = _glyph_ops if glyph_by_glyph else _text_ops
    labels = []
    values = []
    for row, (label, value) in enumerate(bill.rows()):
        y = 740 - row * 22
        labels.append(draw(72, y, label) if label else b"")
        values.append(draw(260, y, value))
    if split_labels:
        ops = labels + values
    else:
        ops = [op for row in zip(labels, values, strict=True) for op in row]
    font = b"Courier" if glyph_by_glyph else b"Helvetica"
    return _assemble_pdf([b"\n".join(op for op in ops if op)], font=font)


def render_lines(
    lines: list[str],
    *,
    width: int,
    size: int = 26,
    dark: bool = False,
    margin: int = 40,
    spacing: float = 1.7,
    height: int = 0,
) -> Image.Image:
    """Text drawn with DejaVu Sans into a greyscale image, one line per row."""
    font = ImageFont.truetype(FONT_PATH, size)
    height = max(height, int(margin * 2 + len(lines) * size * spacing))
    background, ink = (40, 230) if dark else (255, 20)
    image = Image.new("L", (width, height), background)
    pen = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        pen.text((margin, margin + row * size * spacing), line, font=font, fill=ink)
    return image


def bill_image(
    bill: Bill = Bill(), *, width: int = 1100, size: int = 26, height: int = 0
) -> Image.Image:
    """The bill as a scanner would see it, labels and values on one line."""
    lines = [f"{label} {value}".strip() for label, value in bill.rows()]
    return render_lines(lines, width=width, size=size, height=height)


def scanned_pdf_bill(
    bill: Bill = Bill(), *, width: int = 1100, size: int = 26, height: int = 0
) -> bytes:
    """An image-only PDF: the bill rendered to pixels at 200 dpi, no text layer.

    The default is a small slip that keeps OCR in tests quick; 1700 by 2200
    pixels is a full US Letter page.
    """
    out = io.BytesIO()
    image = bill_image(bill, width=width, size=size, height=height)
    image.save(out, "PDF", resolution=200)
    return out.getvalue()


def photo_jpeg_bill(bill: Bill = Bill()) -> bytes:
    """A phone photo of a paper bill: slightly turned, grey paper, JPEG."""
    image = bill_image(bill).convert("RGB").rotate(1.5, expand=True, fillcolor="white")
    paper = Image.new("RGB", image.size, (236, 232, 224))
    ink = image.convert("L").point(lambda v: 255 if v < 200 else 0)
    photo = Image.composite(image, paper, ink)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=80)
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def portal_screenshot_png(numbers: tuple[str, ...] = Bill().numbers) -> bytes:
    """A carrier portal page listing the account's numbers."""
    lines = ["My Account - Phone Numbers", "Acme Plumbing LLC", ""]
    lines += [f"{number}   Active" for number in numbers]
    return _png(render_lines(lines, width=760, size=24))


def google_voice_screenshot_png(
    number: str = "(415) 555-0123", email: str | None = INTAKE["contact_email"]
) -> bytes:
    """A Google Voice settings page in dark mode, as a phone shows it."""
    lines = ["Settings", "Account", "Your Google Voice number", number]
    if email:
        lines += ["Signed in as", email]
    lines += ["Linked numbers", "Messages"]
    return _png(render_lines(lines, width=760, size=24, dark=True))


def jpeg_with_gps() -> bytes:
    """A small photo carrying GPS coordinates and a camera comment."""
    image = render_lines(["Photo of a bill"], width=400, size=24).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (37.0, 46.0, 29.0)
    gps[3] = "W"
    gps[4] = (122.0, 25.0, 9.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def pdf_with_pages(count: int) -> bytes:
    """A PDF of blank pages."""
    return _assemble_pdf([b"" for _ in range(count)])


def encrypted_pdf(user_password: str) -> bytes:
    """A bill protected with an AES password; an empty one opens without asking."""
    writer = PdfWriter(clone_from=io.BytesIO(text_pdf_bill()))
    writer.encrypt(
        user_password=user_password, owner_password="owner-secret", algorithm="AES-128"
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    """The first half of a good bill, as an interrupted download leaves it."""
    whole = text_pdf_bill()
    return whole[: len(whole) // 2]


def malformed_pdf() -> bytes:
    """A PDF header followed by bytes that are no PDF at all."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def slow_pdf(operators: int = 400_000) -> bytes:
    """A tiny file whose compressed page holds a vast number of text operators."""
    body = b"BT /F1 1 Tf " + b"(a) Tj 0 1 Td " * operators + b"ET"
    return _assemble_pdf_streams([_stream(zlib.compress(body, 9), b"FlateDecode")])


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG of a few hundred bytes that declares a gigantic canvas."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")

    header = (
        width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    )
    pixels = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def flate_bomb_pdf(inflated_bytes: int = 100 * 2**20) -> bytes:
    """A page whose content stream is a few kilobytes that inflate to 100 MB."""
    squeezer = zlib.compressobj(9)
    block = b" " * 2**20
    parts = [squeezer.compress(block) for _ in range(inflated_bytes // len(block))]
    parts.append(squeezer.flush())
    return _assemble_pdf_streams([_stream(b"".join(parts), b"FlateDecode")])


def image_bomb_pdf(side: int = 50_000, indirect_size: bool = False) -> bytes:
    """A page drawing a grey image that declares side by side pixels in a few bytes.

    With ``indirect_size`` the width and height are references to other objects,
    as a PDF may write any number.
    """
    pixels = zlib.compress(b"\xff" * 4096, 9)
    size = b"6 0 R" if indirect_size else b"%d" % side
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
        _stream(b"q 612 0 0 792 0 0 cm /Im1 Do Q"),
        b"<< /Type /XObject /Subtype /Image /Width %s /Height %s "
        b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode "
        b"/Length %d >>\nstream\n%s\nendstream" % (size, size, len(pixels), pixels),
    ]
    if indirect_size:
        objects.append(b"%d" % side)
    return _assemble_objects(objects)


ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"\x90" * 200
ZIP_BYTES = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 100
HTML_BYTES = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def plain_png(width: int, height: int) -> bytes:
    """A blank picture of the given size; it compresses to almost nothing."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG", compress_level=1)
    return out.getvalue()
