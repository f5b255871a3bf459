import hashlib
import io
import json
import socket

import pytest
from PIL import Image

from assistant import documents
from assistant.documents import DocumentRejected
from assistant.documents import Limits
from tests import docgen


def rejection(data: bytes, filename: str = "bill.pdf", **kwargs) -> DocumentRejected:
    with pytest.raises(DocumentRejected) as caught:
        documents.accept_upload(data, filename, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (docgen.text_pdf_bill(), "application/pdf"),
        (b"\r\n\r\n%PDF-1.4 junk before the header", "application/pdf"),
        (docgen.portal_screenshot_png(), "image/png"),
        (docgen.jpeg_with_gps(), "image/jpeg"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (docgen.ELF_BYTES, None),
        (docgen.ZIP_BYTES, None),
        (docgen.HTML_BYTES, None),
        (b"", None),
    ],
)
def test_sniff_names_the_type_from_the_content(data, expected):
    assert documents.sniff(data) == expected


@pytest.mark.parametrize(
    ("data", "filename", "status", "code", "reason", "words"),
    [
        (b"", "bill.pdf", 400, "bad_request", "empty", "empty"),
        (
            docgen.ELF_BYTES,
            "bill.pdf",
            415,
            "unsupported_file",
            "unsupported_file",
            "PDF, PNG or JPEG",
        ),
        (
            docgen.ZIP_BYTES,
            "bill.pdf",
            415,
            "unsupported_file",
            "unsupported_file",
            "PDF, PNG or JPEG",
        ),
        (
            docgen.HTML_BYTES,
            "screenshot.png",
            415,
            "unsupported_file",
            "unsupported_file",
            "PDF, PNG or JPEG",
        ),
        (
            b"\x00\x00\x00\x18ftypheic" + bytes(64),
            "IMG_0001.HEIC",
            415,
            "unsupported_file",
            "unsupported_image",
            "JPEG",
        ),
        (
            docgen.truncated_pdf(),
            "bill.pdf",
            400,
            "bad_request",
            "damaged",
            "download it again",
        ),
        (
            docgen.malformed_pdf(),
            "bill.pdf",
            400,
            "bad_request",
            "damaged",
            "download it again",
        ),
        (
            docgen.encrypted_pdf("s3cret"),
            "bill.pdf",
            415,
            "unsupported_file",
            "encrypted",
            "without a password",
        ),
        (
            docgen.pdf_with_pages(21),
            "bill.pdf",
            413,
            "too_large",
            "too_many_pages",
            "more than 20 pages",
        ),
        (docgen.bomb_png(), "bill.png", 413, "too_large", "too_many_pixels", "too big"),
        (
            docgen.bomb_png(7_000, 7_000),
            "bill.png",
            413,
            "too_large",
            "too_many_pixels",
            "too big",
        ),
        (
            docgen.image_bomb_pdf(),
            "bill.pdf",
            413,
            "too_large",
            "too_many_pixels",
            "too big",
        ),
        (
            docgen.image_bomb_pdf(indirect_size=True),
            "bill.pdf",
            413,
            "too_large",
            "too_many_pixels",
            "too big",
        ),
        (
            docgen.flate_bomb_pdf(),
            "bill.pdf",
            413,
            "too_large",
            "too_dense",
            "far more data than a bill needs",
        ),
    ],
)
def test_bad_files_are_refused_with_status_code_and_a_sentence_saying_what_to_do(
    data, filename, status, code, reason, words
):
    refused = rejection(data, filename)

    assert (refused.status, refused.code, refused.reason) == (status, code, reason)
    assert words in refused.message
    assert refused.message.endswith(".")
    assert str(refused) == refused.message


def test_a_file_over_the_per_file_limit_is_refused_before_it_is_read():
    refused = rejection(docgen.text_pdf_bill(), limits=Limits(max_file_bytes=1000))

    assert (refused.status, refused.code, refused.reason) == (
        413,
        "too_large",
        "file_too_large",
    )
    assert "larger than 1000 bytes." in refused.message


def test_the_default_per_file_limit_is_ten_megabytes_and_named_in_the_message():
    data = b"%PDF-1.4\n" + bytes(10 * 2**20)

    refused = rejection(data)

    assert refused.reason == "file_too_large"
    assert "larger than 10 MB" in refused.message


@pytest.mark.parametrize(
    ("limit", "words"),
    [(25 * 2**20, "25 MB"), (1536 * 2**10, "1.5 MB"), (64 * 2**10, "64 KB")],
)
def test_the_request_limit_is_named_in_plain_units(limit, words):
    refused = rejection(
        b"%PDF-1.4", limits=Limits(max_request_bytes=limit), already_stored_bytes=limit
    )

    assert f"larger than {words}." in refused.message


def test_files_of_one_request_together_may_not_pass_the_request_limit():
    bill = docgen.text_pdf_bill()
    limits = Limits(max_request_bytes=len(bill) * 2)

    documents.accept_upload(bill, "bill.pdf", limits=limits)
    refused = rejection(bill, limits=limits, already_stored_bytes=len(bill) + 1)

    assert (refused.status, refused.reason) == (413, "request_too_large")


def test_a_pdf_whose_parsing_never_ends_is_stopped_at_the_time_limit():
    refused = rejection(docgen.slow_pdf(), limits=Limits(parse_seconds=1))

    assert (refused.status, refused.code, refused.reason) == (
        413,
        "too_large",
        "too_complex",
    )
    assert "took too long" in refused.message


def test_an_image_that_needs_more_memory_than_allowed_is_refused():
    refused = rejection(
        docgen.plain_png(6_000, 6_000),
        "photo.png",
        limits=Limits(parse_memory_bytes=200 * 2**20),
    )

    assert (refused.status, refused.reason) == (413, "too_complex")


def test_a_pdf_with_an_empty_user_password_is_read_like_any_other():
    data = docgen.encrypted_pdf("")

    accepted = documents.accept_upload(data, "statement.pdf")

    assert accepted.data == data
    assert accepted.pages == 1
    assert "ACME PLUMBING" in accepted.text


def test_an_accepted_pdf_is_stored_as_uploaded_with_its_size_and_hash():
    data = docgen.text_pdf_bill()

    accepted = documents.accept_upload(data, "../../etc/March bill.pdf")

    assert accepted.data == data
    assert accepted.media_type == "application/pdf"
    assert accepted.filename == "March bill.pdf"
    assert accepted.size == len(data)
    assert accepted.sha256 == hashlib.sha256(data).hexdigest()
    assert accepted.pages == 1


def test_location_and_camera_metadata_are_stripped_from_photos():
    data = docgen.jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)

    accepted = documents.accept_upload(data, "IMG_2041.jpeg")

    stored = Image.open(io.BytesIO(accepted.data))
    assert accepted.media_type == "image/jpeg"
    assert accepted.filename == "IMG_2041.jpeg"
    assert dict(stored.getexif()) == {}
    assert b"PhoneMaker" not in accepted.data
    assert b"taken at home" not in accepted.data
    assert "comment" not in stored.info
    assert accepted.sha256 == hashlib.sha256(accepted.data).hexdigest()
    assert accepted.size == len(accepted.data)


def test_a_photo_turned_by_its_orientation_tag_is_stored_upright():
    image = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)

    accepted = documents.accept_upload(out.getvalue(), "photo.jpg")

    assert Image.open(io.BytesIO(accepted.data)).size == (20, 40)


@pytest.mark.parametrize(
    ("filename", "media_type", "expected"),
    [
        ("bill.pdf", "application/pdf", "bill.pdf"),
        ("BILL.PDF", "application/pdf", "BILL.PDF"),
        ("C:\\Users\\jane\\Desktop\\bill.pdf", "application/pdf", "bill.pdf"),
        ("/etc/passwd", "application/pdf", "passwd.pdf"),
        ("bill.png", "application/pdf", "bill.pdf"),
        ("photo.JPG", "image/jpeg", "photo.JPG"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("scan", "image/png", "scan.png"),
        ("March 2025 v1.2 final", "image/png", "March 2025 v1.2 final.png"),
        ("invoice\u202efdp.exe", "application/pdf", "invoice fdp.pdf"),
        ("bad\x00name\r\n.pdf", "application/pdf", "bad name.pdf"),
        ('a"b<c>;d.pdf', "application/pdf", "a_b_c__d.pdf"),
        ("...hidden.pdf", "application/pdf", "hidden.pdf"),
        ("", "image/png", "document.png"),
        ("../..", "application/pdf", "document.pdf"),
        ("x" * 300 + ".pdf", "application/pdf", "x" * 100 + ".pdf"),
    ],
)
def test_file_names_are_made_safe_and_keep_the_real_type_as_extension(
    filename, media_type, expected
):
    assert documents.sanitise_filename(filename, media_type) == expected


def test_after_a_reader_is_stopped_for_its_time_the_next_upload_is_read():
    rejection(docgen.slow_pdf(), limits=Limits(parse_seconds=1))

    accepted = documents.accept_upload(docgen.text_pdf_bill(), "bill.pdf")

    assert "ACME PLUMBING" in accepted.text


def test_a_reader_server_that_died_is_started_again_for_the_next_upload():
    server = documents.ReaderServer()
    server.start_job()[0].close()
    server._process.kill()
    server._process.wait(timeout=10)

    job, pid = server.start_job()
    header = {
        "media_type": "application/pdf",
        "max_pdf_pages": 20,
        "max_image_pixels": 40_000_000,
        "memory_bytes": 512 * 2**20,
        "seconds": 15,
    }
    with job:
        job.sendall(json.dumps(header).encode() + b"\n" + docgen.text_pdf_bill())
        job.shutdown(socket.SHUT_WR)
        answer = json.loads(job.makefile("rb").read())
    server.close()

    assert pid > 0
    assert answer["ok"] is True
    assert "ACME PLUMBING" in answer["text"]
