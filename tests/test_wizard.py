import io
import re
from html import unescape

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assistant.extensions import db
from assistant.models import Conversation
from assistant.models import PortRequest
from tests.conftest import Chat
from tests.conftest import build_app
from tests.conftest import make_config
from tests.intake_data import LOA_DETAILS
from tests.intake_data import NUMBER_TEXT
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf
from tests.intake_data import run_to_review


class Wizard:
    """Walks /port the way a browser without JavaScript does."""

    def __init__(self, client):
        self.client = client
        self.html = ""
        self.load()

    def load(self) -> str:
        response = self.client.get("/port")
        assert response.status_code == 200
        self.html = response.get_data(as_text=True)
        return self.html

    @property
    def step(self) -> str:
        return re.search(r'name="step" value="([^"]*)"', self.html).group(1)

    @property
    def heading(self) -> str:
        return re.search(r"<h1>(.*?)</h1>", self.html).group(1)

    @property
    def summary(self) -> list[str]:
        found = re.search(r'<div class="error-summary".*?</ul>', self.html, re.S)
        if not found:
            return []
        items = re.findall(r"<li>(.*?)</li>", found.group(0), re.S)
        return [unescape(item) for item in items]

    @property
    def messages(self) -> str:
        found = re.findall(
            r'<div class="message message-\w+"[^>]*>(.*?)</div>', self.html, re.S
        )
        text = re.sub(r"<[^>]+>", " ", " ".join(found))
        return unescape(" ".join(text.split()))

    def post(self, path: str = "/port", **data) -> str:
        data.setdefault("step", self.step)
        response = self.client.post(path, data=data)
        assert response.status_code == 303, response.status_code
        assert response.location == "/port"
        return self.load()

    def choose(self, choice: str) -> str:
        return self.post(choice=choice)

    def text(self, text: str) -> str:
        return self.post(text=text)

    def form(self, **values) -> str:
        return self.post(**values)

    def upload(self, kind: str, data: bytes, filename: str) -> str:
        return self.post("/port/upload", kind=kind, file=(io.BytesIO(data), filename))


def walk(wizard: Wizard, until: str, number_type: str = "mobile") -> None:
    """Answer the intake's steps in order until the wizard stands at `until`."""
    answers = {
        "welcome": lambda: wizard.choose("port"),
        "numbers": lambda: wizard.text(NUMBER_TEXT),
        "number_type": lambda: wizard.choose(number_type),
        "active": lambda: wizard.choose("yes"),
        "messaging_use": lambda: wizard.choose("none"),
        "provider": lambda: wizard.form(**PROVIDER),
        "full_port": lambda: wizard.choose("no"),
        "loa_details": lambda: wizard.form(**LOA_DETAILS),
        "documents": lambda: wizard.upload("bill", bill_pdf(), "march-bill.pdf"),
        "csr": lambda: wizard.choose("skip"),
    }
    while wizard.step != until:
        answers[wizard.step]()


def run_wizard_to_review(wizard: Wizard) -> None:
    walk(wizard, "review")


def saved_conversation(app) -> Conversation:
    with app.app_context():
        return db.session.scalars(select(Conversation)).one()


def conversation_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Conversation))


@pytest.fixture
def wizard(client):
    return Wizard(client)


def test_first_visit_shows_the_welcome_step_without_saving_a_conversation(app, wizard):
    assert wizard.heading == "Welcome"
    assert "Step 1 of 11: Welcome" in wizard.html
    assert '<li class="current" aria-current="step">Welcome</li>' in wizard.html
    assert 'name="choice" value="port">Port my numbers</button>' in wizard.html
    assert "Hi! I can help you bring your phone numbers over" in wizard.messages
    assert "<script" not in wizard.html
    assert 'value="start_over"' not in wizard.html
    assert conversation_count(app) == 0


def test_a_complete_intake_through_the_pages_ends_with_the_reference(app, wizard):
    run_wizard_to_review(wizard)
    assert wizard.heading == "Review"
    assert "Step 9 of 11: Review" in wizard.html
    assert "Numbers: (415) 867-5309" in wizard.messages
    assert "Download your LOA (PDF)" in wizard.html

    wizard.choose("submit")
    assert wizard.heading == "Sign"
    wizard.form(signature_name="Jane Doe", signature_consent="y")

    with app.app_context():
        reference = db.session.scalars(select(PortRequest.reference)).one()
    assert wizard.heading == "Submitted"
    assert f"Your reference: <strong>{reference}</strong>" in wizard.html
    assert f"Your reference is {reference}" in wizard.messages
    assert 'aria-current="step">Submitted</li>' in wizard.html


def test_the_pages_and_the_chat_collect_the_same_fields_for_the_same_answers(
    app, client, wizard
):
    run_wizard_to_review(wizard)
    chat = Chat(app.test_client())
    run_to_review(chat)

    with app.app_context():
        by_id = {c.id: c for c in db.session.scalars(select(Conversation))}
        from_chat = by_id.pop(chat.id)
        (from_wizard,) = by_id.values()
        assert from_wizard.state == from_chat.state == "review"
        assert from_wizard.slots["fields"] == from_chat.slots["fields"]
        assert from_wizard.secrets == from_chat.secrets
        assert from_wizard.slots["review_lines"] == from_chat.slots["review_lines"]


def test_every_step_shows_its_place_in_the_progress_list(wizard):
    answers = [
        ("choice", "port"),
        ("text", NUMBER_TEXT),
        ("choice", "mobile"),
        ("choice", "yes"),
        ("choice", "none"),
    ]
    seen = []
    for name, value in answers:
        wizard.post(**{name: value})
        current = re.findall(r'class="current" aria-current="step">(.*?)<', wizard.html)
        progress = re.search(r"Step (\d+) of 11: ([^<]+)<", wizard.html).groups()
        seen.append((wizard.step, current, progress, wizard.html.count('"done"')))

    assert seen == [
        ("numbers", ["Your numbers"], ("2", "Your numbers"), 1),
        ("number_type", ["Number type"], ("3", "Number type"), 2),
        ("active", ["Can they move?"], ("4", "Can they move?"), 3),
        ("messaging_use", ["Texting"], ("5", "Texting"), 4),
        ("provider", ["Current provider"], ("6", "Current provider"), 5),
    ]


def test_an_empty_numbers_box_gets_an_error_summary_and_runs_no_turn(app, wizard):
    wizard.choose("port")
    transcript = saved_conversation(app).transcript

    wizard.text("   ")

    assert wizard.summary == [
        '<a href="#numbers">Please type the numbers you\'d like to bring over, '
        "or upload a list.</a>"
    ]
    assert 'role="alert"' in wizard.html
    assert 'id="numbers" name="text"' in wizard.html
    assert 'aria-invalid="true" aria-describedby="numbers-error"' in wizard.html
    assert wizard.html.startswith("<!doctype html>")
    assert "<title>Error: Your numbers" in wizard.html
    assert saved_conversation(app).transcript == transcript


def test_numbers_the_engine_cannot_read_are_reported_and_kept_in_the_box(wizard):
    wizard.choose("port")
    wizard.text("415 867")

    assert wizard.step == "numbers"
    assert wizard.summary
    assert all(item.startswith('<a href="#numbers">') for item in wizard.summary)
    assert ">415 867</textarea>" in wizard.html
    wizard.load()
    assert wizard.summary == []
    assert "></textarea>" in wizard.html


def test_form_errors_link_to_each_field_and_keep_what_was_typed(wizard):
    walk(wizard, "loa_details")

    wizard.form(**{**LOA_DETAILS, "service_zip": "9410", "contact_email": ""})

    assert wizard.step == "loa_details"
    assert wizard.summary == [
        '<a href="#service_zip">Please enter a 5-digit ZIP code, like 94103 or '
        "94103-1234.</a>",
        '<a href="#contact_email">Please enter an e-mail address.</a>',
    ]
    assert 'id="contact_email-error"' in wizard.html
    assert 'value="ACME PLUMBING, LLC"' in wizard.html
    assert 'autocomplete="postal-code"' in wizard.html


def test_the_provider_form_shows_secrets_masked_after_a_mistake(wizard):
    walk(wizard, "provider")

    wizard.form(**{**PROVIDER, "carrier": ""})

    assert wizard.summary == [
        '<a href="#carrier">Please enter your current provider\'s name.</a>'
    ]
    assert PROVIDER["account_number"] not in wizard.html
    assert PROVIDER["pin"] not in wizard.html
    masked = re.search(r'id="account_number"[^>]*value="([^"]*)"', wizard.html)
    assert masked.group(1).endswith("09") and masked.group(1).startswith("•")

    wizard.form(**{**PROVIDER, "account_number": masked.group(1)})
    assert wizard.step == "full_port"


def test_back_returns_to_the_previous_step_and_start_over_to_the_welcome(wizard):
    wizard.choose("port")
    wizard.text(NUMBER_TEXT)
    assert wizard.step == "number_type"
    assert 'value="back">Back</button>' in wizard.html

    wizard.choose("back")
    assert wizard.step == "numbers"

    wizard.choose("start_over")
    assert wizard.step == "welcome"
    assert "No problem, let's start again." in wizard.messages
    assert 'value="back"' not in wizard.html


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("(212) 736-4011", "(212) 736-4011"),
        ("212-736-4011, 2127364012", "(212) 736-4011\n(212) 736-4012"),
    ],
)
def test_back_from_the_number_type_shows_the_numbers_entered_in_the_box(
    wizard, typed, shown
):
    wizard.choose("port")
    wizard.text(typed)
    assert wizard.step == "number_type"

    wizard.choose("back")

    assert wizard.step == "numbers"
    assert f'autocomplete="off">{shown}</textarea>' in wizard.html
    wizard.text(typed)
    assert wizard.step == "number_type"


def test_the_number_type_page_names_the_two_numbers_it_asks_about(wizard):
    wizard.choose("port")

    wizard.text("(212) 736-4011\n(212) 736-4012")

    assert wizard.step == "number_type"
    assert (
        "What kind of numbers are (212) 736-4011 and (212) 736-4012?" in wizard.messages
    )


def test_the_next_request_of_a_mixed_list_shows_the_provider_form_filled_in(wizard):
    wizard.choose("port")
    wizard.text(f"{NUMBER_TEXT}, (888) 555-2671")
    walk(wizard, "review", number_type="landline")
    wizard.choose("submit")
    wizard.form(signature_name="Jane Doe", signature_consent="y")
    wizard.choose("next")
    assert "I've kept the details they share." in wizard.messages

    walk(wizard, "provider")

    assert f'value="{PROVIDER["carrier"]}"' in wizard.html
    assert '<option selected value="business">' in wizard.html
    assert re.search(r'id="account_number"[^>]*value="•+09"', wizard.html)
    assert re.search(r'id="pin"[^>]*value="••••"', wizard.html)
    assert PROVIDER["account_number"] not in wizard.html
    masked = re.search(r'id="account_number"[^>]*value="([^"]*)"', wizard.html)
    wizard.form(**{**PROVIDER, "account_number": masked.group(1), "pin": "••••"})
    assert wizard.step == "full_port"


def test_an_answer_from_an_out_of_date_page_is_not_applied(app, wizard):
    wizard.choose("port")
    wizard.text(NUMBER_TEXT)

    wizard.post(choice="yes", step="numbers")

    assert wizard.step == "number_type"
    assert wizard.summary == [
        "This request had already moved on, so we didn't use that answer. "
        "Here is the step you're on now."
    ]
    assert saved_conversation(app).state == "number_type"


def test_a_choice_the_step_does_not_offer_shows_the_engines_message(wizard):
    wizard.choose("port")
    wizard.text(NUMBER_TEXT)

    wizard.choose("landline-or-not")

    assert wizard.step == "number_type"
    assert wizard.summary == [
        '<a href="#choices">That option isn\'t available at this step. Please pick '
        "one of the options shown.</a>"
    ]
    assert 'aria-describedby="choices-error"' in wizard.html
    assert '<p class="field-error" id="choices-error">' in wizard.html
    assert "<title>Error: Number type" in wizard.html


UNREADABLE_HINT = (
    "Please type the phone numbers with their area code, like (415) 555-2671."
)


def walk_to_remaining_numbers(wizard: Wizard) -> None:
    walk(wizard, "provider")
    wizard.form(**PROVIDER)
    wizard.choose("yes")
    assert wizard.step == "remaining_numbers"


@pytest.mark.parametrize(
    ("reach", "field", "title"),
    [
        (lambda wizard: wizard.choose("port"), "numbers", "Your numbers"),
        (walk_to_remaining_numbers, "remaining_numbers", "Current provider"),
    ],
)
def test_unreadable_numbers_get_the_error_summary_an_empty_box_gets(
    wizard, reach, field, title
):
    reach(wizard)

    wizard.text("abc")

    assert wizard.summary == [f'<a href="#{field}">{UNREADABLE_HINT}</a>']
    assert f"<title>Error: {title}" in wizard.html
    assert f'aria-invalid="true" aria-describedby="{field}-error"' in wizard.html
    assert f'<p class="field-error" id="{field}-error">' in wizard.html
    assert ">abc</textarea>" in wizard.html
    assert "didn't quite get that" not in wizard.messages


def test_a_refused_answer_shows_only_the_question_not_the_earlier_messages(wizard):
    wizard.choose("port")
    wizard.text("abc")

    wizard.text("   ")

    assert wizard.summary == [
        '<a href="#numbers">Please type the numbers you\'d like to bring over, '
        "or upload a list.</a>"
    ]
    assert "didn't quite get that" not in wizard.messages
    assert wizard.messages.startswith("Which numbers would you like to bring over?")


def test_a_question_typed_on_the_faq_step_gets_an_answer_on_the_page(wizard):
    wizard.choose("faq")
    assert wizard.step == "faq"
    assert '<label for="question">Your question</label>' in wizard.html

    wizard.text("How long does porting take?")

    assert wizard.step == "faq"
    assert wizard.summary == []
    assert len(wizard.messages) > 80
    assert 'value="port">Port my numbers</button>' in wizard.html


def test_a_number_list_can_be_uploaded_on_the_numbers_step(wizard):
    wizard.choose("port")
    assert 'accept=".csv,.txt,text/csv,text/plain"' in wizard.html
    assert '<input type="hidden" name="kind" value="number_list">' in wizard.html

    wizard.upload("number_list", b"number\n415-867-5309\n", "numbers.csv")

    assert wizard.step == "number_type"


def test_the_documents_step_offers_a_kind_select_and_refuses_a_wrong_file(wizard):
    walk(wizard, "documents", number_type="landline")
    assert '<option value="portal_screenshot">' in wizard.html

    wizard.upload("bill", b"just some words, not a document", "bill.txt")

    assert wizard.step == "documents"
    assert len(wizard.summary) == 1
    assert wizard.summary[0].startswith('<a href="#file">')
    assert 'id="file-error"' in wizard.html

    wizard.upload("bill", bill_pdf(), "march-bill.pdf")
    assert wizard.step in ("csr", "documents")


def test_an_upload_of_a_kind_the_step_does_not_take_is_refused(wizard):
    wizard.choose("port")
    wizard.upload("bill", bill_pdf(), "march-bill.pdf")

    assert wizard.step == "numbers"
    assert wizard.summary == [
        '<a href="#kind">Please choose what the document is from the list, then '
        "upload it.</a>"
    ]


def test_an_upload_larger_than_the_limit_gets_a_message_on_the_step(tmp_path):
    app = build_app(make_config(tmp_path, MAX_FILE_BYTES=1024))
    wizard = Wizard(app.test_client())
    wizard.choose("port")

    wizard.upload("number_list", b"4158675309\n" * 20_000, "numbers.csv")

    assert wizard.step == "numbers"
    assert wizard.summary == [
        '<a href="#file">That file is larger than we can take (1 KB at most). '
        "Please upload a smaller copy, for example a PDF of just the pages "
        "needed.</a>"
    ]


def test_the_loa_link_redirects_to_a_short_lived_pdf_address(client, wizard):
    run_wizard_to_review(wizard)

    response = client.get("/port/loa.pdf")

    assert response.status_code == 303
    assert re.fullmatch(
        r"/api/conversations/\w+/loa\.pdf\?sig=[\w.-]+", response.location
    )
    pdf = client.get(response.location)
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"


def test_the_loa_link_before_the_details_are_in_says_it_is_not_ready(client, wizard):
    wizard.choose("port")

    response = client.get("/port/loa.pdf")

    assert response.status_code == 303
    wizard.load()
    assert wizard.summary == [
        "The letter isn't ready yet. It can be made once the authorization "
        "details are filled in."
    ]
    assert "Download your LOA" not in wizard.html


def test_the_session_cookie_is_http_only_and_same_site_lax(client, wizard):
    client.post("/port", data={"step": "welcome", "choice": "port"})

    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_another_browser_does_not_see_the_conversation(app, wizard):
    wizard.choose("port")

    other = Wizard(app.test_client())

    assert other.step == "welcome"
    assert saved_conversation(app).state == "numbers"


def test_a_post_without_the_csrf_token_gets_a_clear_400_page_and_changes_nothing(
    tmp_path,
):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    page = client.get("/port").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/port", data={"csrf_token": token, "step": "welcome", "choice": "port"}
    )
    assert accepted.status_code == 303

    refused = client.post("/port", data={"step": "numbers", "text": NUMBER_TEXT})

    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "<h1>Please send that again</h1>" in body
    assert "nothing was changed" in body
    assert '<a href="/port">go back to your current step</a>' in body
    conversation = saved_conversation(app)
    assert conversation.state == "numbers"
    assert [m["text"] for m in conversation.transcript if m["role"] == "user"] == [
        "Port my numbers"
    ]


def test_an_upload_without_the_csrf_token_is_refused_too(tmp_path):
    app = build_app(make_config(tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()

    refused = client.post(
        "/port/upload",
        data={"kind": "number_list", "file": (io.BytesIO(b"4158675309"), "n.csv")},
    )

    assert refused.status_code == 400
    assert "Please send that again" in refused.get_data(as_text=True)
    assert conversation_count(app) == 0
