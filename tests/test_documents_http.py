import hashlib
import io
from dataclasses import replace
from types import SimpleNamespace

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from assistant.extensions import db
from assistant.models import Conversation
from assistant.models import Document
from tests import docgen
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import BILL
from tests.intake_data import LOA_DETAILS
from tests.intake_data import NUMBER_TEXT
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf
from tests.test_wizard import Wizard
from tests.test_wizard import walk

# Every file the upload refuses: (what, bytes, filename, status, code, words of
# the sentence the customer reads).
BAD_FILES = [
    ("empty", b"", "bill.pdf", 400, "bad_request", "That file is empty."),
    (
        "renamed executable",
        docgen.ELF_BYTES,
        "bill.pdf",
        415,
        "unsupported_file",
        "We can take PDF, PNG or JPEG files only.",
    ),
    (
        "password-protected PDF",
        docgen.encrypted_pdf("s3cret"),
        "bill.pdf",
        415,
        "unsupported_file",
        "Please upload a copy without a password",
    ),
    (
        "truncated PDF",
        docgen.truncated_pdf(),
        "bill.pdf",
        400,
        "bad_request",
        "it may be damaged or only partly downloaded",
    ),
    (
        "malformed PDF",
        docgen.malformed_pdf(),
        "bill.pdf",
        400,
        "bad_request",
        "it may be damaged or only partly downloaded",
    ),
    (
        "too many pages",
        docgen.pdf_with_pages(21),
        "bill.pdf",
        413,
        "too_large",
        "This PDF has more than 20 pages.",
    ),
    (
        "oversized",
        b"%PDF-1.4\n" + bytes(10 * 2**20),
        "bill.pdf",
        413,
        "too_large",
        "This file is larger than 10 MB.",
    ),
    (
        "PNG decompression bomb",
        docgen.bomb_png(),
        "bill.png",
        413,
        "too_large",
        "This picture is too big for us to read.",
    ),
    (
        "PDF stream decompression bomb",
        docgen.flate_bomb_pdf(),
        "bill.pdf",
        413,
        "too_large",
        "This PDF holds far more data than a bill needs",
    ),
    (
        "PDF image decompression bomb",
        docgen.image_bomb_pdf(),
        "bill.pdf",
        413,
        "too_large",
        "This picture is too big for us to read.",
    ),
]
BAD_IDS = [case[0] for case in BAD_FILES]


def to_documents(chat: Chat) -> None:
    chat.choose("port")
    chat.text(NUMBER_TEXT)
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**PROVIDER)
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    assert chat.state == "documents", chat.last


def upload_error(chat: Chat, data: bytes, filename: str, status: int) -> dict:
    """Post a refused upload as a body encoded in memory: werkzeug's test client
    spools a large multipart body to a temporary file it never closes."""
    upload = FileStorage(io.BytesIO(data), filename, content_type="application/pdf")
    boundary, body = encode_multipart({"kind": "bill", "file": upload})
    response = chat.client.post(
        f"/api/conversations/{chat.id}/documents",
        data=body,
        headers=chat.headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == status, response.get_json()
    return response.get_json()["error"]


def stored_documents(app) -> list[SimpleNamespace]:
    """The stored documents, read whole while the session is open."""
    columns = ("id", "filename", "media_type", "size", "sha256", "findings", "data")
    with app.app_context():
        rows = db.session.scalars(db.select(Document)).all()
        return [
            SimpleNamespace(
                content=row.content, **{name: getattr(row, name) for name in columns}
            )
            for row in rows
        ]


def saved(app) -> Conversation:
    with app.app_context():
        return db.session.scalars(db.select(Conversation)).one()


@pytest.mark.parametrize(
    ("what", "data", "filename", "status", "code", "words"), BAD_FILES, ids=BAD_IDS
)
def test_a_bad_file_in_the_chat_gets_its_status_and_sentence_and_nothing_is_stored(
    app, chat, what, data, filename, status, code, words
):
    to_documents(chat)
    before = saved(app)

    error = upload_error(chat, data, filename, status)

    assert error["code"] == code
    assert words in error["message"]
    assert stored_documents(app) == []
    after = saved(app)
    assert (after.state, after.version) == (before.state, before.version)
    assert after.transcript == before.transcript
    chat.upload("bill", bill_pdf(), "march-bill.pdf")
    assert chat.state == "csr"
    assert len(stored_documents(app)) == 1


@pytest.mark.parametrize(
    ("what", "data", "filename", "status", "code", "words"),
    [case for case in BAD_FILES if case[0] != "oversized"],
    ids=[what for what in BAD_IDS if what != "oversized"],
)
def test_a_bad_file_in_the_wizard_gets_its_sentence_on_the_step_and_nothing_is_stored(
    app, client, what, data, filename, status, code, words
):
    wizard = Wizard(client)
    walk(wizard, "documents")

    wizard.upload("bill", data, filename)

    assert wizard.step == "documents"
    assert len(wizard.summary) == 1
    assert words in wizard.summary[0]
    assert stored_documents(app) == []
    wizard.upload("bill", bill_pdf(), "march-bill.pdf")
    assert wizard.step == "csr"


def test_a_bill_with_an_empty_user_password_is_read_and_stored_like_any_other(
    app, chat
):
    to_documents(chat)
    data = docgen.encrypted_pdf("")

    body = chat.upload("bill", data, "statement.pdf")

    findings = {f["code"]: f["ok"] for f in body["document"]["findings"]}
    assert findings["name"] is True
    [stored] = stored_documents(app)
    assert stored.content == data


def test_an_accepted_document_is_stored_with_its_size_hash_and_a_safe_name(app, chat):
    to_documents(chat)
    data = bill_pdf()

    body = chat.upload("bill", data, "../../Users\u202efdp.exe/March\x00 bill.pdf")

    [stored] = stored_documents(app)
    content = stored.content
    assert content == data
    assert stored.data != data, "documents are encrypted at rest"
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert stored.filename == "March bill.pdf"
    assert stored.media_type == "application/pdf"
    assert body["document"] == {
        "id": stored.id,
        "kind": "bill",
        "filename": "March bill.pdf",
        "size": len(data),
        "findings": stored.findings,
    }


def test_a_photo_is_stored_without_its_location(app, chat):
    to_documents(chat)
    photo = docgen.jpeg_with_gps()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)

    chat.upload("bill", photo, "IMG_2041.jpg")

    [stored] = stored_documents(app)
    content = stored.content
    kept = Image.open(io.BytesIO(content))
    assert kept.format == "JPEG"
    assert dict(kept.getexif()) == {}
    assert b"PhoneMaker" not in content and b"taken at home" not in content
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.size == len(content)


def test_a_matching_bill_passes_quietly_and_moves_the_chat_on(app, chat):
    to_documents(chat)

    body = chat.upload("bill", bill_pdf(), "march-bill.pdf")

    findings = body["document"]["findings"]
    assert [(f["code"], f["ok"]) for f in findings] == [
        ("numbers", True),
        ("name", True),
        ("address", True),
    ]
    notices = [m["text"] for m in body["messages"] if m["kind"] == "notice"]
    assert notices == ["Thanks, I've got march-bill.pdf and it looks right."]
    assert chat.state == "csr"


def test_a_mismatching_bill_names_each_mismatch_and_offers_both_ways_on(app, chat):
    to_documents(chat)
    moved = replace(
        BILL,
        name="Bayside Dental Group",
        numbers=("(415) 867-5300",),
        street="880 Harbor Blvd",
        city_line="Oakland, CA 94607",
    )

    body = chat.upload("bill", docgen.text_pdf_bill(moved), "bill.pdf")

    findings = {f["code"]: f for f in body["document"]["findings"]}
    assert {code: f["ok"] for code, f in findings.items()} == {
        "numbers": False,
        "name": False,
        "address": False,
    }
    said = [m["text"] for m in body["messages"]]
    assert "We couldn't find the number ending in 5309 on this bill." in said[0]
    assert "We couldn't find the name “ACME PLUMBING, LLC” on this bill." in said[1]
    assert (
        "We couldn't find your service address, 123 Main St, on this bill." in (said[2])
    )
    assert said[3] == (
        "You can upload another document, or continue as it is and our team will "
        "take a look."
    )
    assert chat.state == "documents"
    assert chat.last["input"]["kind"] == "upload"
    [stored] = stored_documents(app)
    assert [f["ok"] for f in stored.findings] == [False, False, False]


def test_the_total_of_a_conversations_files_is_held_to_the_request_limit(tmp_path):
    bill = bill_pdf()
    other = docgen.text_pdf_bill(replace(BILL, name="Bayside Dental Group"))
    limit = len(other) + len(bill) - 1
    app = build_app(make_config(tmp_path, MAX_REQUEST_DOCUMENT_BYTES=limit))
    chat = Chat(app.test_client())
    to_documents(chat)
    chat.upload("bill", other, "a.pdf")

    error = chat.upload("bill", bill, "b.pdf", status=413)["error"]

    assert error["code"] == "too_large"
    assert "Together your files are larger than" in error["message"]
    assert len(stored_documents(app)) == 1
