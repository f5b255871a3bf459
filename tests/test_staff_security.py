import time

import pyotp
import pytest

from assistant.extensions import db
from assistant.models import AuditEvent
from tests.conftest import build_app
from tests.conftest import make_config
from tests.staff_fixtures import STAFF_EMAIL
from tests.staff_fixtures import STAFF_PASSWORD
from tests.staff_fixtures import add_request
from tests.staff_fixtures import add_staff_user
from tests.staff_fixtures import change_status
from tests.staff_fixtures import csrf_token
from tests.staff_fixtures import sign_in


def staff_app(tmp_path, otp: bool = False, **overrides):
    app = build_app(make_config(tmp_path, **overrides))
    with app.app_context():
        user = add_staff_user(otp=otp)
        add_request()
        return app, user.totp_secret


def current_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def previous_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() - totp.interval)


def wrong_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + step * totp.interval) for step in (-2, -1, 0, 1, 2)}
    return next(str(n) * 6 for n in range(10) if str(n) * 6 not in valid)


def test_with_a_second_factor_the_password_alone_opens_nothing(tmp_path):
    app, secret = staff_app(tmp_path, otp=True)
    client = app.test_client()

    response = sign_in(client)
    assert response.headers["Location"] == "/staff/login/code"
    assert client.get("/staff/").status_code == 302

    wrong = client.post("/staff/login/code", data={"code": wrong_code(secret)})
    assert wrong.status_code == 401
    assert "That code didn&#39;t work. Enter the current one." in wrong.text

    right = client.post("/staff/login/code", data={"code": current_code(secret)})
    assert right.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("12345", "The code has 6 digits."),
        ("abcdef", "The code has 6 digits."),
        ("", "Enter the 6-digit code."),
    ],
)
def test_a_malformed_code_is_explained(tmp_path, code, message):
    app, _ = staff_app(tmp_path, otp=True)
    client = app.test_client()
    sign_in(client)
    response = client.post("/staff/login/code", data={"code": code})
    assert response.status_code == 200
    assert message in response.text


def test_the_code_of_the_previous_step_is_accepted_for_clock_drift(tmp_path):
    app, secret = staff_app(tmp_path, otp=True)
    client = app.test_client()
    sign_in(client)
    response = client.post("/staff/login/code", data={"code": previous_code(secret)})
    assert response.headers["Location"] == "/staff/"


def test_a_one_time_code_that_already_signed_in_cannot_be_replayed(tmp_path):
    app, secret = staff_app(tmp_path, otp=True)
    first, second = app.test_client(), app.test_client()
    code = current_code(secret)
    sign_in(first)
    assert first.post("/staff/login/code", data={"code": code}).status_code == 302

    sign_in(second)
    replay = second.post("/staff/login/code", data={"code": code})
    assert replay.status_code == 401
    assert second.get("/staff/").status_code == 302
    with app.app_context():
        details = db.session.scalars(db.select(AuditEvent.detail)).all()
    assert len(details) == 1 and details[0].startswith("otp:")


def test_the_code_page_without_a_password_first_sends_back_to_the_login(tmp_path):
    app, _ = staff_app(tmp_path, otp=True)
    response = app.test_client().get("/staff/login/code")
    assert response.headers["Location"] == "/staff/login"


def test_repeated_login_attempts_are_throttled_with_a_time_to_wait(tmp_path):
    app, _ = staff_app(
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATE_LOGIN="3 per minute",
    )
    client = app.test_client()
    statuses = [
        sign_in(client, STAFF_EMAIL, f"guess number {n}").status_code for n in range(3)
    ]
    assert statuses == [401, 401, 401]

    blocked = sign_in(client)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Please wait" in blocked.text
    assert client.get("/staff/login").status_code == 200


def test_throttling_also_counts_per_account_across_addresses(tmp_path):
    app, _ = staff_app(
        tmp_path,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATE_LOGIN="2 per minute",
        TRUSTED_PROXIES=1,
    )
    client = app.test_client()
    for n, address in enumerate(["198.51.100.1", "198.51.100.2"]):
        response = client.post(
            "/staff/login",
            data={"email": STAFF_EMAIL, "password": f"guess {n}"},
            headers={"X-Forwarded-For": address},
        )
        assert response.status_code == 401
    third = client.post(
        "/staff/login",
        data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.3"},
    )
    assert third.status_code == 429


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/staff/login", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}),
        ("/staff/logout", {}),
    ],
)
def test_a_form_posted_without_its_csrf_token_is_refused(tmp_path, path, data):
    app, _ = staff_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "That request couldn&#39;t be read." in response.text


def test_staff_forms_work_with_their_csrf_token(tmp_path):
    app, _ = staff_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client.get("/staff/login").data)
    signed_in = client.post(
        "/staff/login",
        data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert signed_in.headers["Location"] == "/staff/"

    listing = client.get("/staff/")
    reference = listing.text.split("/staff/requests/")[1].split('"')[0]
    no_token = change_status(client, reference, "submitted", "in_review")
    assert no_token.status_code == 400
    detail = client.get(f"/staff/requests/{reference}")
    token = csrf_token(detail.data)
    changed = change_status(
        client, reference, "submitted", "in_review", csrf_token=token
    )
    assert changed.status_code == 302


def test_over_https_the_session_cookie_is_secure_httponly_and_samesite(tmp_path):
    app, _ = staff_app(tmp_path, HTTPS=True, BASE_URL="https://help.example.com")
    client = app.test_client()
    response = client.post(
        "/staff/login",
        data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie.split("; "), flag
    assert "Expires" not in cookie, "a staff session ends with the browser"


def test_over_plain_http_with_https_on_the_login_redirects_to_https(tmp_path):
    app, _ = staff_app(tmp_path, HTTPS=True, BASE_URL="https://help.example.com")
    response = app.test_client().get("/staff/login")
    assert response.status_code in (301, 302)
    assert response.headers["Location"].startswith("https://")
