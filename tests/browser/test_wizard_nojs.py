import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from assistant.extensions import db
from assistant.models import PortRequest
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.intake_data import NUMBER_TEXT
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf

AXE = Axe()
LABELS = {
    "carrier": "Current provider",
    "account_number": "Account number",
    "pin": "Account or transfer PIN",
    "name_on_bill": "Name exactly as on your bill",
    "business_name": "Business name",
    "authorized_name": "Authorized person",
    "authorized_title": "Their title",
    "service_street": "Service street address",
    "service_unit": "Suite or unit",
    "service_city": "City",
    "service_state": "State",
    "service_zip": "ZIP code",
    "contact_email": "Contact e-mail",
    "contact_phone": "Contact phone",
}


@pytest.fixture
def wizard_app(tmp_path):
    """A fresh app with CSRF on, as in production, served on its own port."""
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def new_page(browser, javascript: bool, scheme: str = "light"):
    context = browser.new_context(
        java_script_enabled=javascript,
        color_scheme=scheme,
        reduced_motion="reduce",
        viewport={"width": 1024, "height": 768},
    )
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page, problems


def fill(page, values: dict) -> None:
    for name, value in values.items():
        if name in LABELS:
            page.get_by_label(LABELS[name], exact=True).fill(value)


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def expect_step(page, heading: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def walk(page, base_url: str, check=lambda page: None) -> None:
    """Every step of one mobile intake, from the welcome to the reference."""
    page.goto(f"{base_url}/port")
    expect_step(page, "Welcome")
    check(page)
    press(page, "Port my numbers")

    expect_step(page, "Your numbers")
    press(page, "Continue")
    expect(page.get_by_role("alert")).to_contain_text("Please type the numbers")
    check(page)
    page.get_by_label("Phone numbers").fill(NUMBER_TEXT)
    press(page, "Continue")

    for heading, answer in (
        ("Number type", "Mobile"),
        ("Can they move?", "Yes"),
        ("Texting", "No, calls only"),
    ):
        expect_step(page, heading)
        check(page)
        press(page, answer)

    expect_step(page, "Current provider")
    fill(page, {**PROVIDER, "carrier": ""})
    press(page, "Continue")
    expect(page.get_by_role("alert")).to_contain_text("current provider's name")
    check(page)
    fill(page, PROVIDER)
    press(page, "Continue")
    check(page)
    press(page, "No")

    expect_step(page, "Authorization details")
    fill(page, {**LOA_DETAILS, "service_zip": "9410"})
    press(page, "Continue")
    expect(page.get_by_role("alert")).to_contain_text("5-digit ZIP code")
    check(page)
    fill(page, LOA_DETAILS)
    press(page, "Continue")

    expect_step(page, "Documents")
    check(page)
    page.get_by_label("What is the document?").select_option(label="Bill or statement")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "march-bill.pdf", "mimeType": "application/pdf", "buffer": bill_pdf()}
    )
    press(page, "Upload")
    expect(page.get_by_text("I've got march-bill.pdf")).to_be_visible()
    expect(page.get_by_label("Customer Service Record (CSR)")).to_be_visible()
    check(page)
    press(page, "Skip")

    expect_step(page, "Review")
    check(page)
    press(page, "Everything's right, sign")

    expect_step(page, "Sign")
    check(page)
    page.get_by_label("Type your full name to sign").fill("Jane Doe")
    page.get_by_label("I agree to sign this Letter of Authorization").check()
    press(page, "Continue")

    expect_step(page, "Submitted")
    check(page)


@pytest.mark.browser
def test_a_complete_intake_with_javascript_off_ends_with_the_reference(
    browser, wizard_app
):
    app, base_url = wizard_app
    page, problems = new_page(browser, javascript=False)

    walk(page, base_url)

    with app.app_context():
        references = db.session.scalars(select(PortRequest.reference)).all()
    reference = page.locator(".reference strong").inner_text()
    assert reference in references
    expect(page.locator("p.reference")).to_have_text(f"Your reference: {reference}")
    expect(page.locator("[aria-current=step]")).to_have_text("Submitted")
    link = page.get_by_role("link", name="Download your LOA").get_attribute("href")
    loa = page.request.get(base_url + link)
    assert loa.status == 200
    assert loa.headers["content-type"] == "application/pdf"
    assert problems == []
    page.context.close()


@pytest.mark.browser
def test_the_error_summary_takes_focus_and_its_link_moves_to_the_field(
    browser, wizard_app
):
    _app, base_url = wizard_app
    page, _problems = new_page(browser, javascript=False)
    page.goto(f"{base_url}/port")
    press(page, "Port my numbers")
    press(page, "Continue")

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(page).to_have_title("Error: Your numbers · Port your numbers · Rally Corp")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Phone numbers")).to_be_focused()

    page.get_by_label("Phone numbers").fill(NUMBER_TEXT)
    press(page, "Continue")
    expect_step(page, "Number type")
    press(page, "Back")
    expect_step(page, "Your numbers")
    press(page, "Start over")
    expect_step(page, "Welcome")
    expect(page.get_by_text("No problem, let's start again.")).to_be_visible()
    page.context.close()


@pytest.mark.browser
def test_a_form_sent_after_the_cookie_is_gone_gets_the_plain_400_page(
    browser, wizard_app
):
    _app, base_url = wizard_app
    page, _problems = new_page(browser, javascript=False)
    page.goto(f"{base_url}/port")
    press(page, "Port my numbers")
    page.context.clear_cookies()

    press(page, "Continue")

    expect(page.get_by_role("heading", level=1)).to_have_text("Please send that again")
    page.get_by_role("link", name="go back to your current step").click()
    expect_step(page, "Welcome")
    page.context.close()


def serious_violations(page) -> list[str]:
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    return [
        f"{page.title()}: {violation['id']} {[n['target'] for n in violation['nodes']]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_wizard_step_has_no_serious_axe_violations(browser, wizard_app, scheme):
    _app, base_url = wizard_app
    # axe itself is a script, so these pages are checked with JavaScript on.
    page, problems = new_page(browser, javascript=True, scheme=scheme)
    found: list[str] = []
    checked: list[str] = []

    def check(page) -> None:
        checked.append(page.title())
        found.extend(serious_violations(page))

    walk(page, base_url, check)
    page.context.clear_cookies()
    press(page, "Start over")
    expect(page.get_by_role("heading", level=1)).to_have_text("Please send that again")
    check(page)

    assert found == []
    steps = [
        title.removesuffix(" · Port your numbers · Rally Corp") for title in checked
    ]
    assert steps == [
        "Welcome",
        "Error: Your numbers",
        "Number type",
        "Can they move?",
        "Texting",
        "Error: Current provider",
        "Current provider",
        "Error: Authorization details",
        "Documents",
        "Documents",
        "Review",
        "Sign",
        "Submitted",
        "Please send that again · Rally Corp",
    ]
    assert problems == []
    page.context.close()
