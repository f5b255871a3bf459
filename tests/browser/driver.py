"""Drives the chat the way a customer does: in the widget's frame on a host page."""

import itertools
import os
import re

from playwright.sync_api import FrameLocator
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect

FRAME = "iframe[title='Porting help chat']"
# A number can have only one open request, so every test moves numbers of its own.
_LINES = itertools.count(5310)


def fresh_number() -> str:
    return f"(415) 867-{next(_LINES):04d}"


class ChatDriver:
    def __init__(self, scope: FrameLocator | Page):
        self.scope = scope

    @classmethod
    def open_on(cls, page: Page, launcher_index: int = 0) -> "ChatDriver":
        page.get_by_role("button", name="Porting help").nth(launcher_index).click()
        chat = cls(page.frame_locator(FRAME).nth(launcher_index))
        chat.expect_said("bring your phone numbers over")
        return chat

    @property
    def log(self) -> Locator:
        return self.scope.locator("#log")

    @property
    def composer(self) -> Locator:
        return self.scope.get_by_label("Message")

    def expect_said(self, text: str) -> None:
        pattern = re.compile(re.escape(text), re.IGNORECASE)
        expect(
            self.log.locator(".msg-assistant", has_text=pattern).last
        ).to_be_visible()

    def choose(self, label: str) -> None:
        before = self.log.locator(".msg").count()
        self.scope.get_by_role("button", name=label, exact=True).click()
        self.wait_for_reply(before)

    def say(self, text: str) -> None:
        before = self.log.locator(".msg").count()
        self.composer.fill(text)
        self.composer.press("Enter")
        self.wait_for_reply(before)

    def fill(self, values: dict) -> None:
        for name, value in values.items():
            field = self.scope.locator(f"#f-{name}")
            if isinstance(value, bool):
                field.set_checked(value)
            elif field.evaluate("node => node.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)

    def submit_form(self, button: str = "Continue") -> None:
        before = self.log.locator(".msg").count()
        self.scope.locator("form.card-form").get_by_role("button", name=button).click()
        self.wait_for_reply(before)

    def upload(self, kind_label: str, filename: str, data: bytes, mime: str) -> None:
        card = self.scope.locator("form.card-upload")
        kind = card.get_by_label("What is it?")
        if kind.is_visible():
            kind.select_option(label=kind_label)
        card.get_by_label("File").set_input_files(
            {"name": filename, "mimeType": mime, "buffer": data}
        )
        before = self.log.locator(".msg").count()
        card.get_by_role("button", name="Upload").click()
        self.wait_for_reply(before)

    def wait_for_reply(self, before: int) -> None:
        """A turn is over once the customer's echo is in and nothing is pending."""
        expect(self.log.locator(".msg")).not_to_have_count(before)
        expect(self.log).to_have_attribute("aria-busy", "false")

    def progress(self) -> str:
        return self.scope.locator("#progress-text").inner_text()


def update_screenshots() -> bool:
    return os.environ.get("ASSISTANT_UPDATE_SCREENSHOTS") == "1"
