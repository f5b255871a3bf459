import pytest

from assistant import documents
from tests import docgen

GOOGLE_VOICE_INTAKE = {**docgen.INTAKE, "numbers": ["+14155550123"]}


def read_and_check(kind: str, data: bytes, filename: str, intake: dict) -> dict:
    accepted = documents.accept_upload(data, filename)
    findings = documents.check_document(kind, accepted.text, intake)
    return {finding.code: finding for finding in findings}


@pytest.mark.parametrize(
    ("kind", "make", "filename", "intake"),
    [
        ("bill", lambda: docgen.text_pdf_bill(), "bill.pdf", docgen.INTAKE),
        (
            "bill",
            lambda: docgen.text_pdf_bill(glyph_by_glyph=True, split_labels=True),
            "bill.pdf",
            docgen.INTAKE,
        ),
        ("bill", lambda: docgen.scanned_pdf_bill(), "scan.pdf", docgen.INTAKE),
        (
            "portal_screenshot",
            lambda: docgen.portal_screenshot_png(),
            "portal.png",
            docgen.INTAKE,
        ),
        (
            "google_voice_screenshot",
            lambda: docgen.google_voice_screenshot_png(),
            "voice.png",
            GOOGLE_VOICE_INTAKE,
        ),
        ("bill", lambda: docgen.photo_jpeg_bill(), "IMG_2040.jpg", docgen.INTAKE),
    ],
    ids=[
        "text-pdf",
        "glyph-pdf-split-labels",
        "scanned-pdf",
        "portal",
        "voice",
        "jpeg-photo",
    ],
)
def test_a_matching_document_passes_every_check_quietly(kind, make, filename, intake):
    found = read_and_check(kind, make(), filename, intake)

    assert found
    assert {code: f.ok for code, f in found.items()} == dict.fromkeys(found, True)


@pytest.mark.parametrize(
    ("kind", "make", "filename", "intake", "failing", "words"),
    [
        (
            "bill",
            lambda: docgen.text_pdf_bill(docgen.MISMATCHED_BILL),
            "bill.pdf",
            docgen.INTAKE,
            {"numbers", "name"},
            ["ending in 0187", "“Acme Plumbing LLC”"],
        ),
        (
            "bill",
            lambda: docgen.text_pdf_bill(docgen.MISMATCHED_BILL, glyph_by_glyph=True),
            "bill.pdf",
            docgen.INTAKE,
            {"numbers", "name"},
            ["ending in 0187", "“Acme Plumbing LLC”"],
        ),
        (
            "bill",
            lambda: docgen.scanned_pdf_bill(docgen.MOVED_BILL),
            "scan.pdf",
            docgen.INTAKE,
            {"address"},
            ["service address, 123 Main Street"],
        ),
        (
            "portal_screenshot",
            lambda: docgen.portal_screenshot_png(("(415) 555-0123",)),
            "portal.png",
            docgen.INTAKE,
            {"numbers"},
            ["ending in 0187"],
        ),
        (
            "google_voice_screenshot",
            lambda: docgen.google_voice_screenshot_png(email=None),
            "voice.png",
            GOOGLE_VOICE_INTAKE,
            {"email"},
            ["e-mail address you sign in with"],
        ),
        (
            "google_voice_screenshot",
            lambda: docgen.google_voice_screenshot_png("(415) 555-0177"),
            "voice.png",
            GOOGLE_VOICE_INTAKE,
            {"numbers"},
            ["ending in 0123 on this screenshot"],
        ),
        (
            "bill",
            lambda: docgen.photo_jpeg_bill(docgen.MISMATCHED_BILL),
            "IMG_2041.jpg",
            docgen.INTAKE,
            {"numbers", "name"},
            ["ending in 0187", "“Acme Plumbing LLC”"],
        ),
    ],
    ids=[
        "text-pdf",
        "glyph-pdf",
        "scanned-pdf",
        "portal",
        "voice-no-email",
        "voice-other-number",
        "jpeg-photo",
    ],
)
def test_a_mismatching_document_names_each_mismatch(
    kind, make, filename, intake, failing, words
):
    found = read_and_check(kind, make(), filename, intake)

    assert {code for code, f in found.items() if not f.ok} == failing
    messages = " ".join(found[code].message for code in failing)
    for expected in words:
        assert expected in messages


def test_a_blank_photo_is_accepted_but_reported_as_unreadable():
    found = read_and_check(
        "bill", docgen.plain_png(400, 300), "photo.png", docgen.INTAKE
    )

    assert list(found) == ["unreadable"]
    assert not found["unreadable"].ok


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A c m e  P l u m b i n g", "AcmePlumbing"),
        ("Total:   $ 3 4", "Total: $34"),
        ("a b", "a b"),
        ("  \n\n Line   one \t two \n", "Line one two"),
        ("\uff21\uff43\uff4d\uff45 Inc", "Acme Inc"),
    ],
)
def test_extracted_text_is_normalised_and_single_glyph_runs_joined(raw, expected):
    from assistant.doc_reader import normalise_text

    assert normalise_text(raw) == expected
