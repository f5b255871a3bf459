"""The preview and the signed LOA with 1, 4, 5, 40 and 500 numbers, page by page."""

import io
import math
import re

import pytest
from PIL import ImageChops
from pypdf import PdfReader

from assistant import loa
from tests.test_loa_support import REQUEST
from tests.test_loa_support import SHOWN
from tests.test_loa_support import SIGNER
from tests.test_loa_support import appearance_text
from tests.test_loa_support import field_drawing_difference
from tests.test_loa_support import fields_by_name
from tests.test_loa_support import national
from tests.test_loa_support import numbers
from tests.test_loa_support import pdf_text
from tests.test_loa_support import qpdf_check
from tests.test_loa_support import reference_rendering
from tests.test_loa_support import render
from tests.test_loa_support import template_rect
from tests.test_loa_support import words

COUNTS = [1, 4, 5, 40, 500]
DPI = 72
NUMBER_SIZE = 10


def pages_for(count: int) -> int:
    extra = max(0, count - 4)
    return 1 + math.ceil(extra / loa.NUMBERS_PER_CONTINUATION_PAGE)


@pytest.fixture(scope="module", params=COUNTS, ids=[f"{n}-numbers" for n in COUNTS])
def letters(request) -> tuple[int, bytes, bytes]:
    count = request.param
    preview = loa.fill_loa(REQUEST, numbers(count))
    signed = loa.sign_loa(REQUEST, numbers(count), **SIGNER)
    return count, preview, signed


def number_rects(preview: bytes) -> dict[int, list[tuple[str, tuple]]]:
    """Each page's number fields of a preview: (shown number, rectangle)."""
    reader = PdfReader(io.BytesIO(preview))
    page_of = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    placed: dict[int, list[tuple[str, tuple]]] = {}
    for name, (field, widgets) in fields_by_name(preview).items():
        if not re.fullmatch(r"number_\d+", name) or not field["/V"]:
            continue
        widget = widgets[0]
        rect = tuple(float(v) for v in widget["/Rect"])
        page = page_of[widget.raw_get("/P").idnum] + 1
        placed.setdefault(page, []).append((str(field["/V"]), rect))
    return placed


def test_every_preview_widget_has_its_own_appearance_holding_its_value(letters):
    count, preview, _ = letters

    seen = set()
    found = fields_by_name(preview)
    for name, (field, widgets) in found.items():
        for widget in widgets:
            normal = widget["/AP"].raw_get("/N")
            streams = [normal] if field.get("/FT") == "/Tx" else normal.values()
            for stream in streams:
                assert stream.idnum not in seen, name
                seen.add(stream.idnum)
            if field.get("/FT") == "/Tx":
                assert appearance_text(normal.get_object()) == field["/V"], name
    shown = [found[f"number_{n}"][0]["/V"] for n in range(1, count + 1)]
    assert shown == national(count)
    assert f"number_{max(count, 4) + 1}" not in found


@pytest.mark.parametrize("which", ["preview", "signed"])
def test_qpdf_finds_nothing_wrong(letters, which, tmp_path):
    _, preview, signed = letters

    report = qpdf_check(preview if which == "preview" else signed, tmp_path)

    assert "No syntax or stream encoding errors found" in report
    assert "WARNING" not in report


@pytest.mark.parametrize("which", ["preview", "signed"])
def test_every_value_and_number_is_in_the_extracted_text_of_its_page(letters, which):
    count, preview, signed = letters
    pdf = preview if which == "preview" else signed
    pages = pages_for(count)

    first = words(pdf_text(pdf, 1))
    for name, shown in SHOWN.items():
        assert shown in first, name
    assert f"Page 1 of {pages}" in first
    listed = national(count)
    for shown in listed[:4]:
        assert shown in first
    for page in range(2, pages + 1):
        text = words(pdf_text(pdf, page))
        assert f"Page {page} of {pages}" in text
        assert "Account: 札幌 Noodle House LLC" in text
        start = 4 + (page - 2) * loa.NUMBERS_PER_CONTINUATION_PAGE
        for shown in listed[start : start + loa.NUMBERS_PER_CONTINUATION_PAGE]:
            assert shown in text
    if which == "signed":
        assert "Şule Ăngheluță" in words(pdf_text(pdf, 1))
        assert "Signature record" in pdf_text(pdf, pages + 1)


@pytest.mark.parametrize("which", ["preview", "signed"])
def test_every_number_renders_as_the_complete_font_draws_it(letters, which):
    _, preview, signed = letters
    pdf = preview if which == "preview" else signed

    for page, placed in number_rects(preview).items():
        drawn = render(pdf, page, DPI)
        reference = reference_rendering(
            [(shown, rect, NUMBER_SIZE) for shown, rect in placed], DPI
        )
        for shown, rect in placed:
            difference = field_drawing_difference(drawn, reference, rect, DPI)
            assert difference < 0.001, (page, shown)


def test_the_signed_pages_look_like_the_preview_plus_signature_and_date(letters):
    count, preview, signed = letters

    for page in range(1, pages_for(count) + 1):
        before, after = render(preview, page, DPI), render(signed, page, DPI)
        changed = ImageChops.difference(before, after).point(
            lambda v: 255 if v > 64 else 0
        )
        box = changed.getbbox()
        if page > 1:
            assert box is None, page
            continue
        signature = template_rect("signature_name")
        date = template_rect("signed_date")
        left, upper, right, lower = box
        assert left >= signature[0] * DPI / 72 - 1
        assert right <= date[2] * DPI / 72 + 1
        assert upper >= (792 - signature[3]) * DPI / 72 - 1
        assert lower <= (792 - signature[1]) * DPI / 72 + 1


def test_the_signed_letter_has_no_form_and_one_audit_page(letters):
    count, _, signed = letters

    reader = PdfReader(io.BytesIO(signed))
    assert len(reader.pages) == pages_for(count) + 1
    assert "/AcroForm" not in reader.root_object
    assert all("/Annots" not in page for page in reader.pages)
    pages = "page 1" if pages_for(count) == 1 else f"pages 1 to {pages_for(count)}"
    assert f"{pages.capitalize()}: the first" in words(pdf_text(signed))
