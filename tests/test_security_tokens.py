import base64
import io

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import text

from assistant import models
from assistant.extensions import db
from tests.conftest import Chat
from tests.test_fuzz_api import walk_to

ENDPOINTS = (
    ("get", "/api/conversations/{id}"),
    ("post", "/api/conversations/{id}/messages"),
    ("post", "/api/conversations/{id}/documents"),
    ("get", "/api/conversations/{id}/loa.pdf"),
    ("post", "/api/conversations/{id}/loa-link"),
)


def call(client, method: str, path: str, headers: dict):
    if path.endswith("/documents"):
        return client.post(
            path,
            data={"kind": "bill", "file": (io.BytesIO(b"%PDF-1.4"), "bill.pdf")},
            headers=headers,
            content_type="multipart/form-data",
        )
    if method == "post":
        return client.post(path, json={"text": "hello"}, headers=headers)
    return client.get(path, headers=headers)


def token_bytes(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_conversation_tokens_carry_at_least_128_random_bits(client):
    tokens = [Chat(client).token for _ in range(40)]

    assert all(len(token_bytes(token)) * 8 >= 128 for token in tokens)
    assert len(set(tokens)) == 40
    assert len({token[:6] for token in tokens}) == 40
    # 40 tokens of 43 characters from a 64-character alphabet use nearly all of it.
    assert len(set("".join(tokens))) >= 60


def test_conversation_ids_are_random_uuids_not_counters(client):
    ids = [Chat(client).id for _ in range(5)]

    assert all(len(identifier) == 32 and identifier[12] == "4" for identifier in ids)
    assert len({identifier[:8] for identifier in ids}) == 5


def test_only_a_hash_of_the_token_is_stored(chat, app):
    with app.app_context():
        row = db.session.execute(
            text("SELECT * FROM conversation WHERE id = :id"), {"id": chat.id}
        ).one()

    stored = " ".join(str(value) for value in row)
    assert chat.token not in stored
    assert models.hash_token(chat.token) in stored


def test_the_token_is_compared_in_constant_time(chat, client, monkeypatch):
    compared = []
    real = models.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(models.hmac, "compare_digest", spy)
    client.get(f"/api/conversations/{chat.id}", headers=chat.headers)
    client.get(f"/api/conversations/{chat.id}", headers={"Authorization": "Bearer x"})

    assert len(compared) == 2
    assert all(len(a) == len(b) == 64 for a, b in compared)


@pytest.mark.parametrize("method, path", ENDPOINTS)
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer not-the-token"}], ids=["none", "wrong"]
)
def test_an_unknown_conversation_is_404_at_every_endpoint(
    client, method, path, headers
):
    url = path.format(id="5f0c8e7ad5d84c4a9b2f0e6a1c3d7b90")

    response = call(client, method, url, headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_a_wrong_or_missing_token_is_401_at_every_endpoint(chat, client, method, path):
    url = path.format(id=chat.id)
    for headers in (
        {},
        {"Authorization": "Bearer " + chat.token[:-1]},
        {"Authorization": "Bearer " + chat.token + "x"},
        {"Authorization": chat.token},
        {"Authorization": "Token " + chat.token},
    ):
        response = call(client, method, url, headers)
        assert response.status_code == 401, headers
        assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_another_conversations_token_does_not_open_this_one(chat, client, method, path):
    other = Chat(client)

    response = call(client, method, path.format(id=chat.id), other.headers)
    assert response.status_code == 401


def test_a_refused_token_changes_nothing_in_the_conversation(chat, client, app):
    response = client.post(
        f"/api/conversations/{chat.id}/messages",
        json={"choice": "port"},
        headers={"Authorization": "Bearer guessed"},
    )

    assert response.status_code == 401
    body = client.get(f"/api/conversations/{chat.id}", headers=chat.headers)
    assert body.get_json()["state"] == "welcome"


def test_a_tampered_or_foreign_loa_link_is_refused(chat, client):
    other = Chat(client)
    link = client.post(
        f"/api/conversations/{other.id}/loa-link", headers=other.headers
    ).get_json()["url"]
    signature = link.split("sig=", 1)[1]

    foreign = client.get(f"/api/conversations/{chat.id}/loa.pdf?sig={signature}")
    tampered = client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB"))
    assert foreign.status_code == 401
    assert tampered.status_code == 401


def test_an_loa_link_carries_no_token_and_expires_after_five_minutes(
    chat, client, monkeypatch
):
    walk_to(chat, "documents")
    clock = [1_900_000_000]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: clock[0])
    link = client.post(
        f"/api/conversations/{chat.id}/loa-link", headers=chat.headers
    ).get_json()["url"]

    assert chat.token not in link
    assert link.startswith(f"/api/conversations/{chat.id}/loa.pdf?sig=")
    clock[0] += 299
    fresh = client.get(link)
    assert fresh.status_code == 200
    assert fresh.data.startswith(b"%PDF")
    clock[0] += 2
    expired = client.get(link)
    assert expired.status_code == 401
    assert "download link has expired" in expired.get_json()["error"]["message"]
