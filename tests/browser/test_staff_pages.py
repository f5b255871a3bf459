import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from werkzeug.serving import make_server

from assistant.extensions import db
from tests.conftest import build_app
from tests.conftest import make_config
from tests.staff_fixtures import CUSTOMER_EMAIL
from tests.staff_fixtures import STAFF_EMAIL
from tests.staff_fixtures import STAFF_PASSWORD
from tests.staff_fixtures import add_request
from tests.staff_fixtures import add_staff_user

AXE = Axe()


@pytest.fixture
def staff_site(tmp_path):
    """The app with CSRF on, one staff account and one request, on its own port."""
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        add_staff_user()
        reference = add_request().reference
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", reference
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def serious_violations(page) -> list[str]:
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    return [
        f"{page.title()}: {violation['id']} {[n['target'] for n in violation['nodes']]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_staff_and_status_pages_have_no_serious_axe_violations(
    browser, staff_site, scheme
):
    base_url, reference = staff_site
    context = browser.new_context(color_scheme=scheme, reduced_motion="reduce")
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
    found: list[str] = []
    checked: list[str] = []

    def check() -> None:
        checked.append(page.title().split(" · ")[0])
        found.extend(serious_violations(page))

    page.goto(f"{base_url}/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    press(page, "Sign in")
    expect(page.get_by_text("Enter your e-mail.")).to_be_visible()
    check()
    page.get_by_label("E-mail").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    press(page, "Sign in")

    expect(page.get_by_role("heading", level=1)).to_have_text("Porting requests")
    page.get_by_label("Status").select_option("submitted")
    press(page, "Filter")
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    check()
    page.get_by_role("link", name=reference).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    press(page, "Reveal account number and PIN")
    expect(page.get_by_text("your reveal was recorded")).to_be_visible()
    page.get_by_label("New status").select_option("rejected")
    press(page, "Change status")
    summary = page.get_by_role("alert").get_by_role("link")
    expect(summary).to_have_text(
        "Rejection reason: A rejection needs the carrier's reason."
    )
    expect(page.locator("#reason-error")).to_contain_text(
        "A rejection needs the carrier's reason."
    )
    check()
    page.get_by_label("Rejection reason").select_option("pin")
    press(page, "Change status")
    done = "Status changed to “Rejected”. The customer has been e-mailed."
    expect(page.get_by_role("status")).to_have_text(done)
    check()
    page.get_by_role("link", name="Intake flow").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How the intake flows")
    check()
    press(page, "Sign out")
    expect(page.get_by_role("status")).to_have_text("You're signed out.")

    page.goto(f"{base_url}/status")
    page.get_by_label("Reference").fill("PR-NOTFOUND")
    page.get_by_label("E-mail address").fill(CUSTOMER_EMAIL)
    press(page, "Show the status")
    expect(page.get_by_role("alert")).to_contain_text("We couldn't find a request")
    check()
    page.get_by_label("Reference").fill(reference)
    press(page, "Show the status")
    expect(page.get_by_text("What to fix:")).to_be_visible()
    check()

    assert found == []
    assert checked == [
        "Sign in",
        "Requests",
        reference,
        reference,
        "Intake flow",
        "Check your porting request",
        f"{reference}: Needs a correction",
    ]
    assert problems == []
    context.close()


@pytest.mark.browser
def test_staff_tables_scroll_in_their_own_box_at_320_pixels(browser, staff_site):
    base_url, reference = staff_site
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{base_url}/staff/login")
    page.get_by_label("E-mail").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    press(page, "Sign in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Porting requests")

    widths = {}
    for path in ("/staff/", f"/staff/requests/{reference}", "/staff/flows"):
        page.goto(base_url + path)
        box = page.locator(".table-scroll").first
        expect(box).to_have_attribute("tabindex", "0")
        expect(box).to_have_attribute("role", "region")
        box.focus()
        widths[path] = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert serious_violations(page) == []

    assert all(page_width <= 320 for page_width, _ in widths.values()), widths
    context.close()
