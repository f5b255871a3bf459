import json

from playwright.sync_api import expect

from tests.browser.driver import ChatDriver
from tests.browser.driver import fresh_number

STORAGE_KEY = "porting-assistant:w1"
BLOCK_ALL_STORAGE = """
Object.defineProperty(window, "localStorage", {
  get() { throw new DOMException("Storage is blocked", "SecurityError"); },
});
"""
READ = (
    "(key) => { try { return localStorage.getItem(key); } catch (e) { return null; } }"
)
WRITE = "([key, value]) => localStorage.setItem(key, value)"


def chat_frame(page):
    return next(frame for frame in page.frames if "/chat?" in frame.url)


def storage_holder(page):
    """The chat frame's storage where the browser allows it, else the host page's."""
    frame = chat_frame(page)
    return frame if frame.evaluate(READ, STORAGE_KEY) else page.main_frame


def saved_conversation(page) -> dict:
    return json.loads(storage_holder(page).evaluate(READ, STORAGE_KEY))


def test_reload_resumes_the_transcript_and_the_current_step(page, host_url):
    number = fresh_number()
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    chat.choose("Port my numbers")
    chat.say(number)
    chat.choose("Mobile")
    saved = saved_conversation(page)

    page.reload()
    chat = ChatDriver.open_on(page)

    expect(chat.log.locator(".msg-user")).to_have_count(3)
    expect(chat.log.locator(".msg-user").nth(1)).to_have_text("You said: " + number)
    expect(chat.scope.get_by_role("button", name="Yes", exact=True)).to_be_visible()
    expect(chat.scope.locator("#progress-text")).to_have_text(
        "Step 4 of 11: Can they move?"
    )
    assert saved_conversation(page)["id"] == saved["id"]


def test_a_refused_token_starts_a_fresh_chat_instead_of_failing(page, host_url):
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    chat.choose("Port my numbers")
    old = saved_conversation(page)
    forged = json.dumps({"id": old["id"], "token": "not-the-token"})
    storage_holder(page).evaluate(WRITE, [STORAGE_KEY, forged])

    page.reload()
    chat = ChatDriver.open_on(page)

    expect(chat.log.locator(".msg-user")).to_have_count(0)
    expect(chat.scope.get_by_role("button", name="Port my numbers")).to_be_visible()
    assert saved_conversation(page)["id"] != old["id"]


def test_with_all_storage_blocked_the_chat_works_and_a_reload_starts_fresh(
    context, page, host_url
):
    context.add_init_script(BLOCK_ALL_STORAGE)
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    chat.choose("Port my numbers")
    chat.expect_said("Which numbers would you like to bring over?")

    page.reload()
    chat = ChatDriver.open_on(page)

    expect(chat.log.locator(".msg-user")).to_have_count(0)
    expect(chat.scope.get_by_role("button", name="Port my numbers")).to_be_visible()


def test_on_the_assistants_own_demo_page_the_chat_resumes_from_its_own_storage(
    page, app_url
):
    page.goto(app_url)
    chat = ChatDriver.open_on(page)
    chat.choose("Port my numbers")
    assert json.loads(chat_frame(page).evaluate(READ, STORAGE_KEY))["token"]

    page.reload()
    chat = ChatDriver.open_on(page)

    expect(chat.log.locator(".msg-user")).to_have_count(1)
    chat.expect_said("Which numbers would you like to bring over?")


def test_a_stale_reply_is_retried_once_without_bothering_the_customer(
    context, page, host_url, app_url
):
    calls = []

    def first_one_stale(route):
        calls.append(route.request.post_data_json)
        if len(calls) == 1:
            route.fulfill(
                status=409,
                content_type="application/json",
                body=json.dumps(
                    {"error": {"code": "stale", "message": "Please send it again."}}
                ),
            )
        else:
            route.continue_()

    context.route(f"{app_url}/api/conversations/*/messages", first_one_stale)
    page.goto(host_url)
    chat = ChatDriver.open_on(page)

    chat.choose("Port my numbers")

    assert calls == [{"choice": "port"}, {"choice": "port"}]
    chat.expect_said("Which numbers would you like to bring over?")
    expect(chat.scope.locator("#alert")).to_be_hidden()


def test_too_many_requests_shows_when_to_retry_and_keeps_the_typed_text(
    context, page, host_url, app_url
):
    message = "You've sent a lot of messages in a short time. Please wait 30 seconds."
    route = f"{app_url}/api/conversations/*/messages"
    context.route(
        route,
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "30"},
            content_type="application/json",
            body=json.dumps({"error": {"code": "rate_limited", "message": message}}),
        ),
    )
    page.goto(host_url)
    chat = ChatDriver.open_on(page)

    chat.composer.fill("How long does it take?")
    chat.composer.press("Enter")

    expect(chat.scope.get_by_role("alert")).to_have_text(message)
    expect(chat.composer).to_have_value("How long does it take?")

    context.unroute(route)
    chat.say("Port my numbers")
    expect(chat.composer).to_have_value("")
    expect(chat.scope.locator("#alert")).to_be_hidden()
