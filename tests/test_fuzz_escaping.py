import io
import subprocess
from datetime import UTC
from datetime import datetime

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from assistant import loa
from tests.conftest import Chat
from tests.staff_fixtures import add_staff_user
from tests.staff_fixtures import look_up
from tests.staff_fixtures import sign_in
from tests.test_security_secrets import outbox_messages
from tests.test_security_secrets import submit_intake

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<b>bold</b> & <i>co</i>",
    ") /JavaScript (app.alert(1)) /S /JavaScript (",
    "\\) >> /OpenAction << /S /JavaScript /JS (x",
    "{{ config }} {% if 1 %}",
    "&lt;already escaped&gt; &amp;",
]
HOSTILE_LOA = {
    "name_on_bill": "<script>alert('bill')</script>",
    "business_name": 'Acme <b>Plumbing</b> & "Sons"',
    "authorized_title": "<img src=x onerror=alert(1)>",
    "service_city": "San Francisco) /JS (app.alert(1)",
}
ACTION_KEYS = ("/OpenAction", "/AA", "/JavaScript", "/JS", "/Launch", "/URI")


def resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def actions_in(data: bytes) -> list[str]:
    """Every action a viewer would run: document, name tree or annotation level."""
    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"]
    found = [key for key in ("/OpenAction", "/AA") if key in catalog]
    names = resolve(catalog.get("/Names")) or {}
    found += [key for key in ("/JavaScript",) if key in names]
    for page in reader.pages:
        found += [key for key in ("/AA",) if key in page]
        for annotation in resolve(page.get("/Annots")) or []:
            annotation = resolve(annotation)
            found += [key for key in ("/A", "/AA") if key in annotation]
    return found


def pdf_text(tmp_path, data: bytes) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-raw", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def loa_context(app):
    with app.app_context():
        yield


def test_markup_in_the_loa_preview_stays_the_exact_field_text(loa_context):
    @settings(
        max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(
        value=st.sampled_from(MARKUP)
        # Control and invisible format characters never reach the LOA: the chat
        # normalises them away before any step sees the text.
        | st.text(
            alphabet=st.characters(
                codec="latin-1", min_codepoint=32, exclude_categories=("Cc", "Cf")
            ),
            max_size=60,
        ).map(str.strip)
    )
    def check(value):
        values = {"name_on_bill": value, "business_name": value, "carrier": value}
        data = loa.fill_loa(values, ["+14158675309"])

        fields = PdfReader(io.BytesIO(data)).get_fields()
        # The letter may tidy spaces; every other character stays as typed.
        typed = " ".join(value.split())
        assert " ".join(str(fields["name_on_bill"].get("/V")).split()) == typed
        assert " ".join(str(fields["business_name"].get("/V")).split()) == typed
        assert actions_in(data) == []

    check()


def test_markup_in_the_signed_loa_is_printed_as_text(loa_context, tmp_path):
    values = {**HOSTILE_LOA, "authorized_name": "Jane Doe"}

    data = loa.sign_loa(
        values,
        ["+14158675309"],
        signature_name="Jane Doe",
        signed_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        ip="203.0.113.7",
        user_agent="<script>agent()</script>",
    )

    printed = " ".join(pdf_text(tmp_path, data).split())
    for value in HOSTILE_LOA.values():
        assert value in printed, value
    assert actions_in(data) == []
    assert not PdfReader(io.BytesIO(data)).get_fields()


def test_markup_typed_in_the_intake_is_escaped_in_every_email(app):
    # The bill must still match the intake, so the name on it and the city stay.
    submit_intake(
        Chat(app.test_client()),
        business_name=HOSTILE_LOA["business_name"],
        authorized_title=HOSTILE_LOA["authorized_title"],
    )

    messages = outbox_messages(app)
    assert len(messages) >= 2
    for message in messages:
        for part in message.walk():
            if part.get_content_type() == "text/html":
                body = part.get_content()
                assert "<script" not in body and "<img" not in body
                assert "<b>Plumbing</b>" not in body
                assert "Acme &lt;b&gt;Plumbing&lt;/b&gt; &amp;" in body
            elif part.get_content_type() == "text/plain" and not part.get_filename():
                body = part.get_content()
                assert "&lt;" not in body and "&amp;" not in body


def test_a_line_break_in_the_business_name_cannot_add_an_email_header(app):
    submit_intake(
        Chat(app.test_client()),
        business_name="Acme\r\nBcc: thief@evil.example\r\nX-Injected: yes",
    )

    for message in outbox_messages(app):
        assert message["Bcc"] is None
        assert message["X-Injected"] is None
        assert "evil.example" not in str(message["To"])
        assert "\n" not in str(message["Subject"])


@pytest.mark.parametrize(
    "path", ["/chat", "/", "/healthz", "/status", "/port", "/staff/login"]
)
def test_hostile_query_strings_are_never_reflected_as_markup(client, path):
    hostile = "<script>alert(1)</script>"

    response = client.get(
        path,
        query_string={
            "q": hostile,
            "reference": hostile,
            "email": hostile,
            "next": hostile,
        },
    )
    assert response.status_code < 500
    assert hostile not in response.get_data(as_text=True)


def test_a_hostile_path_is_escaped_on_the_not_found_page(client):
    response = client.get("/%3Cscript%3Ealert(1)%3C/script%3E")

    assert response.status_code == 404
    assert "<script>alert(1)" not in response.get_data(as_text=True)


def test_markup_typed_in_the_intake_is_escaped_on_the_staff_and_status_pages(app):
    reference = submit_intake(
        Chat(app.test_client()),
        business_name=HOSTILE_LOA["business_name"],
        authorized_title=HOSTILE_LOA["authorized_title"],
    )
    with app.app_context():
        add_staff_user()
    staff = app.test_client()
    sign_in(staff)
    customer = app.test_client()

    pages = {
        "list": staff.get("/staff/"),
        "search": staff.get("/staff/", query_string={"q": "Acme <b>"}),
        "detail": staff.get(f"/staff/requests/{reference}"),
    }
    status = look_up(customer, reference)

    for name, response in [*pages.items(), ("status", status)]:
        assert response.status_code == 200, name
        page = response.get_data(as_text=True)
        assert "<b>Plumbing</b>" not in page and "<img src=x" not in page, name
    for name, response in pages.items():
        page = response.get_data(as_text=True)
        assert "Acme &lt;b&gt;Plumbing&lt;/b&gt; &amp;" in page, name
    assert reference in status.get_data(as_text=True)
    detail = pages["detail"].get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
