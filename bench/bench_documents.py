"""Time reading a one-page text bill and OCR of a one-page scanned bill.

Each figure is printed beside a baseline measured in the same run on the same
file: opening and extracting the PDF with pypdf in this process, and decoding
the page image with Pillow. Target: each read well under two seconds.
Run with ``.venv/bin/python bench/bench_documents.py``.
"""

import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from assistant import documents  # noqa: E402
from tests import docgen  # noqa: E402

RUNS = 5


def median_seconds(action) -> float:
    """Median wall time of several runs of ``action``."""
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pypdf_read(data: bytes) -> None:
    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text()


def pillow_decode(image_png: bytes) -> None:
    Image.open(io.BytesIO(image_png)).load()


def main() -> None:
    text_bill = docgen.text_pdf_bill()
    page = docgen.bill_image(width=1700, size=30, height=2200)
    page_png = io.BytesIO()
    page.save(page_png, "PNG")
    scanned_bill = docgen.scanned_pdf_bill(width=1700, size=30, height=2200)

    rows = [
        (
            "text bill, 1 page",
            median_seconds(lambda: documents.accept_upload(text_bill, "bill.pdf")),
            "pypdf open + extract",
            median_seconds(lambda: pypdf_read(text_bill)),
        ),
        (
            "scanned bill OCR, 1 page 1700x2200",
            median_seconds(lambda: documents.accept_upload(scanned_bill, "scan.pdf")),
            "Pillow decode of the page",
            median_seconds(lambda: pillow_decode(page_png.getvalue())),
        ),
    ]
    for name, data in (("text bill", text_bill), ("scanned bill", scanned_bill)):
        accepted = documents.accept_upload(data, "bill.pdf")
        findings = documents.check_document("bill", accepted.text, docgen.INTAKE)
        verdict = all(finding.ok for finding in findings)
        print(f"{name} read correctly: {'yes' if verdict else 'NO'}")
    print(f"median of {RUNS} runs; target: each read well under 2 s")
    for name, seconds, baseline, baseline_seconds in rows:
        verdict = "ok" if seconds < 2 else "SLOW"
        print(
            f"{name:38} {seconds:6.3f} s  {verdict:4}  "
            f"baseline {baseline}: {baseline_seconds:6.3f} s"
        )


if __name__ == "__main__":
    main()
