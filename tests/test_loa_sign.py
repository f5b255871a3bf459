import hashlib
import io
import math
import re
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from pypdf import PdfReader

from assistant import loa
from tests.test_loa_support import REQUEST
from tests.test_loa_support import SHOWN
from tests.test_loa_support import SIGNER
from tests.test_loa_support import field_drawing_difference
from tests.test_loa_support import national
from tests.test_loa_support import numbers
from tests.test_loa_support import pdf_text
from tests.test_loa_support import qpdf_check
from tests.test_loa_support import reference_rendering
from tests.test_loa_support import render
from tests.test_loa_support import template_rect
from tests.test_loa_support import word_boxes
from tests.test_loa_support import words

SIGNED_DATE = "2026-05-09"


@pytest.fixture(scope="module")
def signed() -> bytes:
    return loa.sign_loa(REQUEST, numbers(5), **SIGNER)


def signed_length(pdf: bytes) -> int:
    text = words(pdf_text(pdf, len(PdfReader(io.BytesIO(pdf)).pages)))
    return int(text.split("the first ")[1].split(" bytes")[0])


def test_signed_loa_has_no_form_or_widget_left(signed):
    reader = PdfReader(io.BytesIO(signed))

    assert "/AcroForm" not in reader.root_object
    for page in reader.pages:
        assert "/Annots" not in page
    assert b"/Widget" not in signed
    assert b"/AcroForm" not in signed


@pytest.mark.parametrize(
    "shown",
    [*SHOWN.values(), *national(5), "Şule Ăngheluță", SIGNED_DATE, "Page 2 of 2"],
)
def test_signed_text_extraction_finds_every_value_exactly(signed, shown):
    text = pdf_text(signed)

    assert re.search(rf"(?<!\S){re.escape(shown)}(?!\S)", text)


def test_names_render_exactly_as_the_complete_fonts_draw_them(signed):
    dpi = 100
    page = render(signed, 1, dpi)
    placed = [
        (SHOWN["business_name"], template_rect("business_name"), 10),
        (SHOWN["name_on_bill"], template_rect("name_on_bill"), 10),
        (SHOWN["authorized_name"], template_rect("authorized_name"), 10),
        ("Şule Ăngheluță", template_rect("signature_name"), 14),
    ]
    reference = reference_rendering(placed, dpi)

    for text, rect, _ in placed:
        assert field_drawing_difference(page, reference, rect, dpi) < 0.001, text


def test_a_name_missing_an_accent_would_not_pass_the_rendering_check(signed):
    dpi = 100
    rect = template_rect("name_on_bill")
    reference = reference_rendering([("Zoë Wójcik-Tran", rect, 10)], dpi)

    assert field_drawing_difference(render(signed, 1, dpi), reference, rect, dpi) > 0.01


@pytest.mark.parametrize(
    ("field", "expected"),
    [("signature_name", ["Şule", "Ăngheluță"]), ("signed_date", [SIGNED_DATE])],
)
def test_signature_and_date_sit_inside_their_fields(signed, field, expected):
    x1, y1, x2, y2 = template_rect(field)
    top, bottom = 792 - y2, 792 - y1

    inside = [
        word
        for word, left, upper, right, lower in word_boxes(signed, 1)
        if left >= x1 and right <= x2 and upper >= top and lower <= bottom
    ]
    assert inside == expected


def test_audit_page_records_signer_time_address_device_and_digest(signed):
    pages = len(PdfReader(io.BytesIO(signed)).pages)
    text = words(pdf_text(signed, pages))

    assert pages == 3
    assert "Signature record" in text
    assert "Signed by Şule Ăngheluță" in text
    assert "Authorized person Şule Ăngheluță, Owner" in text
    assert "Account name 札幌 Noodle House LLC" in text
    assert "Signed at (UTC) 2026-05-09 14:03:07 UTC" in text
    assert "IP address 203.0.113.7" in text
    assert f"User agent {SIGNER['user_agent']}" in text
    assert "Pages 1 to 2: the first" in text
    assert f"SHA-256 of the signed pages {loa.signed_pages_digest(signed)}" in text


def test_digest_is_the_sha256_of_the_signed_revision_which_stands_alone(signed):
    length = signed_length(signed)
    revision = signed[:length]

    assert loa.signed_pages_digest(signed) == hashlib.sha256(revision).hexdigest()
    alone = PdfReader(io.BytesIO(revision))
    assert len(alone.pages) == 2
    assert "Signature record" not in pdf_text(revision)


def test_changing_a_signed_page_changes_the_digest(signed):
    length = signed_length(signed)
    at = signed.index(b"/MediaBox [ 0.0 0.0 612 792 ]")
    tampered = signed[:at] + b"/MediaBox [ 0.0 0.0 611 792 ]" + signed[at + 29 :]

    assert at < length
    assert loa.signed_pages_digest(tampered) != loa.signed_pages_digest(signed)


def test_signing_time_is_recorded_in_utc():
    pacific = timezone(timedelta(hours=-7))
    signer = {**SIGNER, "signed_at": datetime(2026, 5, 9, 23, 30, tzinfo=pacific)}
    pdf = loa.sign_loa(REQUEST, numbers(1), **signer)

    text = words(pdf_text(pdf))
    assert "Signed at (UTC) 2026-05-10 06:30:00 UTC" in text
    assert "2026-05-10" in words(pdf_text(pdf, 1))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"signed_at": datetime(2026, 5, 9, 14, 3)}, "timezone-aware"),
        ({"signature_name": " \u200b "}, "signature_name is empty"),
    ],
)
def test_signing_refuses_a_naive_time_or_an_empty_signature(changes, message):
    with pytest.raises(ValueError, match=message):
        loa.sign_loa(REQUEST, numbers(1), **{**SIGNER, **changes})


def test_a_long_user_agent_is_wrapped_whole_up_to_its_limit():
    agent = "Agent/" + "x" * 40 + " " + "y" * 30
    pdf = loa.sign_loa(REQUEST, numbers(1), **{**SIGNER, "user_agent": agent})
    flooded = loa.sign_loa(REQUEST, [], **{**SIGNER, "user_agent": "z " * 900})

    assert f"User agent {agent}" in words(pdf_text(pdf))
    assert "(first 1000 characters)" in words(pdf_text(flooded))


@pytest.mark.parametrize("count", [1, 4, 40])
def test_signed_numbers_are_page_text_on_every_page(count):
    pdf = loa.sign_loa(REQUEST, numbers(count), **SIGNER)

    pages = 1 + math.ceil(max(0, count - 4) / loa.NUMBERS_PER_CONTINUATION_PAGE)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == pages + 1
    text = pdf_text(pdf)
    assert all(shown in text for shown in national(count))
    assert f"Page {pages} of {pages}" in text


def test_five_hundred_numbers_sign_into_seven_pages_and_an_audit_page(tmp_path):
    pdf = loa.sign_loa(REQUEST, numbers(500), **SIGNER)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 8
    assert "/AcroForm" not in reader.root_object
    text = pdf_text(pdf)
    assert all(shown in text for shown in national(500))
    assert "Page 7 of 7" in text
    assert "Pages 1 to 7" in text
    qpdf_check(pdf, tmp_path)


def test_signed_loa_passes_qpdf_check_and_renders_without_complaint(signed, tmp_path):
    report = qpdf_check(signed, tmp_path)

    assert "No syntax or stream encoding errors found" in report
    assert "WARNING" not in report
    for page in (1, 2, 3):
        render(signed, page, dpi=30)


def test_signed_pages_digest_needs_an_audit_revision():
    with pytest.raises(ValueError, match="no signed revision"):
        loa.signed_pages_digest(loa.fill_loa(REQUEST, []))


def words_inside(pdf: bytes, field: str) -> list[str]:
    x1, y1, x2, y2 = template_rect(field)
    top, bottom = 792 - y2, 792 - y1
    return [
        word
        for word, left, upper, right, lower in word_boxes(pdf, 1)
        if left >= x1 and right <= x2 and upper >= top and lower <= bottom
    ]


def test_a_toll_free_letter_names_the_new_resporg_in_its_own_field():
    toll_free = {**REQUEST, "number_type": "toll_free"}
    pdf = loa.sign_loa(toll_free, ["+18005550199"], resporg="RLY01", **SIGNER)

    assert words_inside(pdf, "resporg_note") == ["New", "RespOrg:", "RLY01"]
    assert "New RespOrg: RLY01" in words(pdf_text(pdf, 1))


@pytest.mark.parametrize("number_type", ["mobile", "landline", "voip"])
def test_a_letter_for_other_numbers_names_no_resporg(number_type):
    other = {**REQUEST, "number_type": number_type}
    pdf = loa.sign_loa(other, numbers(1), resporg="RLY01", **SIGNER)

    assert words_inside(pdf, "resporg_note") == []
    assert "RespOrg" not in pdf_text(pdf, 1)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"pin": "", "no_pin": True}, ["None", "(provider", "uses", "no", "PIN)"]),
        ({"pin": "4821", "no_pin": False}, ["4821"]),
        ({"pin": "", "no_pin": False}, []),
    ],
    ids=["provider-has-none", "pin-given", "pin-missing"],
)
def test_the_pin_box_says_none_when_the_provider_uses_no_pin(changes, expected):
    pdf = loa.sign_loa({**REQUEST, **changes}, numbers(1), **SIGNER)

    assert words_inside(pdf, "pin") == expected
