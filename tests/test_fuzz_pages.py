import io
import re

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.staff_fixtures import add_request
from tests.staff_fixtures import add_staff_user
from tests.staff_fixtures import sign_in
from tests.test_fuzz_api import HOSTILE
from tests.test_fuzz_api import hostile_text
from tests.test_security_secrets import SECRET_PROVIDER
from tests.test_wizard import Wizard
from tests.test_wizard import walk

FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SCRIPT = "<script>alert(1)</script>"
FORM_FIELDS = [
    "choice",
    "text",
    *SECRET_PROVIDER,
    *LOA_DETAILS,
    "signature_name",
    "signature_consent",
    "reference",
    "email",
    "password",
    "csrf_token",
]
form_data = st.dictionaries(
    st.sampled_from(FORM_FIELDS) | hostile_text.filter(lambda t: "\x00" not in t),
    hostile_text,
    max_size=8,
)


def assert_page_is_polite(response) -> str:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    page = response.get_data(as_text=True)
    assert SCRIPT not in page
    assert "<img src=x" not in page
    return page


def current_step(client) -> str:
    page = client.get("/port").get_data(as_text=True)
    return re.search(r'name="step" value="([^"]+)"', page).group(1)


def answer(client, data: dict):
    """Post to the wizard as its page would: naming the step on screen."""
    return client.post("/port", data={"step": current_step(client), **data})


def wizard_at(client, moves: list[dict]) -> None:
    for move in moves:
        response = answer(client, move)
        assert response.status_code in (302, 303), response.status_code


WIZARD_STEPS = {
    "welcome": [],
    "numbers": [{"choice": "port"}],
    "provider": [
        {"choice": "port"},
        {"text": "(415) 867-5309"},
        {"choice": "mobile"},
        {"choice": "yes"},
        {"choice": "none"},
    ],
}


EVERY_WIZARD_STEP = [
    "welcome",
    "numbers",
    "number_type",
    "active",
    "messaging_use",
    "provider",
    "full_port",
    "loa_details",
    "documents",
    "csr",
    "review",
    "sign",
    "submitted",
]


def wizard_standing_at(client, step: str) -> Wizard:
    wizard = Wizard(client)
    walk(wizard, "review" if step in ("sign", "submitted") else step)
    if step in ("sign", "submitted"):
        wizard.choose("submit")
    if step == "submitted":
        wizard.form(signature_name="Jane Doe", signature_consent="y")
    assert wizard.step == step
    return wizard


@pytest.mark.parametrize("step", EVERY_WIZARD_STEP)
def test_any_wizard_form_at_any_step_gets_a_page_never_a_500(app, step):
    client = app.test_client()
    wizard_standing_at(client, step)

    @FUZZ
    @given(data=form_data)
    def check(data):
        response = client.post("/port", data={"step": step, **data})
        assert response.status_code < 500
        assert_page_is_polite(client.get("/port"))

    check()


def test_any_wizard_upload_gets_a_page_never_a_500(app):
    client = app.test_client()
    wizard_at(client, WIZARD_STEPS["numbers"])

    @FUZZ
    @given(
        kind=st.sampled_from(["number_list", "bill"]) | hostile_text,
        filename=hostile_text,
        data=st.binary(max_size=500),
    )
    def check(kind, filename, data):
        response = client.post(
            "/port/upload",
            data={
                "step": "numbers",
                "kind": kind,
                "file": (io.BytesIO(data), filename),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code < 500
        assert_page_is_polite(client.get("/port"))

    check()


def test_markup_typed_into_the_wizard_is_escaped_on_its_pages(app):
    client = app.test_client()
    wizard_at(client, WIZARD_STEPS["provider"])

    # A form with a missing field comes back showing what was typed.
    answer(client, {**SECRET_PROVIDER, "carrier": SCRIPT, "account_number": ""})
    page = assert_page_is_polite(client.get("/port"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_any_status_look_up_gets_a_page_never_a_500(app):
    client = app.test_client()

    @FUZZ
    @given(reference=hostile_text, email=hostile_text)
    def check(reference, email):
        response = client.post(
            "/status", data={"reference": reference, "contact_email": email}
        )
        assert response.status_code in (200, 400, 404)
        assert_page_is_polite(response)

    check()


def test_any_staff_login_gets_a_page_never_a_500(app):
    client = app.test_client()

    @FUZZ
    @given(email=hostile_text, password=hostile_text)
    def check(email, password):
        response = client.post(
            "/staff/login", data={"email": email, "password": password}
        )
        assert response.status_code in (200, 400, 401)
        assert_page_is_polite(response)

    check()


@pytest.mark.parametrize("value", HOSTILE[:3])
def test_markup_in_a_status_look_up_or_login_is_escaped(client, value):
    pages = [
        client.post("/status", data={"reference": value, "contact_email": value}),
        client.post("/staff/login", data={"email": value, "password": value}),
    ]

    for response in pages:
        page = assert_page_is_polite(response)
        assert value not in page


def test_template_syntax_typed_in_a_form_is_shown_not_run(client):
    response = client.post(
        "/status", data={"reference": "{{ 7*7 }}", "contact_email": "{{ 7*7 }}"}
    )

    assert "{{ 7*7 }}" in response.get_data(as_text=True)


def test_every_cookie_form_refuses_a_post_without_its_csrf_token(tmp_path):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    posts = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
        and not rule.rule.startswith("/api/")
        and not rule.arguments
    )
    client = app.test_client()

    assert {"/port", "/port/upload", "/status", "/staff/login"} <= set(posts)
    for path in posts:
        response = client.post(path, data={"choice": "port", "email": "a@b.example"})
        assert response.status_code == 400, path
        assert_page_is_polite(response)


staff_status_form = st.fixed_dictionaries(
    {},
    optional={
        "current": st.sampled_from(["submitted", "rejected"]) | hostile_text,
        "status": st.sampled_from(["in_review", "rejected", "completed"])
        | hostile_text,
        "reason": st.sampled_from(["pin", "other", ""]) | hostile_text,
        "note": hostile_text,
        "foc_date": st.sampled_from(["2027-01-15", "2027-02-30"]) | hostile_text,
    },
)
staff_filters = st.fixed_dictionaries(
    {},
    optional={
        name: hostile_text | st.sampled_from(["submitted", "mobile", "-7", "1"])
        for name in ("status", "number_type", "age", "q", "page")
    },
)


def test_any_staff_form_or_filter_gets_a_page_never_a_500(app):
    with app.app_context():
        add_staff_user()
        reference = add_request(business_name=SCRIPT).reference
    client = app.test_client()
    sign_in(client)
    base = f"/staff/requests/{reference}"

    @FUZZ
    @given(form=staff_status_form, filters=staff_filters, extra=form_data)
    def check(form, filters, extra):
        for response in (
            client.post(f"{base}/status", data=form),
            client.post(f"{base}/reveal", data=extra),
            client.get("/staff/", query_string=filters),
            client.get(base),
        ):
            assert response.status_code in (200, 302, 400, 409), response.status_code
            assert_page_is_polite(response)

    check()


def test_any_one_time_code_gets_a_page_never_a_500(app):
    with app.app_context():
        add_staff_user(otp=True)
    client = app.test_client()

    @FUZZ
    @given(code=hostile_text, extra=form_data)
    def check(code, extra):
        sign_in(client)
        response = client.post("/staff/login/code", data={**extra, "code": code})
        assert response.status_code in (200, 302, 401), response.status_code
        assert_page_is_polite(response)

    check()


ONE_MEGABYTE = "<b>" + "A" * 1_000_000 + "</b>"


@pytest.mark.parametrize("step", ["numbers", "provider", "loa_details"])
def test_a_one_megabyte_answer_on_a_wizard_step_gets_a_polite_re_prompt(app, step):
    client = app.test_client()
    wizard_standing_at(client, step)
    fields = {"text": ONE_MEGABYTE, "carrier": ONE_MEGABYTE, "pin": ONE_MEGABYTE}

    response = client.post("/port", data={"step": step, **fields})
    page = assert_page_is_polite(client.get("/port"))

    assert response.status_code == 303
    assert current_step(client) == step
    assert 'class="error-summary"' in page
    # The page never carries the megabyte back to the browser.
    assert len(page) < 100_000
    # The page's notes ride in the session cookie, which browsers cap at 4 KB.
    assert len(client.get_cookie("session").value) < 4000
