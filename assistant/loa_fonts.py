"""TrueType fonts for the LOA: parsed once per process, subset and embedded per PDF.

pypdf draws field appearances only from a font in the form's resources and never
subsets it, so the LOA writes its own text: every document gets one Type0 font per
TrueType file it draws with, encoded Identity-H with one CID per character, a
ToUnicode map so that text extraction returns exactly the characters given, and a
FontFile2 holding only the glyphs those characters need.
"""

import functools
import hashlib
import io
import struct
import sys
import unicodedata
from array import array
from collections.abc import Iterable
from collections.abc import Sequence
from pathlib import Path

from fontTools.ttLib import TTFont
from pypdf import PdfWriter
from pypdf.generic import ArrayObject
from pypdf.generic import BooleanObject
from pypdf.generic import DecodedStreamObject
from pypdf.generic import DictionaryObject
from pypdf.generic import FloatObject
from pypdf.generic import IndirectObject
from pypdf.generic import NameObject
from pypdf.generic import NumberObject
from pypdf.generic import PdfObject
from pypdf.generic import TextStringObject

FONT_DIR = Path(__file__).resolve().parent / "loa_template"
# Noto Sans (Latin, Greek, Cyrillic) ships with the package, reduced to what the
# LOA can use; the CJK font is Debian's fonts-droid-fallback, a TrueType-outline
# font, loaded only when a value needs it.
REGULAR_FONT = str(FONT_DIR / "NotoSans-Regular.subset.ttf")
BOLD_FONT = str(FONT_DIR / "NotoSans-Bold.subset.ttf")
CJK_FONT = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

_TRUETYPE_SIGNATURES = (b"\x00\x01\x00\x00", b"true")
_REQUIRED_TABLES = ("cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp")
# Tables copied unchanged into a subset: hinting programs that glyph instructions
# call, and the naming and metrics tables some viewers read before drawing.
_COPIED_TABLES = ("OS/2", "cvt ", "fpgm", "name", "prep")

# Composite glyph flags (OpenType spec, 'glyf' table).
_ARGS_ARE_WORDS = 0x0001
_HAVE_SCALE = 0x0008
_MORE_COMPONENTS = 0x0020
_HAVE_XY_SCALE = 0x0040
_HAVE_TWO_BY_TWO = 0x0080

# Characters that need a shaping engine (marks placed on a base letter,
# right-to-left scripts); drawing them glyph by glyph would misspell the name.
_UNSHAPED_CATEGORIES = {"Mn", "Mc", "Me", "Co", "Cs", "Cn"}
_RIGHT_TO_LEFT = {"R", "AL"}


class TrueTypeFont:
    """A TrueType-outline font file, parsed once for look-up, metrics and subsets."""

    def __init__(self, data: bytes) -> None:
        if data[:4] not in _TRUETYPE_SIGNATURES:
            raise ValueError(
                "not a TrueType-outline font (CFF fonts and collections are "
                "not supported)"
            )
        self._data = data
        self._tables = {}
        (count,) = struct.unpack_from(">H", data, 4)
        for index in range(count):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
            self._tables[tag.decode("latin-1")] = (offset, length)
        missing = [tag for tag in _REQUIRED_TABLES if tag not in self._tables]
        if missing:
            raise ValueError(f"font lacks the tables {', '.join(missing)}")

        head = self.table("head")
        (self.units_per_em,) = struct.unpack_from(">H", head, 18)
        self.bbox = struct.unpack_from(">4h", head, 36)
        (long_offsets,) = struct.unpack_from(">h", head, 50)
        (self.num_glyphs,) = struct.unpack_from(">H", self.table("maxp"), 4)
        hhea = self.table("hhea")
        self.ascent, self.descent = struct.unpack_from(">hh", hhea, 4)
        (self._long_metrics,) = struct.unpack_from(">H", hhea, 34)

        self._hmtx = self.table("hmtx")
        self._loca = array("I" if long_offsets else "H", self.table("loca"))
        if sys.byteorder == "little":
            self._loca.byteswap()
        self._loca_scale = 1 if long_offsets else 2
        self._glyf_offset = self._tables["glyf"][0]

        info = TTFont(io.BytesIO(data), lazy=True)
        self.cmap = _read_cmap(self.table("cmap"))
        # A subset keeps a few dozen glyphs of tens of thousands: look up the
        # characters of each kept glyph instead of reading the whole map each time.
        self._codes_of: dict[int, list[int]] = {}
        for code, gid in self.cmap.items():
            self._codes_of.setdefault(gid, []).append(code)
        name = info["name"].getDebugName(6) if "name" in self._tables else None
        self.postscript_name = "".join(
            ch
            for ch in str(name or "Font")
            if ch.isascii() and (ch.isalnum() or ch == "-")
        )
        os2 = info["OS/2"] if "OS/2" in self._tables else None
        cap_height = getattr(os2, "sCapHeight", 0) if os2 is not None else 0
        self.cap_height = cap_height or round(self.ascent * 0.7)
        self.italic_angle = float(info["post"].italicAngle) if "post" in info else 0.0

    def table(self, tag: str) -> bytes:
        """Return the raw bytes of one table."""
        offset, length = self._tables[tag]
        return self._data[offset : offset + length]

    def advance(self, gid: int) -> int:
        """Return a glyph's advance width in font units."""
        index = min(gid, self._long_metrics - 1)
        return struct.unpack_from(">H", self._hmtx, 4 * index)[0]

    def scaled_advance(self, gid: int) -> int:
        """Return a glyph's advance in thousandths of the font size, as PDF widths."""
        return round(self.advance(gid) * 1000 / self.units_per_em)

    def _metric(self, gid: int) -> bytes:
        if gid < self._long_metrics:
            return self._hmtx[4 * gid : 4 * gid + 4]
        last = 4 * (self._long_metrics - 1)
        side = 4 * self._long_metrics + 2 * (gid - self._long_metrics)
        return self._hmtx[last : last + 2] + self._hmtx[side : side + 2]

    def _glyph(self, gid: int) -> bytes:
        start = self._glyf_offset + self._loca[gid] * self._loca_scale
        end = self._glyf_offset + self._loca[gid + 1] * self._loca_scale
        return self._data[start:end]

    def _component_offsets(self, glyph: bytes) -> list[int]:
        """Return where each component's glyph index sits in a composite glyph."""
        if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
            return []
        offsets = []
        position = 10
        while True:
            (flags,) = struct.unpack_from(">H", glyph, position)
            offsets.append(position + 2)
            position += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
            if flags & _HAVE_SCALE:
                position += 2
            elif flags & _HAVE_XY_SCALE:
                position += 4
            elif flags & _HAVE_TWO_BY_TWO:
                position += 8
            if not flags & _MORE_COMPONENTS:
                return offsets

    def subset(self, gids: Iterable[int]) -> tuple[bytes, dict[int, int]]:
        """Build a font holding only the given glyphs and the components they use.

        Returns the font file and the map from old glyph ids to new ones; glyph 0
        (.notdef) is always kept first.
        """
        order = [0]
        new_ids = {0: 0}
        pending = sorted(set(gids))
        while pending:
            gid = pending.pop(0)
            if gid in new_ids or not 0 <= gid < self.num_glyphs:
                continue
            new_ids[gid] = len(order)
            order.append(gid)
            glyph = self._glyph(gid)
            pending.extend(
                struct.unpack_from(">H", glyph, offset)[0]
                for offset in self._component_offsets(glyph)
            )

        glyf = bytearray()
        loca = array("I")
        metrics = bytearray()
        for gid in order:
            loca.append(len(glyf))
            glyph = bytearray(self._glyph(gid))
            for offset in self._component_offsets(glyph):
                (old,) = struct.unpack_from(">H", glyph, offset)
                struct.pack_into(">H", glyph, offset, new_ids[old])
            glyf += glyph + b"\0" * (-len(glyph) % 4)
            metrics += self._metric(gid)
        loca.append(len(glyf))
        if sys.byteorder == "little":
            loca.byteswap()

        head = bytearray(self.table("head"))
        struct.pack_into(">I", head, 8, 0)
        struct.pack_into(">h", head, 50, 1)
        hhea = bytearray(self.table("hhea"))
        struct.pack_into(">H", hhea, 34, len(order))
        maxp = bytearray(self.table("maxp"))
        struct.pack_into(">H", maxp, 4, len(order))
        characters = {
            code: new_id
            for gid, new_id in new_ids.items()
            for code in self._codes_of.get(gid, ())
        }
        tables = {
            "cmap": _cmap_table(characters),
            "glyf": bytes(glyf),
            "head": bytes(head),
            "hhea": bytes(hhea),
            "hmtx": bytes(metrics),
            "loca": loca.tobytes(),
            "maxp": bytes(maxp),
            "post": self._post_table(),
        }
        for tag in _COPIED_TABLES:
            if tag in self._tables:
                tables[tag] = self.table(tag)
        return _sfnt(tables), new_ids

    def _post_table(self) -> bytes:
        """Return a version 3 'post' table: the same metrics, no glyph names."""
        if "post" not in self._tables:
            return struct.pack(">I28x", 0x00030000)
        return struct.pack(">I", 0x00030000) + self.table("post")[4:32]


def _read_cmap(table: bytes) -> dict[int, int]:
    """Map code points to glyph ids from a Unicode 'cmap' subtable (format 12 or 4)."""
    (count,) = struct.unpack_from(">H", table, 2)
    subtables = {}
    for index in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", table, 4 + 8 * index)
        (kind,) = struct.unpack_from(">H", table, offset)
        subtables[(platform, encoding, kind)] = offset
    for key in ((3, 10, 12), (0, 4, 12), (0, 6, 12), (3, 1, 4), (0, 3, 4)):
        if key in subtables:
            offset = subtables[key]
            return _format12(table, offset) if key[2] == 12 else _format4(table, offset)
    raise ValueError("font has no Unicode character map")


def _format12(table: bytes, offset: int) -> dict[int, int]:
    (groups,) = struct.unpack_from(">I", table, offset + 12)
    mapping = {}
    for start, end, glyph in struct.iter_unpack(
        ">III", table[offset + 16 : offset + 16 + 12 * groups]
    ):
        for code in range(start, end + 1):
            mapping[code] = glyph + code - start
    return mapping


def _format4(table: bytes, offset: int) -> dict[int, int]:
    (segments,) = struct.unpack_from(">H", table, offset + 6)
    segments //= 2
    ends_at = offset + 14
    starts_at = ends_at + 2 * segments + 2
    deltas_at = starts_at + 2 * segments
    ranges_at = deltas_at + 2 * segments
    ends = struct.unpack_from(f">{segments}H", table, ends_at)
    starts = struct.unpack_from(f">{segments}H", table, starts_at)
    deltas = struct.unpack_from(f">{segments}H", table, deltas_at)
    ranges = struct.unpack_from(f">{segments}H", table, ranges_at)
    mapping = {}
    for index in range(segments):
        start, end, delta, range_offset = (
            starts[index],
            ends[index],
            deltas[index],
            ranges[index],
        )
        for code in range(start, min(end, 0xFFFE) + 1):
            if range_offset:
                at = ranges_at + 2 * index + range_offset + 2 * (code - start)
                (glyph,) = struct.unpack_from(">H", table, at)
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            else:
                glyph = (code + delta) & 0xFFFF
            if glyph:
                mapping[code] = glyph
    return mapping


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    words = array("I", padded)
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


def _sfnt(tables: dict[str, bytes]) -> bytes:
    """Assemble tables into a font file with checksums filled in."""
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    directory = bytearray(
        struct.pack(
            ">IHHHH",
            0x00010000,
            count,
            power * 16,
            power.bit_length() - 1,
            count * 16 - power * 16,
        )
    )
    body = bytearray()
    offset = 12 + 16 * count
    head_at = 0
    for tag in tags:
        data = tables[tag]
        if tag == "head":
            head_at = offset + len(body)
        directory += struct.pack(
            ">4sIII",
            tag.encode("latin-1"),
            _checksum(data),
            offset + len(body),
            len(data),
        )
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(directory + body)
    adjustment = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
    struct.pack_into(">I", font, head_at + 8, adjustment)
    return bytes(font)


def _cmap_table(characters: dict[int, int]) -> bytes:
    """Build a 'cmap' with a format 4 subtable, plus format 12 beyond the BMP."""
    basic = sorted((code, gid) for code, gid in characters.items() if code < 0xFFFF)
    segments = [(code, code, (gid - code) % 0x10000) for code, gid in basic]
    segments.append((0xFFFF, 0xFFFF, 1))
    count = len(segments)
    power = 1 << (count.bit_length() - 1)
    format4 = struct.pack(
        ">HHH", count * 2, power * 2, power.bit_length() - 1
    ) + struct.pack(">H", count * 2 - power * 2)
    format4 += struct.pack(f">{count}H", *(end for _, end, _ in segments))
    format4 += b"\0\0"
    format4 += struct.pack(f">{count}H", *(start for start, _, _ in segments))
    format4 += struct.pack(f">{count}H", *(delta for _, _, delta in segments))
    format4 += b"\0\0" * count
    format4 = struct.pack(">HHH", 4, 6 + len(format4), 0) + format4

    subtables = [((3, 1), format4)]
    if any(code > 0xFFFF for code in characters):
        groups = sorted(characters.items())
        format12 = struct.pack(">HHIII", 12, 0, 16 + 12 * len(groups), 0, len(groups))
        format12 += b"".join(struct.pack(">III", c, c, g) for c, g in groups)
        subtables.append(((3, 10), format12))

    header = struct.pack(">HH", 0, len(subtables))
    offset = 4 + 8 * len(subtables)
    records = b""
    for (platform, encoding), data in subtables:
        records += struct.pack(">HHI", platform, encoding, offset)
        offset += len(data)
    return header + records + b"".join(data for _, data in subtables)


@functools.cache
def load_font(path: str) -> TrueTypeFont | None:
    """Parse a font file once per process; None when the file is not installed."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    return TrueTypeFont(data)


def clean_text(value: str) -> str:
    """Compose accents, fold whitespace to single spaces, drop invisible controls."""
    composed = " ".join(unicodedata.normalize("NFC", value).split())
    return "".join(
        ch for ch in composed if unicodedata.category(ch) not in ("Cf", "Cc")
    )


def drawable_alone(ch: str) -> bool:
    """Tell whether a character reads right when drawn as one glyph, unshaped."""
    return (
        unicodedata.category(ch) not in _UNSHAPED_CATEGORIES
        and unicodedata.bidirectional(ch) not in _RIGHT_TO_LEFT
    )


class FontChain:
    """Font files tried in order for each character; later ones load on first need."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = tuple(paths)
        self._found: dict[str, tuple[TrueTypeFont, int] | None] = {}

    @property
    def primary(self) -> TrueTypeFont:
        """Return the first font, which draws the characters no font has."""
        font = load_font(self.paths[0])
        if font is None:
            raise FileNotFoundError(self.paths[0])
        return font

    def glyph(self, ch: str) -> tuple[TrueTypeFont, int] | None:
        """Return the font and glyph that draw a character, or None."""
        if ch in self._found:
            return self._found[ch]
        found = None
        if drawable_alone(ch):
            for path in self.paths:
                font = load_font(path)
                gid = font.cmap.get(ord(ch)) if font is not None else None
                if gid:
                    found = (font, gid)
                    break
        self._found[ch] = found
        return found


@functools.cache
def default_faces() -> dict[str, FontChain]:
    """Return the font chains of the LOA's two faces, shared by the process."""
    return {
        "regular": FontChain([REGULAR_FONT, CJK_FONT]),
        "bold": FontChain([BOLD_FONT, REGULAR_FONT, CJK_FONT]),
    }


class _FontUse:
    """One font's characters in one document, each given its own CID."""

    def __init__(self, font: TrueTypeFont, resource: str) -> None:
        self.font = font
        self.resource = resource
        self.cids: dict[str, int] = {}
        self.gids: list[int] = []
        self.widths: list[int] = []

    def cid(self, ch: str, gid: int) -> int:
        cid = self.cids.get(ch)
        if cid is None:
            cid = len(self.cids) + 1
            self.cids[ch] = cid
            self.gids.append(gid)
            self.widths.append(self.font.scaled_advance(gid))
        return cid


class FontSet:
    """The text of one PDF: encodes strings as they are laid out, then embeds fonts.

    `faces` maps a face name ("regular", "bold") to its chain of font files. A
    character no font can draw is drawn with the first font's .notdef box while
    its ToUnicode entry keeps the real character, so nothing is dropped or
    replaced; callers report such characters before anyone signs.
    """

    def __init__(self, faces: dict[str, FontChain] | None = None) -> None:
        self._faces = faces or default_faces()
        self._uses: dict[int, _FontUse] = {}
        self._encoded: dict[tuple[str, str], tuple[_FontUse, int]] = {}

    def _encode(self, ch: str, face: str) -> tuple[_FontUse, int]:
        key = (ch, face)
        encoded = self._encoded.get(key)
        if encoded is None:
            chain = self._faces[face]
            found = chain.glyph(ch)
            font, gid = found if found is not None else (chain.primary, 0)
            use = self._uses.get(id(font))
            if use is None:
                use = _FontUse(font, f"F{len(self._uses)}")
                self._uses[id(font)] = use
            encoded = (use, use.cid(ch, gid))
            self._encoded[key] = encoded
        return encoded

    def width(self, text: str, size: float, face: str = "regular") -> float:
        """Return the advance of a string at a font size, in points."""
        total = 0
        for ch in text:
            use, cid = self._encode(ch, face)
            total += use.widths[cid - 1]
        return total * size / 1000

    def show(self, text: str, size: float, face: str = "regular") -> str:
        """Return content-stream operators drawing a string at the current point."""
        parts = []
        current = None
        codes: list[str] = []
        for ch in text:
            use, cid = self._encode(ch, face)
            if use is not current:
                if codes:
                    parts.append(f"<{''.join(codes)}> Tj")
                    codes = []
                parts.append(f"/{use.resource} {number(size)} Tf")
                current = use
            codes.append(f"{cid:04X}")
        if codes:
            parts.append(f"<{''.join(codes)}> Tj")
        return " ".join(parts)

    def add_to(self, writer: PdfWriter) -> DictionaryObject:
        """Embed the subset fonts used so far and return the /Font resource dict."""
        resources = DictionaryObject()
        for use in self._uses.values():
            resources[NameObject("/" + use.resource)] = _embed(writer, use)
        return resources


def number(value: float) -> str:
    """Format a number for a content stream, without trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def pdf_object(value: object) -> PdfObject:
    """Convert plain Python values to pypdf objects.

    A str starting with "/" becomes a name and one in parentheses a text string;
    text from people must be passed as a TextStringObject so that it is never
    mistaken for a name.
    """
    if isinstance(value, PdfObject):
        return value
    if isinstance(value, bool):
        return BooleanObject(value)
    if isinstance(value, int):
        return NumberObject(value)
    if isinstance(value, float):
        return FloatObject(value)
    if isinstance(value, str):
        if value.startswith("/"):
            return NameObject(value)
        if value.startswith("(") and value.endswith(")"):
            return TextStringObject(value[1:-1])
        raise ValueError(f"ambiguous PDF string {value!r}")
    if isinstance(value, dict):
        return DictionaryObject(
            {NameObject(key): pdf_object(item) for key, item in value.items()}
        )
    if isinstance(value, (list, tuple)):
        return ArrayObject(pdf_object(item) for item in value)
    raise TypeError(f"no PDF form for {type(value).__name__}")


def add_stream(
    writer: PdfWriter, data: bytes, entries: dict | None = None, compress: bool = True
) -> IndirectObject:
    """Add a stream object holding data, Flate-compressed unless told otherwise."""
    stream = DecodedStreamObject()
    stream.set_data(data)
    for key, value in (entries or {}).items():
        stream[NameObject(key)] = pdf_object(value)
    if compress:
        stream = stream.flate_encode()
    # pypdf has no public call that makes an object indirect, and streams must be.
    return writer._add_object(stream)


def _to_unicode(cids: dict[str, int]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    entries = sorted((cid, ch) for ch, cid in cids.items())
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(
            f"<{cid:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for cid, ch in chunk
        )
        lines.append("endbfchar")
    lines += ["endcmap CMapName currentdict /CMap defineresource pop end end"]
    return "\n".join(lines).encode("ascii")


def _embed(writer: PdfWriter, use: _FontUse) -> IndirectObject:
    font = use.font
    program, new_ids = font.subset(use.gids)
    cid_to_gid = struct.pack(
        f">{len(use.gids) + 1}H", 0, *(new_ids[g] for g in use.gids)
    )
    digest = hashlib.sha256(program).digest()
    tag = "".join(chr(65 + byte % 26) for byte in digest[:6])
    base_font = f"/{tag}+{font.postscript_name}"

    def scaled(value: float) -> int:
        return round(value * 1000 / font.units_per_em)

    descriptor = {
        "/Type": "/FontDescriptor",
        "/FontName": base_font,
        # Symbolic: glyphs are reached through CIDs, not a standard encoding.
        "/Flags": 4,
        "/FontBBox": [scaled(v) for v in font.bbox],
        "/ItalicAngle": font.italic_angle,
        "/Ascent": scaled(font.ascent),
        "/Descent": scaled(font.descent),
        "/CapHeight": scaled(font.cap_height),
        "/StemV": 80,
        "/FontFile2": add_stream(writer, program, {"/Length1": len(program)}),
    }
    descendant = {
        "/Type": "/Font",
        "/Subtype": "/CIDFontType2",
        "/BaseFont": base_font,
        "/CIDSystemInfo": {
            "/Registry": "(Adobe)",
            "/Ordering": "(Identity)",
            "/Supplement": 0,
        },
        "/FontDescriptor": writer._add_object(pdf_object(descriptor)),
        "/W": [1, use.widths],
        "/CIDToGIDMap": add_stream(writer, cid_to_gid),
    }
    type0 = {
        "/Type": "/Font",
        "/Subtype": "/Type0",
        "/BaseFont": base_font,
        "/Encoding": "/Identity-H",
        "/DescendantFonts": [writer._add_object(pdf_object(descendant))],
        "/ToUnicode": add_stream(writer, _to_unicode(use.cids)),
    }
    return writer._add_object(pdf_object(type0))
