import pytest

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"text": ' + "[" * 5000 + "]" * 5000 + "}"


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_json_nested_thousands_deep_is_a_400_at_create(client, body):
    response = client.post(
        "/api/conversations", data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "bad_request",
        "message": "Send an empty body or {} to start a chat.",
    }


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_json_nested_thousands_deep_is_a_400_and_the_chat_goes_on(
    chat, client, body, caplog
):
    response = client.post(
        f"/api/conversations/{chat.id}/messages",
        data=body,
        content_type="application/json",
        headers=chat.headers,
    )

    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "bad_request",
        "message": "That message is nested too deeply to read. "
        'Please send a plain {"text": "..."}.',
    }
    assert "Traceback" not in caplog.text
    assert chat.choose("port")["state"] == "numbers"
