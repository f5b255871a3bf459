from assistant.extensions import db
from assistant.models import AuditEvent
from assistant.models import PortRequest
from tests.conftest import build_app
from tests.conftest import make_config
from tests.staff_fixtures import STAFF_EMAIL
from tests.staff_fixtures import STAFF_PASSWORD
from tests.staff_fixtures import add_request
from tests.staff_fixtures import add_staff_user
from tests.staff_fixtures import csrf_token


def signed_in_staff(tmp_path):
    """CSRF on as in production, and a staff member signed in through the form."""
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        add_staff_user()
        reference = add_request().reference
    client = app.test_client()
    token = csrf_token(client.get("/staff/login").data)
    signed_in = client.post(
        "/staff/login",
        data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert signed_in.headers["Location"] == "/staff/"
    return app, client, reference


def cookie_form_posts(app, reference: str) -> list[str]:
    """Every POST address outside the JSON API, with its arguments filled in."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        values = {"reference": reference, "document_id": "x"}
        paths.append(rule.build({k: values[k] for k in rule.arguments})[1])
    return sorted(paths)


def test_every_cookie_form_of_a_signed_in_staff_member_needs_its_csrf_token(tmp_path):
    app, client, reference = signed_in_staff(tmp_path)
    forged = {"current": "submitted", "status": "cancelled", "choice": "port"}

    paths = cookie_form_posts(app, reference)
    responses = {path: client.post(path, data=forged) for path in paths}

    assert {
        "/port",
        "/port/upload",
        "/status",
        "/staff/login",
        "/staff/logout",
        f"/staff/requests/{reference}/reveal",
        f"/staff/requests/{reference}/status",
    } <= set(paths)
    for path, response in responses.items():
        assert response.status_code == 400, path
        assert "That request couldn&#39;t be read." in response.text or (
            "Please send that again" in response.text
        ), path
    # Nothing a forged form asked for happened, and the staff member is still in.
    with app.app_context():
        assert db.session.scalar(db.select(PortRequest.status)) == "submitted"
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert actions == ["login"]
    assert client.get("/staff/").status_code == 200


def test_a_csrf_token_from_another_session_is_refused(tmp_path):
    app, client, reference = signed_in_staff(tmp_path)
    other = app.test_client()
    foreign = csrf_token(other.get("/staff/login").data)

    response = client.post(
        f"/staff/requests/{reference}/status",
        data={"current": "submitted", "status": "cancelled", "csrf_token": foreign},
    )

    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(PortRequest.status)) == "submitted"
