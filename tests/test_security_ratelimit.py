import io
import re
import uuid

import pytest
import redis

from assistant.extensions import limiter
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config

REDIS_URI = "redis://127.0.0.1:6379/15"


def fresh_address() -> str:
    """An address no other test used, so counts never carry over between tests.

    Flask-Limiter keeps the first key prefix it was given for the life of the
    process, so a per-test prefix alone doesn't separate tests.
    """
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


@pytest.fixture(params=["memory", "redis"])
def storage(request):
    """Rate-limit settings for one test: in memory, or in Redis under a fresh prefix."""
    if request.param == "memory":
        yield {"RATELIMIT_STORAGE_URI": "memory://"}
        return
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield {"RATELIMIT_STORAGE_URI": REDIS_URI, "RATELIMIT_KEY_PREFIX": prefix}
    connection = redis.Redis.from_url(REDIS_URI)
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def fresh_client(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = fresh_address()
    return client


def limited_app(tmp_path, storage: dict, **overrides):
    config = make_config(tmp_path, RATELIMIT_ENABLED=True, **storage, **overrides)
    return build_app(config)


def assert_polite_429(response) -> int:
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"]["code"] == "rate_limited"
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 60
    message = body["error"]["message"]
    assert re.search(rf"\b{retry} seconds\b", message), message
    assert "try again" in message
    return retry


def upload(chat: Chat, client, name: str):
    return client.post(
        f"/api/conversations/{chat.id}/documents",
        data={"kind": "number_list", "file": (io.BytesIO(b"4158675309\n"), name)},
        headers=chat.headers,
        content_type="multipart/form-data",
    )


def test_too_many_new_conversations_get_a_429_saying_when_to_retry(tmp_path, storage):
    app = limited_app(tmp_path, storage, RATE_CREATE="2 per minute")
    client = fresh_client(app)

    statuses = [client.post("/api/conversations", json={}).status_code for _ in "ab"]
    assert statuses == [201, 201]
    assert_polite_429(client.post("/api/conversations", json={}))


def test_too_many_messages_get_a_429_and_change_nothing(tmp_path, storage):
    app = limited_app(tmp_path, storage, RATE_MESSAGE="2 per minute")
    client = fresh_client(app)
    chat = Chat(client)
    chat.choose("port")
    chat.text("(415) 867-5309")

    response = client.post(
        f"/api/conversations/{chat.id}/messages",
        json={"choice": "mobile"},
        headers=chat.headers,
    )
    assert_polite_429(response)
    state = client.get(f"/api/conversations/{chat.id}", headers=chat.headers)
    assert state.get_json()["state"] == "number_type"


def test_too_many_uploads_get_a_429(tmp_path, storage):
    app = limited_app(tmp_path, storage, RATE_UPLOAD="1 per minute")
    client = fresh_client(app)
    chat = Chat(client)
    chat.choose("port")

    assert upload(chat, client, "numbers.csv").status_code == 201
    assert_polite_429(upload(chat, client, "more-numbers.csv"))


def test_each_client_behind_the_trusted_proxy_has_its_own_limit(tmp_path, storage):
    app = limited_app(tmp_path, storage, RATE_CREATE="1 per minute", TRUSTED_PROXIES=1)
    client = fresh_client(app)
    one, other, forged = fresh_address(), fresh_address(), fresh_address()

    def create(forwarded_for: str):
        return client.post(
            "/api/conversations", json={}, headers={"X-Forwarded-For": forwarded_for}
        )

    assert create(one).status_code == 201
    assert create(other).status_code == 201
    # A client can't buy a fresh limit by writing its own X-Forwarded-For entry.
    assert_polite_429(create(f"{forged}, {one}"))


def test_without_trusted_proxies_a_forged_forwarded_header_is_ignored(
    tmp_path, storage
):
    app = limited_app(tmp_path, storage, RATE_CREATE="1 per minute")
    client = fresh_client(app)

    first = client.post(
        "/api/conversations", json={}, headers={"X-Forwarded-For": fresh_address()}
    )
    second = client.post(
        "/api/conversations", json={}, headers={"X-Forwarded-For": fresh_address()}
    )
    assert first.status_code == 201
    assert_polite_429(second)


def test_the_redis_store_keeps_the_counts_where_every_instance_sees_them(tmp_path):
    address = fresh_address()
    storage = {"RATELIMIT_STORAGE_URI": REDIS_URI}
    app = limited_app(tmp_path, storage, RATE_CREATE="5 per minute")

    for _ in range(2):
        app.test_client().post(
            "/api/conversations", json={}, environ_base={"REMOTE_ADDR": address}
        )

    connection = redis.Redis.from_url(REDIS_URI)
    keys = [key.decode() for key in connection.scan_iter(f"*{address}*")]
    assert keys, "no rate-limit counter in Redis"
    counted = sum(int(connection.get(key) or 0) for key in keys)
    for key in keys:
        connection.delete(key)
    connection.close()
    assert counted == 2


def test_the_limit_store_is_named_even_in_memory(tmp_path):
    app = build_app(make_config(tmp_path, RATELIMIT_ENABLED=True))

    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    with app.app_context():
        assert type(limiter.storage).__name__ == "MemoryStorage"


def test_the_limit_store_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_RATELIMIT_STORAGE_URI", REDIS_URI)
    config = make_config(tmp_path, RATELIMIT_ENABLED=True)

    app = build_app(config)
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URI
    with app.app_context():
        assert type(limiter.storage).__name__ == "RedisStorage"


def test_the_html_pages_answer_a_limit_with_a_page_that_says_when_to_retry(
    tmp_path, storage
):
    app = limited_app(tmp_path, storage)
    with app.test_request_context("/chat"):
        from werkzeug.exceptions import TooManyRequests

        response = app.handle_user_exception(TooManyRequests())
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    assert f"{retry} seconds" in response.get_data(as_text=True)


def assert_polite_429_page(response) -> None:
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert f"{retry} seconds" in response.get_data(as_text=True)


def test_too_many_status_look_ups_get_a_page_saying_when_to_retry(tmp_path, storage):
    app = limited_app(tmp_path, storage, RATE_STATUS="2 per minute")
    client = fresh_client(app)
    look_up = {"reference": "PR-ABCDEFGH", "contact_email": "jane@example.com"}

    assert [client.post("/status", data=look_up).status_code for _ in "ab"] == [
        404,
        404,
    ]
    assert_polite_429_page(client.post("/status", data=look_up))
    assert client.get("/status").status_code == 200


def test_too_many_staff_logins_get_a_page_saying_when_to_retry(tmp_path, storage):
    app = limited_app(tmp_path, storage, RATE_LOGIN="2 per minute")
    client = fresh_client(app)
    # Logins are also counted per account, so each run uses an account of its own.
    attempt = {"email": f"{uuid.uuid4().hex}@rallycorp.example", "password": "guess"}

    assert [client.post("/staff/login", data=attempt).status_code for _ in "ab"] == [
        401,
        401,
    ]
    assert_polite_429_page(client.post("/staff/login", data=attempt))


def test_reading_a_conversation_and_its_loa_links_are_limited_too(tmp_path, storage):
    app = limited_app(tmp_path, storage, RATE_READ="1 per minute")
    client = fresh_client(app)
    chat = Chat(client)
    base = f"/api/conversations/{chat.id}"

    reads = [client.get(base, headers=chat.headers) for _ in "ab"]
    links = [client.post(f"{base}/loa-link", headers=chat.headers) for _ in "ab"]

    assert [reads[0].status_code, links[0].status_code] == [200, 200]
    assert_polite_429(reads[1])
    assert_polite_429(links[1])


def test_answers_on_the_pages_without_javascript_are_limited_like_messages(
    tmp_path, storage
):
    app = limited_app(tmp_path, storage, RATE_MESSAGE="2 per minute")
    client = fresh_client(app)

    answers = [
        client.post("/port", data={"step": "welcome", "choice": "port"}),
        client.post("/port", data={"step": "numbers", "text": "(415) 867-5309"}),
    ]
    assert [response.status_code for response in answers] == [303, 303]
    assert_polite_429_page(
        client.post("/port", data={"step": "number_type", "choice": "mobile"})
    )
    page = client.get("/port").get_data(as_text=True)
    assert 'name="step" value="number_type"' in page
