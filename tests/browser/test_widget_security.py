import json
import re

from playwright.sync_api import expect

from tests.browser.driver import FRAME
from tests.browser.driver import ChatDriver
from tests.browser.driver import fresh_number
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER

MARKUP = '<img src="/x" id="injected"><b id="bold">bold</b>'
# Runs in every frame before its own scripts: what each window receives.
RECORD_MESSAGES = """
window.seenMessages = [];
addEventListener("message", (event) => {
  seenMessages.push({origin: event.origin, data: event.data});
});
"""
SCHEMA = {
    "from the chat": {"ready", "load", "store", "close", "submitted"},
    "from the page": {"open", "stored"},
}
EXTRA_KEYS = {"conversation", "reference"}


def chat_frame(page):
    return next(frame for frame in page.frames if "/chat?" in frame.url)


def saved_token(page) -> str:
    """The conversation token, from wherever the browser let the chat keep it."""
    read = (
        "(key) => { try { return localStorage.getItem(key); } catch { return null; } }"
    )
    for frame in (chat_frame(page), page.main_frame):
        saved = frame.evaluate(read, "porting-assistant:w1")
        if saved:
            return json.loads(saved)["token"]
    raise AssertionError("the chat saved no conversation")


def walk_to_documents(chat: ChatDriver) -> None:
    chat.choose("Port my numbers")
    chat.say(fresh_number())
    chat.choose("Mobile")
    chat.choose("Yes")
    chat.choose("No, calls only")
    chat.fill(PROVIDER)
    chat.submit_form()
    chat.choose("No")
    chat.fill(LOA_DETAILS)
    chat.submit_form()
    chat.expect_said("recent bill or statement")


def test_markup_typed_into_the_chat_is_shown_as_text(page, host_url):
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    chat.choose("Port my numbers")
    chat.say(fresh_number())
    chat.choose("Mobile")
    chat.choose("Yes")
    chat.choose("No, calls only")

    chat.fill({**PROVIDER, "carrier": MARKUP, "account_number": ""})
    chat.submit_form()
    expect(chat.scope.locator("#f-account_number-error")).to_be_visible()
    expect(chat.scope.locator("#f-carrier")).to_have_value(MARKUP)
    chat.say(MARKUP)

    expect(chat.log.locator(".msg-user").last).to_have_text("You said: " + MARKUP)
    expect(chat.scope.locator("#injected, #bold")).to_have_count(0)


def test_the_conversation_token_never_appears_in_any_address(
    context, page, host_url, app_url
):
    requests = []
    context.on("request", lambda request: requests.append(request))
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    walk_to_documents(chat)
    link = chat.scope.get_by_role("link", name=re.compile("Letter of Authorization"))
    expect(link).to_have_attribute("href", re.compile(r"loa\.pdf\?sig="))

    with page.expect_popup() as popup:
        link.click()
    letter = popup.value
    letter.wait_for_load_state()
    token = saved_token(page)

    assert re.fullmatch(
        r"/api/conversations/\w+/loa\.pdf\?sig=[\w.-]+", letter.url[len(app_url) :]
    )
    addresses = [request.url for request in requests]
    addresses += [request.headers.get("referer", "") for request in requests]
    addresses += [frame.url for frame in page.frames] + [letter.url]
    assert any("/api/conversations/" in address for address in addresses)
    assert [address for address in addresses if token in address] == []
    # The token travels only in the Authorization header of the chat's own calls.
    carrying = {
        request.url.split("?")[0].removeprefix(app_url)
        for request in requests
        if request.headers.get("authorization") == f"Bearer {token}"
    }
    assert carrying and all(url.startswith("/api/") for url in carrying)
    letter.close()


def test_page_and_frame_exchange_only_versioned_messages_from_each_others_origin(
    context, page, host_url, app_url
):
    context.add_init_script(RECORD_MESSAGES)
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    chat.choose("Port my numbers")
    chat.scope.get_by_role("button", name="Close chat").click()
    expect(page.locator(FRAME)).to_be_hidden()

    received = {
        "from the chat": page.evaluate("seenMessages"),
        "from the page": chat_frame(page).evaluate("seenMessages"),
    }
    senders = {"from the chat": app_url, "from the page": host_url}

    assert {m["data"]["type"] for m in received["from the chat"]} >= {"ready", "close"}
    assert {m["data"]["type"] for m in received["from the page"]} >= {"open"}
    for direction, messages in received.items():
        for message in messages:
            data = message["data"]
            assert message["origin"] == senders[direction], message
            assert data["version"] == 1, message
            assert data["type"] in SCHEMA[direction], message
            assert set(data) - {"type", "version"} <= EXTRA_KEYS, message


def test_the_widget_ignores_its_frames_messages_without_the_right_version(
    page, host_url
):
    page.goto(host_url)
    ChatDriver.open_on(page)
    frame = chat_frame(page)
    send = "([message, origin]) => parent.postMessage(message, origin)"
    wrong = [
        {"type": "submitted", "reference": "PR-NOVERSION"},
        {"type": "submitted", "version": 2, "reference": "PR-VERSION2"},
        {"type": "submitted", "version": "1", "reference": "PR-TEXTVERSION"},
        {"type": "submitted", "version": 1, "reference": 7},
        "submitted",
    ]

    for message in [*wrong, {"type": "submitted", "version": 1, "reference": "PR-OK"}]:
        frame.evaluate(send, [message, host_url])
    # Messages from one sender arrive in order, so once the last one has been
    # handled every wrong one before it has been seen too.
    page.wait_for_function("hostEvents.some(([name]) => name === 'submitted')")

    events = page.evaluate("hostEvents")
    assert [detail for name, detail in events if name == "submitted"] == [
        {"reference": "PR-OK"}
    ]


def test_a_chat_framed_for_another_origin_posts_nothing_to_the_page(
    context, page, host_url, app_url
):
    context.add_init_script(RECORD_MESSAGES)
    page.goto(host_url)
    page.evaluate(
        """(src) => {
          const frame = document.createElement("iframe");
          frame.title = "Borrowed chat";
          frame.src = src;
          document.body.append(frame);
        }""",
        f"{app_url}/chat?w=borrowed&parent=https://evil.example",
    )
    chat = ChatDriver(page.frame_locator("iframe[title='Borrowed chat']"))
    chat.expect_said("bring your phone numbers over")
    chat.choose("Port my numbers")

    assert page.evaluate("seenMessages") == []


def test_the_host_page_opens_and_closes_the_widget_through_its_api(page, host_url):
    page.goto(host_url)
    launcher = page.get_by_role("button", name="Porting help")
    expect(launcher).to_be_visible()

    page.evaluate("PortingAssistant.open()")
    chat = ChatDriver(page.frame_locator(FRAME))
    chat.expect_said("bring your phone numbers over")
    expect(page.get_by_role("button", name="Close chat")).to_have_attribute(
        "aria-expanded", "true"
    )
    page.evaluate("PortingAssistant.close()")

    expect(page.locator(FRAME)).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    names = page.evaluate("hostEvents.map((event) => event[0])")
    assert names == ["ready", "opened", "closed"]
