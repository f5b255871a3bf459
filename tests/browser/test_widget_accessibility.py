import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import publish_screenshot
from tests.browser.conftest import screenshot
from tests.browser.driver import FRAME
from tests.browser.driver import ChatDriver
from tests.browser.driver import fresh_number
from tests.browser.driver import update_screenshots
from tests.docgen import Bill
from tests.docgen import text_pdf_bill
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER

AXE = Axe()


def serious_violations(target, **options) -> list[str]:
    results = AXE.run(target, options={"resultTypes": ["violations"], **options})
    return [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def chat_frame(page):
    return next(frame for frame in page.frames if "/chat" in frame.url)


def test_demo_help_page_with_the_launcher_has_no_serious_axe_violations(page, app_url):
    page.goto(app_url)
    expect(page.get_by_role("button", name="Porting help")).to_be_visible()

    assert serious_violations(page, iframes=False) == []

    page.get_by_role("link", name="Start in the chat").click()
    chat = ChatDriver(page.frame_locator(FRAME))
    chat.expect_said("bring your phone numbers over")
    assert serious_violations(page, iframes=False) == []
    assert serious_violations(chat_frame(page)) == []

    chat.choose("Port my numbers")
    chat.say(fresh_number())
    shot = screenshot(page, "demo-help-page")
    if update_screenshots():
        publish_screenshot(shot)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chat_steps_have_no_serious_axe_violations(page, host_url, scheme):
    number = fresh_number()
    page.emulate_media(color_scheme=scheme)
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    assert serious_violations(chat_frame(page)) == []

    chat.choose("Port my numbers")
    chat.say(number)
    chat.choose("Mobile")
    chat.choose("Yes")
    chat.choose("No, calls only")
    chat.fill({**PROVIDER, "account_number": ""})
    chat.submit_form()
    expect(chat.scope.locator("#f-account_number-error")).to_be_visible()
    assert serious_violations(chat_frame(page)) == []

    chat.fill(PROVIDER)
    chat.submit_form()
    chat.choose("No")
    chat.fill(LOA_DETAILS)
    chat.submit_form()
    expect(chat.scope.locator("form.card-upload")).to_be_visible()
    assert serious_violations(chat_frame(page)) == []

    bill = text_pdf_bill(Bill(numbers=(number,), lines=("Mobile",)))
    chat.upload("Bill or statement", "march-bill.pdf", bill, "application/pdf")
    expect(chat.log.locator(".msg-document").last).to_contain_text("march-bill.pdf")
    assert serious_violations(chat_frame(page)) == []
    chat.choose("Skip")
    chat.expect_said("Letter of Authorization")
    assert serious_violations(chat_frame(page)) == []
    chat.choose("Everything's right, sign")
    expect(chat.scope.locator("#f-signature_name")).to_be_visible()
    assert serious_violations(chat_frame(page)) == []
    chat.fill({"signature_name": "Jane Doe", "signature_consent": True})
    chat.submit_form("Sign and send")
    chat.expect_said("PR-")
    assert serious_violations(chat_frame(page)) == []


def test_the_conversation_is_a_polite_live_log_that_new_messages_join(page, host_url):
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    log = chat.scope.get_by_role("log", name="Conversation")

    expect(log).to_have_attribute("aria-live", "polite")
    expect(log.locator(".msg")).to_have_count(1)
    chat.choose("Port my numbers")

    expect(log.locator(".msg-user")).to_have_text(["You said: Port my numbers"])
    expect(log.locator(".msg-assistant").last).to_contain_text(
        "Which numbers would you like to bring over?"
    )
    # Quick replies and forms sit outside the log, so a screen reader announces
    # only the conversation, not every button.
    expect(log.get_by_role("button")).to_have_count(0)
    expect(chat.scope.get_by_role("region", name="Your answer")).to_be_visible()
    expect(chat.composer).to_be_focused()
