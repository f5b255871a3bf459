import subprocess

from pypdf import PdfReader

from tests.intake_data import LOA_DETAILS
from tests.intake_data import NUMBER_E164
from tests.intake_data import PROVIDER
from tests.intake_data import run_to_review


def pdf_fields(data: bytes) -> dict:
    import io

    reader = PdfReader(io.BytesIO(data))
    return {
        name: field.get("/V") for name, field in (reader.get_fields() or {}).items()
    }


def pdf_text(tmp_path, data: bytes) -> str:
    path = tmp_path / "loa.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_full_mobile_intake_fills_every_typed_value_into_the_loa(
    chat, client, tmp_path
):
    run_to_review(chat)

    preview = client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=chat.headers)
    assert preview.status_code == 200
    assert preview.mimetype == "application/pdf"
    fields = pdf_fields(preview.data)
    for name, value in {**LOA_DETAILS, **PROVIDER}.items():
        if name == "account_type":
            continue
        assert fields[name] == value, name
    assert fields["number_1"] == "(415) 867-5309"

    chat.choose("submit")
    assert chat.state == "sign"
    reply = chat.form(signature_name="Jane Doe", signature_consent=True)
    assert chat.state == "submitted"
    reference = reply["reference"]
    assert reference.startswith("PR-")

    again = chat.form(signature_name="Jane Doe", signature_consent=True)
    assert again["reference"] == reference

    signed = client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=chat.headers)
    text = pdf_text(tmp_path, signed.data)
    for value in (
        "ACME PLUMBING, LLC",
        "Acme Plumbing",
        "Jane Doe",
        "123 Main St",
        "San Francisco",
        "94103",
        "88123345009",
        "4821",
        "(415) 867-5309",
    ):
        assert value in text, value
    assert not PdfReader(__import__("io").BytesIO(signed.data)).get_fields()


def test_the_conversation_resumes_after_a_restart_of_the_app(tmp_path):
    from tests.conftest import Chat
    from tests.conftest import build_app
    from tests.conftest import make_config

    config = make_config(tmp_path)
    first = build_app(config)
    chat = Chat(first.test_client())
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("landline")
    state_before = chat.state

    second = build_app(config)
    response = second.test_client().get(
        f"/api/conversations/{chat.id}", headers=chat.headers
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["state"] == state_before == "active"
    assert body["input"]["choices"] == [
        {"id": "yes", "label": "Yes"},
        {"id": "no", "label": "No"},
    ]
    assert [m["text"] for m in body["transcript"] if m["role"] == "user"] == [
        "Port my numbers",
        "415 867 5309",
        "Landline",
    ]
    chat.client = second.test_client()
    chat.choose("yes")
    assert chat.state == "messaging_use"


def test_the_number_is_stored_in_e164(chat, app):
    from assistant.extensions import db
    from assistant.models import Conversation

    chat.choose("port")
    chat.text("415.867.5309")
    with app.app_context():
        conversation = db.session.get(Conversation, chat.id)
        assert conversation.slots["fields"]["numbers"] == [NUMBER_E164]


def test_a_saved_state_the_flow_no_longer_has_is_recovered_politely(chat, app, client):
    from assistant.extensions import db
    from assistant.models import Conversation
    from tests.intake_data import run_to_review

    run_to_review(chat)
    with app.app_context():
        conversation = db.session.get(Conversation, chat.id)
        conversation.state = "checklist"
        db.session.commit()

    body = client.get(f"/api/conversations/{chat.id}", headers=chat.headers).get_json()
    assert body["state"] == "review"
    reply = chat.choose("submit")
    assert reply["state"] == "review"
    assert "nearest step" in reply["messages"][0]["text"]
    assert "(415) 867-5309" in chat.said()
    chat.choose("submit")
    assert chat.state == "sign"
