import io

import pytest

from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"].endswith((".", "!"))
    return body["error"]


def test_create_returns_the_documented_shape(client):
    response = client.post("/api/conversations", json={})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "token", "state", "messages", "input", "progress"}
    assert len(body["token"]) >= 22
    assert body["state"] == "welcome"
    assert [c["id"] for c in body["input"]["choices"]] == ["port", "faq", "status"]
    assert body["progress"] == {"step": 1, "of": 11, "label": "Welcome"}
    assert body["messages"][0]["role"] == "assistant"
    assert body["messages"][0]["topic"] is None


def test_create_accepts_an_empty_body(client):
    assert client.post("/api/conversations").status_code == 201


def test_create_refuses_a_body_that_is_not_an_object(client):
    response = client.post(
        "/api/conversations", data="[1, 2]", content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_unknown_conversation_is_404_with_or_without_a_token(client):
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = client.get("/api/conversations/0123456789abcdef", headers=headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ],
)
def test_known_conversation_without_the_right_token_is_401(chat, client, headers):
    for response in (
        client.get(f"/api/conversations/{chat.id}", headers=headers),
        client.post(
            f"/api/conversations/{chat.id}/messages",
            json={"text": "hi"},
            headers=headers,
        ),
        client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=headers),
    ):
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthorized"


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{not json", "application/json"),
        ('"just a string"', "application/json"),
        ("[]", "application/json"),
        ('{"text": 5}', "application/json"),
        ('{"choice": ["port"]}', "application/json"),
        ('{"form": "carrier"}', "application/json"),
        ('{"text": "a", "choice": "port"}', "application/json"),
        ("{}", "application/json"),
        ('{"colour": "blue"}', "application/json"),
        ('{"text": "   "}', "application/json"),
        ('{"form": {"carrier": {"nested": 1}}}', "application/json"),
        ("text=hello", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_messages_get_400_and_the_conversation_still_works(
    chat, client, body, content_type
):
    response = client.post(
        f"/api/conversations/{chat.id}/messages",
        data=body,
        content_type=content_type,
        headers=chat.headers,
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"
    chat.choose("port")
    assert chat.state == "numbers"


def test_an_unknown_choice_id_is_400(chat):
    error = chat.choose("teleport", status=400)["error"]
    assert error["code"] == "bad_request"
    assert "options shown" in error["message"]
    assert chat.choose("port")["state"] == "numbers"


def test_oversized_text_is_413_in_json(chat):
    error = chat.text("x" * 25_000, status=413)["error"]
    assert error["code"] == "too_large"
    assert chat.choose("port")["state"] == "numbers"


def test_an_upload_over_the_size_limit_is_413_in_json_not_an_html_page(tmp_path):
    app = build_app(make_config(tmp_path, MAX_FILE_BYTES=50_000))
    client = app.test_client()
    chat = Chat(client)
    chat.choose("port")
    response = client.post(
        f"/api/conversations/{chat.id}/documents",
        data={"kind": "number_list", "file": (io.BytesIO(b"1" * 200_000), "n.csv")},
        headers=chat.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert response.mimetype == "application/json"
    assert error_of(response)["code"] == "too_large"
    assert chat.text("415 867 5309")["state"] == "number_type"


def test_a_form_at_a_choice_step_is_409(chat):
    error = chat.form(carrier="X", status=409)["error"]
    assert error["code"] == "conflict"


def test_an_upload_at_a_step_without_one_is_409(chat, client):
    response = client.post(
        f"/api/conversations/{chat.id}/documents",
        data={"kind": "bill", "file": (io.BytesIO(b"%PDF-1.4"), "b.pdf")},
        headers=chat.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


@pytest.mark.parametrize(
    "data, message_part",
    [
        ({"file": (io.BytesIO(b"x"), "b.pdf")}, "what the document is"),
        (
            {"kind": "passport", "file": (io.BytesIO(b"x"), "b.pdf")},
            "what the document is",
        ),
        ({"kind": "number_list"}, "attach the file"),
    ],
)
def test_bad_uploads_are_400(chat, client, data, message_part):
    chat.choose("port")
    response = client.post(
        f"/api/conversations/{chat.id}/documents",
        data=data,
        headers=chat.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert message_part in error_of(response)["message"]


def test_an_unsupported_file_is_415(chat):
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")
    from tests.intake_data import LOA_DETAILS
    from tests.intake_data import PROVIDER

    chat.form(**PROVIDER)
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    assert chat.state == "documents"
    error = chat.upload(
        "bill", b"\x7fELF\x02\x01\x01" + b"\0" * 64, "bill.pdf", status=415
    )["error"]
    assert error["code"] == "unsupported_file"
    assert chat.state == "documents"


def test_the_loa_is_409_before_the_details_are_complete(chat, client):
    response = client.get(f"/api/conversations/{chat.id}/loa.pdf", headers=chat.headers)
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_a_wrong_method_is_405_in_json(client, chat, method):
    response = getattr(client, method)(f"/api/conversations/{chat.id}/messages")
    assert response.status_code == 405
    assert error_of(response)["code"] == "bad_request"


def test_an_unknown_api_route_is_404_in_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_a_message_racing_another_gets_409_stale(app, chat, monkeypatch):
    from assistant import chat as chat_module

    original = chat_module.run_turn

    def run_then_race(conversation, event, info):
        reply = original(conversation, event, info)
        from sqlalchemy import update

        from assistant.extensions import db
        from assistant.models import Conversation

        with db.engine.begin() as connection:
            connection.execute(
                update(Conversation)
                .where(Conversation.id == conversation.id)
                .values(version=Conversation.version + 1)
            )
        return reply

    monkeypatch.setattr(chat_module, "run_turn", run_then_race)
    error = chat.choose("port", status=409)["error"]
    assert error["code"] == "stale"
    monkeypatch.setattr(chat_module, "run_turn", original)
    assert chat.choose("port")["state"] == "numbers"
