import io
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from assistant.extensions import db
from assistant.models import Conversation
from tests.conftest import Chat
from tests.intake_data import LOA_DETAILS
from tests.test_security_secrets import SECRET_PROVIDER

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "{{ 7*7 }}{% raw %}",
    "'; DROP TABLE conversation; --",
    "\x00\x00(415) 867-5309\x00",
    "\u202e9035-768 )514(\u202c",
    "\u200f\u200b\ufeff\u2028\u2029",
    "\x1b[31mred\x1b[0m\r\n\t\x07\x08",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "4" * 20_001,
    "🙂" * 3000,
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(min_size=0, max_size=300),
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp"]),
        max_size=50,
    ),
    st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), st.text(max_size=40)),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | hostile_text,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    *SECRET_PROVIDER,
    *LOA_DETAILS,
    "signature_name",
    "signature_consent",
    "numbers",
    "requested_date",
    "no_pin",
    "csrf_token",
    "__proto__",
]
message_bodies = st.one_of(
    json_values,
    st.builds(lambda v: {"text": v}, json_values),
    st.builds(lambda v: {"text": v}, hostile_text),
    st.builds(lambda v: {"choice": v}, hostile_text),
    st.builds(
        lambda v: {"form": v},
        st.dictionaries(
            st.sampled_from(FIELDS) | hostile_text, json_values, max_size=6
        ),
    ),
    st.builds(
        lambda v: {"form": v},
        st.dictionaries(st.sampled_from(FIELDS), hostile_text, max_size=len(FIELDS)),
    ),
)
STEPS = [
    "welcome",
    "numbers",
    "number_type",
    "provider",
    "loa_details",
    "documents",
    "review",
    "sign",
]


def walk_to(chat: Chat, step: str) -> None:
    """Move a fresh conversation forward until it waits at `step`."""
    moves = [
        ("numbers", lambda: chat.choose("port")),
        ("number_type", lambda: chat.text("(415) 867-5309")),
        ("active", lambda: chat.choose("mobile")),
        ("messaging_use", lambda: chat.choose("yes")),
        ("provider", lambda: chat.choose("none")),
        ("full_port", lambda: chat.form(**SECRET_PROVIDER)),
        ("loa_details", lambda: chat.choose("no")),
        ("documents", lambda: chat.form(**LOA_DETAILS)),
    ]
    for reached, move in moves:
        if chat.state == step:
            return
        move()
        assert chat.state == reached, chat.last
    if step in ("review", "sign"):
        from tests import docgen

        bill = docgen.Bill(numbers=("(415) 867-5309",), lines=("Mobile",))
        chat.upload("bill", docgen.text_pdf_bill(bill), "bill.pdf")
        chat.choose("skip")
        if step == "sign":
            chat.choose("submit")
    assert chat.state == step, chat.last


class Snapshot:
    """A conversation's saved columns, put back before every example."""

    def __init__(self, app, conversation_id: str):
        self.app, self.id = app, conversation_id
        with app.app_context():
            row = db.session.get(Conversation, conversation_id)
            self.values = {
                "state": row.state,
                "slots": json.loads(json.dumps(row.slots)),
                "transcript": list(row.transcript),
                "secret_blob": row.secret_blob,
            }

    def restore(self) -> None:
        with self.app.app_context():
            row = db.session.get(Conversation, self.id)
            for name, value in self.values.items():
                setattr(row, name, value)
            db.session.commit()


def assert_polite(response, *allowed_success: int) -> None:
    """A 4xx with a sentence for a person, or a success that says something."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert isinstance(body, dict), response.get_data(as_text=True)[:200]
    if response.status_code in allowed_success:
        said = body.get("messages") or body.get("errors")
        assert said or response.status_code == 201, body
        return
    assert 400 <= response.status_code < 500
    error = body["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] in {
        "bad_request",
        "unauthorized",
        "not_found",
        "conflict",
        "stale",
        "too_large",
        "unsupported_file",
        "rate_limited",
    }
    assert error["message"].rstrip().endswith((".", "!", "?")), error


def post_raw(client, chat: Chat, data: bytes, content_type: str):
    return client.post(
        f"/api/conversations/{chat.id}/messages",
        data=data,
        content_type=content_type,
        headers=chat.headers,
    )


@pytest.mark.parametrize("step", STEPS)
def test_any_json_message_at_any_step_gets_a_4xx_or_a_polite_reply(any_db_app, step):
    client = any_db_app.test_client()
    chat = Chat(client)
    walk_to(chat, step)
    snapshot = Snapshot(any_db_app, chat.id)

    @FUZZ
    @given(body=message_bodies)
    def check(body):
        snapshot.restore()
        response = client.post(
            f"/api/conversations/{chat.id}/messages", json=body, headers=chat.headers
        )
        assert_polite(response, 200)

    check()


@pytest.mark.parametrize("step", ["numbers", "documents"])
def test_any_upload_at_an_upload_step_gets_a_4xx_or_a_polite_reply(app, step):
    client = app.test_client()
    chat = Chat(client)
    walk_to(chat, step)
    snapshot = Snapshot(app, chat.id)

    @FUZZ
    @given(
        kind=st.sampled_from(["bill", "number_list", "csr", "receipt"]) | hostile_text,
        filename=hostile_text,
        data=st.one_of(
            st.binary(max_size=2000),
            st.sampled_from(
                [b"%PDF-1.4\n%%EOF", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"]
            ),
            hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
        ),
    )
    def check(kind, filename, data):
        snapshot.restore()
        response = client.post(
            f"/api/conversations/{chat.id}/documents",
            data={"kind": kind, "file": (io.BytesIO(data), filename)},
            headers=chat.headers,
            content_type="multipart/form-data",
        )
        assert_polite(response, 201)

    check()


def test_any_raw_body_and_content_type_gets_a_4xx_or_a_polite_reply(app):
    client = app.test_client()
    chat = Chat(client)
    snapshot = Snapshot(app, chat.id)

    @FUZZ
    @given(
        data=st.binary(max_size=3000) | hostile_text.map(str.encode),
        content_type=st.sampled_from(
            [
                "application/json",
                "text/plain",
                "multipart/form-data",
                "application/x-www-form-urlencoded",
                "application/json; charset=latin-1",
            ]
        ),
    )
    def check(data, content_type):
        snapshot.restore()
        assert_polite(post_raw(client, chat, data, content_type), 200)
        created = client.post(
            "/api/conversations", data=data, content_type=content_type
        )
        assert_polite(created, 201)

    check()


def test_any_conversation_id_or_authorization_header_gets_a_4xx(app):
    client = app.test_client()
    chat = Chat(client)

    @FUZZ
    @given(
        identifier=hostile_text.filter(lambda t: t not in ("", ".", "..")),
        header=hostile_text.map(
            lambda t: t.encode("utf-8", "replace").decode("latin-1")
        ),
    )
    def check(identifier, header):
        path = quote(identifier[:3000], safe="")
        auth = {
            "Authorization": "Bearer " + header.replace("\n", " ").replace("\r", " ")
        }
        for response in (
            client.get(f"/api/conversations/{path}", headers=auth),
            client.get(f"/api/conversations/{path}/loa.pdf", headers=auth),
            client.post(
                f"/api/conversations/{path}/messages", json={"text": "hi"}, headers=auth
            ),
            client.get(f"/api/conversations/{chat.id}", headers=auth),
            client.post(f"/api/conversations/{path}/loa-link", headers=auth),
            client.post(f"/api/conversations/{chat.id}/loa-link", headers=auth),
            client.post(
                f"/api/conversations/{path}/documents",
                data={"kind": "bill", "file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")},
                headers=auth,
                content_type="multipart/form-data",
            ),
            client.get(
                f"/api/conversations/{chat.id}/loa.pdf", query_string={"sig": header}
            ),
        ):
            assert 400 <= response.status_code < 500, response.status_code
            assert_polite(response)

    check()


ONE_MEGABYTE = "<b>" + "A" * 1_000_000 + "</b>"


def stored_size(app, conversation_id: str) -> int:
    with app.app_context():
        row = db.session.get(Conversation, conversation_id)
        return len(json.dumps([row.slots, row.transcript, row.secret_blob]))


@pytest.mark.parametrize("step", STEPS)
def test_a_one_megabyte_text_at_any_step_is_refused_politely(app, step):
    client = app.test_client()
    chat = Chat(client)
    walk_to(chat, step)
    url = f"/api/conversations/{chat.id}/messages"

    for body in (
        {"text": ONE_MEGABYTE},
        {"choice": ONE_MEGABYTE},
        {"form": {"carrier": ONE_MEGABYTE, "name_on_bill": ONE_MEGABYTE}},
        {"form": {ONE_MEGABYTE: "x"}},
    ):
        response = client.post(url, json=body, headers=chat.headers)
        assert_polite(response)
        assert response.status_code in (400, 413)
    with app.app_context():
        assert db.session.get(Conversation, chat.id).state == step


@pytest.mark.parametrize("step", ["numbers", "provider", "loa_details"])
def test_a_form_list_of_huge_values_is_not_stored_in_the_conversation(app, step):
    client = app.test_client()
    chat = Chat(client)
    walk_to(chat, step)
    before = stored_size(app, chat.id)

    response = client.post(
        f"/api/conversations/{chat.id}/messages",
        json={"form": {"numbers": ["4" * 200_000] * 5, "carrier": ["x" * 200_000]}},
        headers=chat.headers,
    )
    assert_polite(response, 200)
    assert stored_size(app, chat.id) - before < 50_000
