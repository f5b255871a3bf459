"""The LOA read by a second, independent renderer: MuPDF, beside poppler."""

import io
import subprocess

import pytest
from pypdf import PdfReader

from assistant import loa
from tests.test_loa_support import REQUEST
from tests.test_loa_support import SHOWN
from tests.test_loa_support import SIGNER
from tests.test_loa_support import national
from tests.test_loa_support import numbers


def mupdf_text(tmp_path, pdf: bytes) -> str:
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    target = tmp_path / "letter.txt"
    subprocess.run(
        ["mutool", "draw", "-q", "-F", "txt", "-o", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    return " ".join(target.read_text().split())


def mupdf_png(tmp_path, pdf: bytes) -> bytes:
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    target = tmp_path / "page.png"
    subprocess.run(
        ["mutool", "draw", "-q", "-r", "50", "-o", str(target), str(source), "1"],
        check=True,
        capture_output=True,
    )
    return target.read_bytes()


@pytest.mark.parametrize("signed", [False, True], ids=["preview", "signed"])
def test_mupdf_shows_every_value_of_the_loa(tmp_path, signed):
    if signed:
        pdf = loa.sign_loa(REQUEST, numbers(6), **SIGNER)
    else:
        pdf = loa.fill_loa(REQUEST, numbers(6))

    text = mupdf_text(tmp_path, pdf)

    for name, value in SHOWN.items():
        assert value in text, name
    for number in national(6):
        assert number in text
    assert "Page 2 of 2" in text


def test_every_preview_widget_has_an_appearance_and_mupdf_renders_the_page(tmp_path):
    pdf = loa.fill_loa(REQUEST, numbers(1))
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            assert "/N" in widget["/AP"]
    assert mupdf_png(tmp_path, pdf).startswith(b"\x89PNG")
