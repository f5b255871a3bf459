import io

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

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


@pytest.mark.parametrize(
    ("overrides", "sent_bytes", "limit_words"),
    [
        ({}, 10 * 2**20 + 100_000, "10 MB"),
        ({"MAX_FILE_BYTES": 50_000}, 200_000, "49 KB"),
        ({"MAX_FILE_BYTES": 5 * 2**20}, 5 * 2**20 + 100_000, "5 MB"),
    ],
    ids=["default", "50-kb", "5-mb"],
)
def test_an_upload_over_the_size_limit_is_413_in_json_naming_the_limit(
    tmp_path, overrides, sent_bytes, limit_words
):
    app = build_app(make_config(tmp_path, **overrides))
    client = app.test_client()
    chat = Chat(client)
    chat.choose("port")

    # Encoded in memory: the test client spools a large form to a file it never
    # closes once the app refuses the body unread.
    upload = FileStorage(io.BytesIO(b"1" * sent_bytes), "n.csv")
    boundary, body = encode_multipart({"kind": "number_list", "file": upload})
    response = client.post(
        f"/api/conversations/{chat.id}/documents",
        data=body,
        headers=chat.headers,
        content_type=f'multipart/form-data; boundary="{boundary}"',
    )

    assert response.status_code == 413
    assert response.mimetype == "application/json"
    error = error_of(response)
    assert error["code"] == "too_large"
    assert error["message"] == (
        f"This file is larger than {limit_words}. Please upload a smaller copy; a "
        "PDF from your provider or a phone photo usually fits."
    )
    assert chat.text("415 867 5309")["state"] == "number_type"


def test_a_form_at_a_choice_step_is_409(chat):
    error = chat.form(carrier="X", status=409)["error"]
    assert error == {
        "code": "conflict",
        "message": "This step doesn't take a form. Please answer the question shown.",
    }
    assert chat.choose("port")["state"] == "numbers"


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
        ({"file": (io.BytesIO(b"x"), "b.pdf")}, "what kind of document"),
        (
            {"kind": "passport", "file": (io.BytesIO(b"x"), "b.pdf")},
            "what kind of document",
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


UNKNOWN = "0123456789abcdef0123456789abcdef"
ENDPOINTS = [
    ("get", "/api/conversations/{id}"),
    ("post", "/api/conversations/{id}/messages"),
    ("post", "/api/conversations/{id}/documents"),
    ("get", "/api/conversations/{id}/loa.pdf"),
    ("post", "/api/conversations/{id}/loa-link"),
]


def call(client, method: str, path: str, headers: dict):
    if path.endswith("/messages"):
        return client.post(path, json={"text": "hi"}, headers=headers)
    if path.endswith("/documents"):
        return client.post(
            path,
            data={"kind": "number_list", "file": (io.BytesIO(b"4158675309"), "n.csv")},
            headers=headers,
            content_type="multipart/form-data",
        )
    return getattr(client, method)(path, headers=headers)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("token", [None, "made-up", "theirs"])
def test_every_endpoint_answers_an_unknown_conversation_with_a_json_404(
    chat, client, method, path, token
):
    headers = {}
    if token:
        headers = chat.headers if token == "theirs" else {"Authorization": "Bearer x"}

    response = call(client, method, path.format(id=UNKNOWN), headers)

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert error_of(response) == {
        "code": "not_found",
        "message": "We couldn't find that conversation. Please start a new chat.",
    }


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token abc"}],
    ids=["none", "wrong", "scheme"],
)
def test_every_endpoint_answers_a_missing_or_wrong_token_with_a_json_401(
    chat, client, method, path, headers
):
    chat.choose("port")

    response = call(client, method, path.format(id=chat.id), headers)

    assert response.status_code == 401
    assert error_of(response) == {
        "code": "unauthorized",
        "message": "This conversation needs its key. Please reload the chat to "
        "continue.",
    }
    assert chat.state == "numbers"
    assert chat.text("415 867 5309")["state"] == "number_type"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[]", "application/json"),
        ('"start"', "application/json"),
        ("hello", "text/plain"),
    ],
)
def test_create_refuses_a_body_that_is_not_empty_or_an_object(
    client, body, content_type
):
    response = client.post("/api/conversations", data=body, content_type=content_type)

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "bad_request",
        "message": "Send an empty body or {} to start a chat.",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", 'That message isn\'t valid JSON. Please send {"text": "..."}.'),
        ("null", 'That message isn\'t valid JSON. Please send {"text": "..."}.'),
        ("[]", "Send a JSON object with text, choice or form."),
        ('{"text": 5}', "The text must be a string."),
        ('{"text": null}', "The text must be a string."),
        ('{"choice": true}', "The choice must be a string."),
        ('{"form": []}', "The form must be an object of field values."),
        ('{"form": {"carrier": [{"a": 1}]}}', "The value of carrier isn't valid."),
        (
            '{"text": "a", "extra": 1}',
            "Send exactly one of text, choice or form in each message.",
        ),
        ('{"choice": ""}', "That message is empty. Please type something."),
    ],
)
def test_malformed_messages_get_400_with_a_sentence_saying_what_to_send(
    chat, client, body, message
):
    response = client.post(
        f"/api/conversations/{chat.id}/messages",
        data=body,
        content_type="application/json",
        headers=chat.headers,
    )

    assert response.status_code == 400
    assert error_of(response) == {"code": "bad_request", "message": message}
    assert chat.choose("port")["state"] == "numbers"


@pytest.mark.parametrize("choice", ["submit", "yes", "toll_free", "port", "x" * 200])
def test_a_choice_id_the_step_does_not_offer_is_400_and_changes_nothing(chat, choice):
    chat.choose("port")
    chat.text("415 867 5309")

    error = chat.choose(choice, status=400)["error"]

    assert error == {
        "code": "bad_request",
        "message": "That option isn't available at this step. Please pick one of "
        "the options shown.",
    }
    assert chat.state == "number_type"
    assert chat.choose("mobile")["state"] == "active"


def test_a_quick_reply_for_a_topic_that_does_not_exist_is_answered_politely(chat):
    reply = chat.choose("faq:no-such-topic")

    assert chat.state == "welcome"
    assert reply["messages"][0]["text"] == (
        "I don't have an answer on that yet. Could you ask it another way?"
    )


@pytest.mark.parametrize(
    "form",
    [
        {"carrier": "x" * 20_001},
        {"carrier": ["x" * 20_001]},
        {"carrier": ["a"] * 1001},
    ],
    ids=["long-value", "long-list-item", "long-list"],
)
def test_an_oversized_form_value_is_413_in_json(chat, form):
    chat.choose("port")

    error = chat.form(status=413, **form)["error"]

    assert error["code"] == "too_large"
    assert error["message"] == "The value of carrier is too long."
    assert chat.text("415 867 5309")["state"] == "number_type"


def test_a_json_body_over_the_request_limit_is_413_in_json(tmp_path):
    app = build_app(make_config(tmp_path, MAX_FILE_BYTES=20_000))
    chat = Chat(app.test_client())
    chat.choose("port")

    response = chat.client.post(
        f"/api/conversations/{chat.id}/messages",
        data='{"text": "' + "4" * 200_000 + '"}',
        content_type="application/json",
        headers=chat.headers,
    )

    assert response.status_code == 413
    assert response.mimetype == "application/json"
    error = error_of(response)
    assert error["code"] == "too_large"
    assert error["message"] == (
        "That's larger than we can take. Please send something smaller."
    )
    assert chat.text("415 867 5309")["state"] == "number_type"


def test_an_evidence_upload_over_the_file_limit_is_413_and_the_step_stays(tmp_path):
    from tests.intake_data import LOA_DETAILS
    from tests.intake_data import PROVIDER
    from tests.intake_data import bill_pdf

    app = build_app(make_config(tmp_path, MAX_FILE_BYTES=30_000))
    chat = Chat(app.test_client())
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("landline")
    chat.choose("yes")
    chat.choose("none")
    chat.form(**PROVIDER)
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    padded = b"%PDF-1.4\n" + b"0" * 40_000

    error = chat.upload("bill", padded, "bill.pdf", status=413)["error"]

    assert error["code"] == "too_large"
    assert error["message"].endswith(".")
    assert chat.state == "documents"
    chat.upload("bill", bill_pdf(), "bill.pdf")
    assert chat.state == "csr"


@pytest.mark.parametrize(
    "form",
    [
        {"numbers": 4158675309},
        {"numbers": ["415 867 5309"]},
        {"numbers": True},
        {"numbers": None},
        {"numbers": 4.5},
        {"unknown_field": "x"},
    ],
    ids=["number", "list", "boolean", "null", "float", "unknown-field"],
)
def test_form_values_of_any_allowed_type_never_give_a_500(chat, form):
    chat.choose("port")

    response = chat.client.post(
        f"/api/conversations/{chat.id}/messages",
        json={"form": form},
        headers=chat.headers,
    )

    assert response.status_code in (200, 400, 409), response.get_json()
    assert chat.text("415 867 5309")["state"] == "number_type"


def test_a_number_typed_form_value_is_read_as_its_digits(chat):
    chat.choose("port")

    chat.form(numbers=4158675309)

    assert chat.state == "number_type"
    assert "We found 1 number." in chat.said()


def test_yes_and_no_strings_count_as_booleans_in_a_form(chat):
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("landline")

    chat.form(active="yes")

    assert chat.state == "messaging_use"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/conversations"),
        ("delete", "/api/conversations/{id}"),
        ("get", "/api/conversations/{id}/messages"),
        ("put", "/api/conversations/{id}/documents"),
        ("post", "/api/conversations/{id}/loa.pdf"),
    ],
)
def test_a_wrong_method_on_any_endpoint_is_405_in_json(chat, client, method, path):
    response = getattr(client, method)(path.format(id=chat.id), headers=chat.headers)

    assert response.status_code == 405
    assert response.mimetype == "application/json"
    assert error_of(response) == {
        "code": "bad_request",
        "message": "That action isn't available here.",
    }
    assert chat.choose("port")["state"] == "numbers"


def test_a_document_of_a_kind_the_step_does_not_take_is_409(chat):
    chat.choose("port")

    error = chat.upload("bill", b"%PDF-1.4", "bill.pdf", status=409)["error"]

    assert error == {
        "code": "conflict",
        "message": "This step takes a list of numbers (CSV or text), so that "
        "document can't be used here. Please send that instead.",
    }
    assert chat.text("415 867 5309")["state"] == "number_type"


def test_the_loa_link_gives_a_download_that_needs_no_token(chat, client):
    from tests.intake_data import run_to_review

    run_to_review(chat)
    url = client.post(
        f"/api/conversations/{chat.id}/loa-link", headers=chat.headers
    ).get_json()["url"]

    assert client.get(url).status_code == 200
    forged = url.rsplit("=", 1)[0] + "=not-a-signature"
    response = client.get(forged)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
