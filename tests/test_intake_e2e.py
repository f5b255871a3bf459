import json
import subprocess
import sys
from datetime import UTC
from datetime import datetime

import pytest
from pypdf import PdfReader

from assistant.extensions import db
from assistant.schedule import add_business_days
from assistant.schedule import earliest_port_date
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
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
    # A business day after the earliest one, so the wished date is accepted.
    wished = add_business_days(earliest_port_date(datetime.now(UTC)), 1).isoformat()
    run_to_review(chat, requested_date=wished)

    preview = client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=chat.headers)
    assert preview.status_code == 200
    assert preview.mimetype == "application/pdf"
    fields = pdf_fields(preview.data)
    for name, value in {**LOA_DETAILS, **PROVIDER}.items():
        if name == "account_type":
            continue
        assert fields[name] == value, name
    assert fields["account_type"] == "/business"
    assert fields["requested_date"] == wished
    assert fields["number_type"] == "Mobile"
    assert fields["partial_port"] == "/Off"
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


# Run in a fresh interpreter: nothing of the first app survives in memory.
RESUME_SCRIPT = """
import json, sys
from assistant import create_app

config, conversation_id, token, details = json.loads(sys.stdin.read())
client = create_app(config).test_client()
headers = {"Authorization": f"Bearer {token}"}
path = f"/api/conversations/{conversation_id}"
resumed = client.get(path, headers=headers).get_json()
client.post(path + "/messages", json={"choice": "no"}, headers=headers)
reply = client.post(
    path + "/messages", json={"form": details}, headers=headers
).get_json()
loa = client.get(path + "/loa.pdf", headers=headers)
sys.stdout.write(json.dumps({
    "resumed": resumed, "state": reply["state"], "loa": loa.data.hex(),
}))
"""


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_restarting_the_app_mid_conversation_loses_nothing(request, tmp_path, database):
    overrides = {}
    if database == "postgresql":
        overrides["SQLALCHEMY_DATABASE_URI"] = request.getfixturevalue(
            "postgres_schema"
        )
    config = make_config(tmp_path, **overrides)
    first = build_app(config)
    chat = Chat(first.test_client())
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**PROVIDER)
    assert chat.state == "full_port"
    before = chat.client.get(
        f"/api/conversations/{chat.id}", headers=chat.headers
    ).get_json()
    with first.app_context():
        db.engine.dispose()

    restarted = subprocess.run(
        [sys.executable, "-c", RESUME_SCRIPT],
        input=json.dumps([config, chat.id, chat.token, LOA_DETAILS]),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    after = json.loads(restarted.stdout)

    assert after["resumed"] == before
    assert after["resumed"]["state"] == "full_port"
    assert [m["text"] for m in after["resumed"]["transcript"] if m["role"] == "user"][
        :3
    ] == ["Port my numbers", "415 867 5309", "Landline"]
    assert after["state"] == "documents"
    fields = pdf_fields(bytes.fromhex(after["loa"]))
    assert fields["number_1"] == "(415) 867-5309"
    assert fields["account_number"] == PROVIDER["account_number"]
    assert fields["pin"] == PROVIDER["pin"]
    assert fields["carrier"] == PROVIDER["carrier"]
    assert fields["service_street"] == LOA_DETAILS["service_street"]


def test_the_number_is_stored_in_e164(chat, app):
    from assistant.extensions import db
    from assistant.models import Conversation

    chat.choose("port")
    chat.text("415.867.5309")
    with app.app_context():
        conversation = db.session.get(Conversation, chat.id)
        assert conversation.slots["fields"]["numbers"] == [NUMBER_E164]


def test_a_saved_state_the_flow_no_longer_has_is_recovered_politely(
    chat, app, client, caplog
):
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
    with caplog.at_level("WARNING", logger="assistant.chat"):
        reply = chat.choose("submit")
    assert reply["state"] == "review"
    assert reply["messages"][0]["text"] == (
        "We've updated this assistant since your last visit, so we picked up at the "
        "nearest step. Everything you entered is still here."
    )
    assert [r.getMessage() for r in caplog.records] == [
        f"conversation {chat.id}: saved state 'checklist' no longer exists, "
        "resumed at 'review'"
    ]
    assert "(415) 867-5309" in chat.said()
    chat.choose("submit")
    assert chat.state == "sign"
