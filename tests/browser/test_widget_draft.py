import json

import pytest
from playwright.sync_api import expect

from tests.browser.driver import ChatDriver
from tests.browser.driver import fresh_number
from tests.browser.test_widget_resume import READ
from tests.browser.test_widget_resume import STORAGE_KEY
from tests.browser.test_widget_resume import chat_frame
from tests.intake_data import PROVIDER

# Third-party storage switched off for certain: the chat keeps its state on the
# host page, through the loader.
BLOCK_FRAME_STORAGE = """
if (location.pathname === "/chat") {
  Object.defineProperty(window, "localStorage", {
    get() { throw new DOMException("Storage is blocked", "SecurityError"); },
  });
}
"""


def walk_to_provider_form(chat: ChatDriver) -> None:
    chat.choose("Port my numbers")
    chat.say(fresh_number())
    chat.choose("Mobile")
    chat.choose("Yes")
    chat.choose("No, calls only")
    expect(chat.scope.locator("#f-carrier")).to_be_visible()


def stored_text(page, own_page: bool) -> str:
    holder = chat_frame(page) if own_page else page.main_frame
    return holder.evaluate(READ, STORAGE_KEY)


@pytest.mark.parametrize(
    "own_page", [True, False], ids=["chat-frame-storage", "host-page-storage"]
)
def test_an_unsent_provider_form_survives_a_reload_without_its_secrets(
    context, page, app_url, host_url, own_page
):
    if not own_page:
        context.add_init_script(BLOCK_FRAME_STORAGE)
    page.goto(app_url if own_page else host_url)
    chat = ChatDriver.open_on(page)
    walk_to_provider_form(chat)

    chat.fill({**PROVIDER, "account_type": "residential"})
    page.reload()
    chat = ChatDriver.open_on(page)

    expect(chat.scope.locator("#f-carrier")).to_have_value(PROVIDER["carrier"])
    expect(chat.scope.locator("#f-account_type")).to_have_value("residential")
    expect(chat.scope.locator("#f-account_number")).to_have_value("")
    expect(chat.scope.locator("#f-pin")).to_have_value("")
    kept = stored_text(page, own_page)
    assert json.loads(kept)["draft"]["values"]["carrier"] == PROVIDER["carrier"]
    assert PROVIDER["pin"] not in kept
    assert PROVIDER["account_number"] not in kept

    chat.fill({"account_number": PROVIDER["account_number"], "pin": PROVIDER["pin"]})
    chat.submit_form()
    expect(chat.scope.get_by_role("button", name="No", exact=True)).to_be_visible()
    page.reload()
    chat = ChatDriver.open_on(page)

    expect(chat.scope.get_by_role("button", name="No", exact=True)).to_be_visible()
    expect(chat.scope.locator("form.card-form")).to_have_count(0)
    kept = stored_text(page, own_page)
    assert json.loads(kept)["draft"] is None
    assert PROVIDER["carrier"] not in kept


def test_a_form_sent_back_with_errors_keeps_its_draft_for_a_reload(page, host_url):
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    walk_to_provider_form(chat)

    chat.fill({"carrier": PROVIDER["carrier"], "pin": PROVIDER["pin"]})
    chat.submit_form()
    expect(chat.scope.locator("#f-account_number")).to_have_attribute(
        "aria-invalid", "true"
    )
    page.reload()
    chat = ChatDriver.open_on(page)

    expect(chat.scope.locator("#f-carrier")).to_have_value(PROVIDER["carrier"])
    expect(chat.scope.locator("#f-account_number")).to_have_value("")
    # The server holds the PIN it was sent and shows it masked; never the digits.
    expect(chat.scope.locator("#f-pin")).to_have_value("••••")
