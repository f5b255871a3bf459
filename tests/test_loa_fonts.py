import io
import re

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf.generic import NameObject

from assistant import loa
from assistant.loa_fonts import BOLD_FONT
from assistant.loa_fonts import CJK_FONT
from assistant.loa_fonts import REGULAR_FONT
from assistant.loa_fonts import FontSet
from assistant.loa_fonts import TrueTypeFont
from assistant.loa_fonts import clean_text
from assistant.loa_fonts import load_font
from assistant.loa_fonts import pdf_object
from tests.intake_data import LOA_DETAILS
from tests.intake_data import NUMBER_TEXT
from tests.intake_data import PROVIDER
from tests.test_loa_support import SOURCE_FONT

NAMES = "Zoë Wójcik-Trần Şule Ăngheluță Łódź Nguyễn Ğüzel Ærø Ελένη Жанна 札幌"


def embedded_fonts(text: str) -> list:
    writer = PdfWriter()
    fonts = FontSet()
    fonts.show(text, 10)
    page = writer.add_blank_page(612, 792)
    page[NameObject("/Resources")] = pdf_object({"/Font": fonts.add_to(writer)})
    buffer = io.BytesIO()
    writer.write(buffer)
    page = PdfReader(buffer).pages[0]
    return [font.get_object() for font in page["/Resources"]["/Font"].values()]


def read_font(path: str) -> TTFont:
    with open(path, "rb") as file:
        return TTFont(io.BytesIO(file.read()), lazy=True)


def outline(font: TTFont, glyph_name: str) -> list:
    coordinates, ends, _ = font["glyf"][glyph_name].getCoordinates(font["glyf"])
    width = font["hmtx"][glyph_name][0]
    return [list(coordinates), list(ends), width]


def test_every_embedded_glyph_has_the_outline_of_the_source_fonts_glyph():
    sources = {
        "NotoSans-Regular": read_font(SOURCE_FONT),
        "DroidSansFallback": read_font(CJK_FONT),
    }
    checked = set()
    for font in embedded_fonts(NAMES):
        descendant = font["/DescendantFonts"][0].get_object()
        program = descendant["/FontDescriptor"]["/FontFile2"].get_data()
        subset = TTFont(io.BytesIO(program))
        source = sources[str(font["/BaseFont"]).split("+")[1]]
        cid_to_gid = descendant["/CIDToGIDMap"].get_data()
        cmap = font["/ToUnicode"].get_data().decode("ascii")
        for code, text in re.findall(r"^<([0-9A-F]{4})> <([0-9A-F]+)>$", cmap, re.M):
            ch = bytes.fromhex(text).decode("utf-16-be")
            cid = int(code, 16)
            gid = int.from_bytes(cid_to_gid[2 * cid : 2 * cid + 2], "big")
            drawn = outline(subset, subset.getGlyphOrder()[gid])
            expected = outline(source, source.getBestCmap()[ord(ch)])
            assert drawn == expected, ch
            checked.add(ch)
    assert checked == set(NAMES)


def test_a_subset_holds_only_the_glyphs_its_text_needs():
    fonts = embedded_fonts("Zoë Wójcik")

    (font,) = fonts
    program = font["/DescendantFonts"][0]["/FontDescriptor"]["/FontFile2"]
    subset = TTFont(io.BytesIO(program.get_data()))
    # .notdef, 9 characters, and the components of the accented letters.
    assert 10 <= subset["maxp"].numGlyphs <= 16
    assert len(program.get_data()) < 6000


@pytest.mark.parametrize("path", [REGULAR_FONT, BOLD_FONT, CJK_FONT, SOURCE_FONT])
def test_character_maps_match_what_fonttools_reads(path):
    reference = read_font(path)
    order = {name: gid for gid, name in enumerate(reference.getGlyphOrder())}

    expected = {code: order[name] for code, name in reference.getBestCmap().items()}
    assert load_font(path).cmap == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name_on_bill": "Zoë Wójcik-Trần"}, {}),
        ({"authorized_name": "Şule Ăngheluță"}, {}),
        ({"business_name": "札幌 Noodle House LLC"}, {}),
        ({"name_on_bill": "Nguyễn Thị Minh Khai, Łódź, Ærøskøbing"}, {}),
        ({"name_on_bill": "Ελένη Παπαδοπούλου, Жанна Петрова"}, {}),
        ({"name_on_bill": "Jose\u0301 Nun\u0303ez"}, {}),
        ({"business_name": "김밥 House"}, {"business_name": ["김", "밥"]}),
        ({"business_name": "مطعم Café"}, {"business_name": ["م", "ط", "ع"]}),
        ({"business_name": "Noodles 🍜🍜"}, {"business_name": ["🍜"]}),
        ({"name_on_bill": "q\u0303 Smith"}, {"name_on_bill": ["\u0303"]}),
        ({"partial_port": True, "numbers": ["+14155550100"]}, {}),
    ],
)
def test_unrenderable_characters_lists_what_no_font_can_draw(fields, expected):
    assert loa.unrenderable_characters(fields) == expected


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Zoë \n  Wójcik ", "Zoë Wójcik"),
        ("Zoe\u0308", "Zoë"),
        ("Wój\u200bcik\u00ad", "Wójcik"),
        ("Tab\tand\u00a0space", "Tab and space"),
        ("Bell\x07 and\x00 null", "Bell and null"),
    ],
)
def test_values_are_composed_and_stripped_of_invisible_marks(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"OTTO" + bytes(100), "not a TrueType-outline font"),
        (b"ttcf" + bytes(100), "not a TrueType-outline font"),
        (b"\x00\x01\x00\x00\x00\x00" + bytes(6), "font lacks the tables"),
    ],
)
def test_only_truetype_outline_fonts_are_accepted(data, message):
    with pytest.raises(ValueError, match=message):
        TrueTypeFont(data)


def test_a_font_that_is_not_installed_loads_as_none(tmp_path):
    assert load_font(str(tmp_path / "absent.ttf")) is None


def test_a_name_the_letter_cannot_print_is_sent_back_before_signing(chat):
    chat.choose("port")
    chat.text(NUMBER_TEXT)
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**PROVIDER)
    chat.choose("no")
    assert chat.state == "loa_details"

    reply = chat.form(
        **{**LOA_DETAILS, "business_name": "김밥 House", "name_on_bill": "札幌 Noodle"}
    )

    assert chat.state == "loa_details"
    assert reply["errors"] == {
        "business_name": [
            "The letter can't print 김 밥. Please write it the way it appears on "
            "your bill using other characters."
        ]
    }
    fields = {field["name"]: field for field in reply["input"]["fields"]}
    assert fields["business_name"]["value"] == "김밥 House"
    chat.form(**{**LOA_DETAILS, "business_name": "Gimbap House"})
    assert chat.state == "documents"
