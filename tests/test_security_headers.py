import re

import pytest

from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config

PAGES = ("/chat", "/healthz", "/widget.js")


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.fixture
def embedded_app(tmp_path):
    origins = "https://help.rallycorp.example https://support.partner.example"
    config = make_config(tmp_path, EMBED_ORIGINS=origins.split())
    return build_app(config)


def test_the_chat_page_csp_allows_no_inline_or_evaluated_script(client):
    policy = directives(client.get("/chat"))

    scripts = policy.get("script-src", policy["default-src"])
    assert scripts == ["'self'"]
    assert "'unsafe-inline'" not in policy["default-src"]
    assert "'unsafe-eval'" not in scripts
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def test_the_chat_page_has_no_inline_script_that_the_csp_would_block(client):
    html = client.get("/chat").get_data(as_text=True)

    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert inline == []
    assert not re.search(r"\son[a-z]+\s*=", html)


def test_frame_ancestors_lists_every_configured_embed_origin(embedded_app):
    response = embedded_app.test_client().get("/chat")

    assert directives(response)["frame-ancestors"] == [
        "'self'",
        "https://help.rallycorp.example",
        "https://support.partner.example",
    ]


def test_frame_ancestors_is_only_the_app_itself_when_no_origin_is_configured(client):
    assert directives(client.get("/chat"))["frame-ancestors"] == ["'self'"]


def test_embed_origins_come_from_the_assistant_environment_variable(
    tmp_path, monkeypatch
):
    monkeypatch.setenv(
        "ASSISTANT_EMBED_ORIGINS", "https://help.rallycorp.example,https://b.example"
    )
    config = make_config(tmp_path)
    app = build_app(config)

    policy = directives(app.test_client().get("/chat"))
    assert policy["frame-ancestors"] == [
        "'self'",
        "https://help.rallycorp.example",
        "https://b.example",
    ]


@pytest.mark.parametrize("path", PAGES)
def test_no_x_frame_options_header_blocks_the_embed(embedded_app, path):
    with embedded_app.test_client().get(path) as response:
        assert response.status_code == 200
        assert "X-Frame-Options" not in response.headers


def test_pages_send_nosniff_and_a_referrer_policy(client):
    response = client.get("/chat")

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_there_is_no_https_redirect_or_hsts_in_local_runs_and_tests(client):
    response = client.get("/chat", base_url="http://localhost")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


def test_production_https_redirects_plain_http_and_sends_hsts(tmp_path):
    app = build_app(
        make_config(
            tmp_path, HTTPS=True, TESTING=False, BASE_URL="https://help.example.com"
        )
    )
    client = app.test_client()

    plain = client.get("/chat", base_url="http://porting.rallycorp.example")
    assert plain.status_code in (301, 302)
    assert plain.headers["Location"].startswith("https://porting.rallycorp.example/")
    secure = client.get("/chat", base_url="https://porting.rallycorp.example")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_api_answers_a_cross_origin_request_without_any_cors_header(client):
    origin = {"Origin": "https://evil.example"}
    responses = [
        client.post("/api/conversations", json={}, headers=origin),
        client.options(
            "/api/conversations",
            headers={**origin, "Access-Control-Request-Method": "POST"},
        ),
    ]
    conversation = responses[0].get_json()
    responses.append(
        client.get(
            f"/api/conversations/{conversation['id']}",
            headers={**origin, "Authorization": f"Bearer {conversation['token']}"},
        )
    )

    for response in responses:
        cors = [h for h in response.headers.keys() if h.lower().startswith("access-")]
        assert cors == [], response.headers


def test_no_api_response_sets_a_cookie_during_a_conversation(client):
    chat = Chat(client)
    replies = [
        client.post("/api/conversations", json={}),
        client.get(f"/api/conversations/{chat.id}", headers=chat.headers),
        client.post(
            f"/api/conversations/{chat.id}/messages",
            json={"choice": "port"},
            headers=chat.headers,
        ),
        client.post(
            f"/api/conversations/{chat.id}/messages",
            json={"text": "(415) 867-5309"},
            headers=chat.headers,
        ),
        client.post(
            f"/api/conversations/{chat.id}/messages", json={"choice": "nonsense"}
        ),
        client.get("/api/conversations/0000/loa.pdf"),
    ]

    for response in replies:
        assert "Set-Cookie" not in response.headers, response.status_code
    assert client.get_cookie("session") is None


def test_api_replies_are_not_stored_by_caches(client):
    chat = Chat(client)
    response = client.get(f"/api/conversations/{chat.id}", headers=chat.headers)

    assert response.headers["Cache-Control"] == "no-store"


def test_the_json_api_needs_no_csrf_token_even_with_csrf_protection_on(tmp_path):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    chat = Chat(app.test_client())

    reply = chat.choose("port")
    assert reply["state"] == "numbers"


@pytest.mark.parametrize(
    "path", ["/", "/chat", "/port", "/status", "/staff/login", "/no-such-page"]
)
def test_every_page_sends_the_strict_csp_and_its_frame_ancestors(embedded_app, path):
    response = embedded_app.test_client().get(path)
    policy = directives(response)

    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert not [part for part in policy.values() if "'unsafe-inline'" in part]
    assert policy["frame-ancestors"][1:] == [
        "https://help.rallycorp.example",
        "https://support.partner.example",
    ]
    html = response.get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []


def test_uploads_and_loa_downloads_set_no_cookie_either(client):
    chat = Chat(client)
    chat.choose("port")
    listing = chat.upload("number_list", b"4158675309\n", "numbers.csv")
    link = client.post(f"/api/conversations/{chat.id}/loa-link", headers=chat.headers)
    letter = client.get(link.get_json()["url"])

    assert listing["state"] == "number_type"
    assert letter.status_code == 409
    for response in (link, letter):
        assert "Set-Cookie" not in response.headers
    assert client.get_cookie("session") is None


def test_production_without_a_public_address_refuses_to_start(tmp_path):
    # E-mail links would otherwise be built from a Host header a visitor chose.
    with pytest.raises(RuntimeError, match="ASSISTANT_BASE_URL is empty"):
        build_app(make_config(tmp_path, HTTPS=True, TESTING=False))
