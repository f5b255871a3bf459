import re

from playwright.sync_api import expect

from tests.browser.conftest import BRAND_GREEN
from tests.browser.driver import FRAME
from tests.browser.driver import ChatDriver


def rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def test_the_host_page_loads_only_the_loader_until_the_launcher_is_clicked(
    page, host_url, app_url
):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(host_url)
    page.wait_for_load_state("networkidle")

    from_app = [url for url in requested if url.startswith(app_url)]
    assert from_app == [f"{app_url}/widget.js"]
    expect(page.locator(FRAME)).to_have_count(0)

    ChatDriver.open_on(page)
    loaded = [url.removeprefix(app_url) for url in requested if url.startswith(app_url)]
    assert "/static/chat.js" in loaded
    assert "/static/chat.css" in loaded
    assert any(url.startswith("/chat?w=w1&parent=") for url in loaded)


def test_launcher_keeps_its_brand_colour_under_the_host_pages_strict_csp(
    page, host_url
):
    page.goto(host_url)
    launcher = page.get_by_role("button", name="Porting help")

    expect(launcher).to_have_css("background-color", rgb(BRAND_GREEN))
    expect(launcher).to_have_css("color", "rgb(255, 255, 255)")
    expect(launcher).to_have_css("position", "fixed")
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_stub_queued_calls_and_events_reach_the_host_page(page, host_url):
    page.goto(host_url)
    page.get_by_role("button", name="Open the assistant").click()
    frame = page.frame_locator(FRAME)
    expect(frame.locator("#log .msg")).not_to_have_count(0)
    # A person presses Escape once the chat has taken the focus, as it does on opening.
    expect(frame.locator(".choice").first).to_be_focused()

    page.keyboard.press("Escape")
    launcher = page.get_by_role("button", name="Porting help")
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")

    names = page.evaluate("hostEvents.map((event) => event[0])")
    assert names == ["ready", "opened", "closed"]


def test_chat_close_button_closes_the_panel_through_a_checked_message(page, host_url):
    page.goto(host_url)
    chat = ChatDriver.open_on(page)

    chat.scope.get_by_role("button", name="Close chat").click()

    expect(page.locator(FRAME)).to_be_hidden()
    assert page.evaluate("hostEvents.map((event) => event[0])")[-1] == "closed"


def test_messages_not_from_the_chat_frame_are_ignored(page, host_url):
    page.goto(host_url)
    ChatDriver.open_on(page)

    # Our listener runs after the widget's: once it has the message, so has the widget.
    page.evaluate(
        """new Promise((done) => {
          addEventListener("message", () => done(), {once: true});
          postMessage({type: "close", version: 1}, location.origin);
        })"""
    )

    expect(page.locator(FRAME)).to_be_visible()
    assert "closed" not in page.evaluate("hostEvents.map((event) => event[0])")


def test_loader_in_head_with_data_attributes_opens_on_the_left_at_load(page, host_url):
    page.goto(f"{host_url}/head.html")

    host = page.locator("[data-porting-assistant='help']")
    expect(host).to_have_count(1)
    launcher = page.get_by_role("button", name="Close chat")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    chat = ChatDriver(page.frame_locator(FRAME))
    chat.expect_said("bring your phone numbers over")
    box = launcher.bounding_box()
    assert box["x"] < 100
    assert re.search(r"[?&]w=help&", page.locator(FRAME).get_attribute("src"))


def test_two_widgets_on_one_page_keep_separate_conversations(page, host_url):
    page.goto(f"{host_url}/two.html")
    launchers = page.get_by_role("button", name="Porting help")
    expect(launchers).to_have_count(2)

    first = ChatDriver.open_on(page, 0)
    first.choose("Port my numbers")
    page.get_by_role("button", name="Close chat").click()
    second = ChatDriver.open_on(page, 1)

    expect(second.log.locator(".msg-user")).to_have_count(0)
    page.reload()
    first = ChatDriver.open_on(page, 0)
    expect(first.log.locator(".msg-user")).to_have_count(1)
