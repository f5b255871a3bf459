import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.driver import FRAME
from tests.browser.driver import ChatDriver
from tests.browser.driver import fresh_number
from tests.intake_data import PROVIDER

PHONE = {"width": 375, "height": 667}


def chat_frame(page):
    return next(frame for frame in page.frames if "/chat?" in frame.url)


@pytest.mark.parametrize("viewport", [PHONE])
def test_on_a_phone_the_chat_fills_the_screen_with_a_zoom_free_composer(
    page, host_url, viewport
):
    number = fresh_number()
    page.goto(host_url)
    launcher = page.get_by_role("button", name="Porting help")
    box = launcher.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] + box["height"] <= PHONE["height"]

    chat = ChatDriver.open_on(page)
    frame_box = page.locator(FRAME).bounding_box()
    assert frame_box == {"x": 0, "y": 0, **PHONE}
    expect(launcher).to_be_hidden()
    composer_box = chat.composer.bounding_box()
    assert composer_box["y"] + composer_box["height"] <= PHONE["height"]
    font_size = chat.composer.evaluate("node => getComputedStyle(node).fontSize")
    assert float(font_size.removesuffix("px")) >= 16
    screenshot(page, "phone-welcome")

    chat.choose("Port my numbers")
    chat.say(number)
    chat.choose("Mobile")
    chat.choose("Yes")
    chat.choose("No, calls only")
    inputs = chat.scope.locator("form.card-form input, form.card-form select")
    sizes = inputs.evaluate_all(
        "nodes => nodes.map((n) => getComputedStyle(n).fontSize)"
    )
    assert sizes and all(float(size.removesuffix("px")) >= 16 for size in sizes)
    overflow = chat_frame(page).evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    screenshot(page, "phone-form")

    chat.scope.get_by_role("button", name="Close chat").click()
    expect(launcher).to_be_visible()


@pytest.mark.parametrize("viewport", [{"width": 320, "height": 568}])
def test_at_320_pixels_wide_the_provider_form_fits_without_sideways_scrolling(
    page, app_url, viewport
):
    number = fresh_number()
    page.goto(f"{app_url}/chat")
    chat = ChatDriver(page)
    chat.choose("Port my numbers")
    chat.say(number)
    chat.choose("Mobile")
    chat.choose("Yes")
    chat.choose("No, calls only")

    expect(page.locator("#f-carrier")).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0


def focused_outline(page) -> str:
    return chat_frame(page).evaluate(
        "getComputedStyle(document.activeElement).outlineStyle"
    )


def test_keyboard_only_customer_can_open_answer_fill_a_form_and_close(page, host_url):
    number = fresh_number()
    page.goto(host_url)
    launcher = page.get_by_role("button", name="Porting help")
    for _ in range(6):
        page.keyboard.press("Tab")
        if launcher.evaluate("node => node.getRootNode().activeElement === node"):
            break
    expect(launcher).to_be_focused()

    page.keyboard.press("Enter")
    chat = ChatDriver(page.frame_locator(FRAME))
    port = chat.scope.get_by_role("button", name="Port my numbers")
    expect(port).to_be_focused()
    assert focused_outline(page) == "solid"

    page.keyboard.press("Enter")
    expect(chat.composer).to_be_focused()
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    expect(chat.scope.get_by_role("button", name="Mobile", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(chat.scope.get_by_role("button", name="Yes", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    texting = chat.scope.get_by_role("button", name="Yes, business texts", exact=False)
    expect(texting).to_be_focused()
    page.keyboard.press("Tab")
    expect(chat.scope.get_by_role("button", name="No, calls only")).to_be_focused()
    page.keyboard.press("Enter")

    expect(chat.scope.get_by_role("heading", name="Current provider")).to_be_focused()
    page.keyboard.press("Tab")
    expect(chat.scope.locator("#f-carrier")).to_be_focused()
    page.keyboard.type(PROVIDER["carrier"])
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(chat.scope.locator("#f-account_number")).to_be_focused()
    page.keyboard.type(PROVIDER["account_number"])
    page.keyboard.press("Tab")
    page.keyboard.type(PROVIDER["pin"])
    page.keyboard.press("Enter")

    chat.expect_said("other numbers that will stay")
    expect(chat.scope.get_by_role("button", name="Yes", exact=True)).to_be_focused()

    page.keyboard.press("Escape")
    expect(launcher).to_be_focused()
    expect(page.locator(FRAME)).to_be_hidden()


@pytest.mark.parametrize("viewport", [PHONE])
def test_when_the_soft_keyboard_takes_half_the_screen_the_composer_stays_visible(
    page, host_url, viewport
):
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    chat.choose("Port my numbers")
    chat.composer.focus()

    # What the phone's keyboard does to the page: the visible area gets shorter.
    page.set_viewport_size({"width": 375, "height": 360})

    expect(page.locator(FRAME)).to_have_js_property("offsetHeight", 360)
    composer = chat.composer.bounding_box()
    assert composer["y"] >= 0
    assert composer["y"] + composer["height"] <= 360
    expect(chat.composer).to_be_focused()
