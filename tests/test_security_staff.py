from sqlalchemy import text
from werkzeug.security import check_password_hash

from assistant.extensions import db
from assistant.housekeeping import add_staff
from tests.staff_fixtures import add_request
from tests.staff_fixtures import sign_in

PASSWORD = "correct horse battery"
# Werkzeug's defaults, and the floor OWASP gives for each method.
MINIMUM_COST = {"scrypt": 2**15, "pbkdf2": 600_000}


def work_factor(stored: str) -> tuple[str, int]:
    """A Werkzeug hash's method and cost: scrypt's N or PBKDF2's rounds."""
    method = stored.split("$", 1)[0].split(":")
    if method[0] == "scrypt":
        return "scrypt", int(method[1])
    return method[0], int(method[2])


def test_staff_passwords_are_stored_as_salted_slow_hashes(app):
    with app.app_context():
        add_staff("first@rallycorp.example", PASSWORD)
        add_staff("second@rallycorp.example", PASSWORD)
        rows = db.session.execute(text("SELECT * FROM staff_user")).all()

    stored = [row.password_hash for row in rows]
    # The same password gives a different hash for each account: a salt.
    assert len(set(stored)) == 2
    for row, password_hash in zip(rows, stored, strict=True):
        assert PASSWORD not in " ".join(str(value) for value in row)
        method, cost = work_factor(password_hash)
        assert cost >= MINIMUM_COST[method]
        assert check_password_hash(password_hash, PASSWORD)
        assert not check_password_hash(password_hash, PASSWORD + " ")


def test_a_signed_out_session_leaves_no_staff_identity_in_the_cookie(app, client):
    with app.app_context():
        add_staff("porter@rallycorp.example", PASSWORD)
        add_request()
    sign_in(client, "porter@rallycorp.example", PASSWORD)
    assert client.get("/staff/").status_code == 200

    signed_out = client.post("/staff/logout")

    assert signed_out.headers["Location"] == "/staff/login"
    with client.session_transaction() as session:
        assert "_user_id" not in session
        assert "_fresh" not in session
    assert client.get("/staff/").status_code == 302


def test_a_session_cookie_copied_before_sign_out_no_longer_opens_the_area(app, client):
    with app.app_context():
        add_staff("porter@rallycorp.example", PASSWORD)
        add_request()
    sign_in(client, "porter@rallycorp.example", PASSWORD)
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        copied = dict(session)

    client.post("/staff/logout")
    with client.session_transaction() as session:
        session.clear()
        session.update(copied)
    replayed = client.get("/staff/")

    assert "staff_login" in copied
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/staff/login")


def test_signing_out_one_session_leaves_another_session_of_the_same_user_open(
    app, client
):
    with app.app_context():
        add_staff("porter@rallycorp.example", PASSWORD)
        add_request()
    other = app.test_client()
    sign_in(client, "porter@rallycorp.example", PASSWORD)
    sign_in(other, "porter@rallycorp.example", PASSWORD)

    client.post("/staff/logout")

    assert client.get("/staff/").status_code == 302
    assert other.get("/staff/").status_code == 200
