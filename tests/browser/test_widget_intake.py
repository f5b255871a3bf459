import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.driver import ChatDriver
from tests.browser.driver import fresh_number
from tests.docgen import Bill
from tests.docgen import text_pdf_bill
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER


def walk_to_loa_details(chat: ChatDriver, number: str) -> None:
    chat.choose("Port my numbers")
    chat.say(number)
    chat.choose("Mobile")
    chat.choose("Yes")
    chat.choose("No, calls only")
    chat.fill(PROVIDER)
    chat.submit_form()
    chat.choose("No")


def test_full_mobile_intake_in_the_widget_ends_with_a_reference_and_a_signed_loa(
    page, host_url, app_url
):
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    screenshot(page, "desktop-welcome")

    number = fresh_number()
    walk_to_loa_details(chat, number)
    expect(chat.scope.locator("#progress-text")).to_have_text(
        "Step 7 of 11: Authorization details"
    )
    chat.fill({**LOA_DETAILS, "service_zip": "9410"})
    chat.submit_form()

    zip_field = chat.scope.locator("#f-service_zip")
    expect(zip_field).to_have_attribute("aria-invalid", "true")
    expect(zip_field).to_be_focused()
    error = chat.scope.locator("#f-service_zip-error")
    expect(error).to_be_visible()
    assert "f-service_zip-error" in zip_field.get_attribute("aria-describedby")
    expect(chat.scope.locator("#f-business_name")).to_have_value("Acme Plumbing")
    screenshot(page, "desktop-form-error")

    zip_field.fill(LOA_DETAILS["service_zip"])
    chat.submit_form()
    chat.expect_said("recent bill or statement")
    loa_link = chat.scope.get_by_role(
        "link", name=re.compile("Letter of Authorization")
    )
    expect(loa_link).to_have_attribute("href", re.compile(r"loa\.pdf\?sig="))

    bill = text_pdf_bill(Bill(numbers=(number,), lines=("Mobile",)))
    chat.upload("Bill or statement", "march-bill.pdf", bill, "application/pdf")
    document = chat.log.locator(".msg-document").last
    expect(document).to_contain_text("march-bill.pdf")
    expect(document.locator("li").first).to_be_visible()
    screenshot(page, "desktop-documents")

    chat.choose("Skip")
    chat.choose("Everything's right, sign")
    chat.fill({"signature_name": "Jane Doe", "signature_consent": True})
    chat.submit_form("Sign and send")

    chat.expect_said("PR-")
    events = page.evaluate("hostEvents.map(([name, detail]) => [name, detail])")
    submitted = [detail for name, detail in events if name == "submitted"]
    assert len(submitted) == 1
    assert re.fullmatch(r"PR-[A-Z0-9-]+", submitted[0]["reference"])
    expect(loa_link).to_have_text(re.compile("signed"))
    screenshot(page, "desktop-submitted")

    href = loa_link.get_attribute("href")
    assert "token" not in href.lower()
    response = page.request.get(app_url + href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_a_porting_question_mid_intake_is_answered_and_the_step_is_asked_again(
    page, host_url
):
    number = fresh_number()
    page.goto(host_url)
    chat = ChatDriver.open_on(page)
    chat.choose("Port my numbers")

    chat.say("How long does porting usually take?")

    answer = chat.log.locator(".msg-faq").last
    expect(answer).to_contain_text("Help article")
    expect(answer).to_contain_text("business days")
    expect(chat.log.locator(".msg-assistant").last).to_contain_text(
        "Which numbers would you like to bring over?"
    )
    expect(chat.composer).to_have_attribute("placeholder", "Type or paste your numbers")
    expect(chat.composer).to_have_value("")
    expect(chat.composer).to_be_focused()
    screenshot(page, "desktop-faq")

    chat.say(number)
    expect(chat.scope.get_by_role("button", name="Mobile", exact=True)).to_be_visible()
