import pytest

from assistant.extensions import db
from assistant.knowledge import KnowledgeBase
from assistant.models import Conversation
from flows.intake import prompt_lines
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.intake_data import bill_pdf

PORT = [("choice", "port"), ("text", "415 867 5309")]
TO_PROVIDER = [*PORT, ("choice", "landline"), ("choice", "yes"), ("choice", "none")]
TO_LOA = [*TO_PROVIDER, ("form", PROVIDER), ("choice", "no")]
TO_DOCUMENTS = [*TO_LOA, ("form", LOA_DETAILS)]
TO_REVIEW = [*TO_DOCUMENTS, ("upload", "bill"), ("choice", "skip")]
TWO_NUMBERS = [
    ("choice", "port"),
    ("text", "415 867 5309, 415 867 5310"),
    ("choice", "landline"),
    ("choice", "yes"),
    ("choice", "none"),
    ("form", PROVIDER),
]
PARTIAL = [*TO_PROVIDER, ("form", {**PROVIDER, "btn": "415 867 5309"})]

# A path to every step of the intake, and the kind of input each one waits for.
STEPS = {
    "welcome": ([], "choice"),
    "faq": ([("choice", "faq")], "text"),
    "numbers": ([("choice", "port")], "text"),
    "numbers_confirm": ([("choice", "port"), ("text", "1-800-FLOWERS")], "choice"),
    "number_type": (PORT, "choice"),
    "active": ([*PORT, ("choice", "landline")], "choice"),
    "ineligible": ([*PORT, ("choice", "landline"), ("choice", "no")], "choice"),
    "ineligible_some": (
        [
            ("choice", "port"),
            ("text", "1-900-234-5678, 415 867 5309"),
            ("choice", "landline"),
            ("choice", "yes"),
        ],
        "choice",
    ),
    "messaging_use": ([*PORT, ("choice", "landline"), ("choice", "yes")], "choice"),
    "campaign": (
        [*PORT, ("choice", "mobile"), ("choice", "yes"), ("choice", "a2p_10dlc")],
        "form",
    ),
    "provider": (TO_PROVIDER, "form"),
    "same_account": (TWO_NUMBERS, "choice"),
    "account_numbers": ([*TWO_NUMBERS, ("choice", "no")], "text"),
    "full_port": ([*TO_PROVIDER, ("form", PROVIDER)], "choice"),
    "remaining_numbers": ([*PARTIAL, ("choice", "yes")], "text"),
    "remaining_action": ([*PARTIAL, ("choice", "yes"), ("choice", "skip")], "choice"),
    "new_btn": (
        [*PARTIAL, ("choice", "yes"), ("choice", "skip"), ("choice", "keep")],
        "text",
    ),
    "loa_details": (TO_LOA, "form"),
    "documents": (TO_DOCUMENTS, "upload"),
    "csr": ([*TO_DOCUMENTS, ("upload", "bill")], "upload"),
    "review": (TO_REVIEW, "choice"),
    "sign": ([*TO_REVIEW, ("choice", "submit")], "form"),
    "submitted": (
        [
            *TO_REVIEW,
            ("choice", "submit"),
            ("form", {"signature_name": "Jane Doe", "signature_consent": True}),
        ],
        "choice",
    ),
    "human": ([*PORT, ("choice", "human")], "text"),
    "status": ([("choice", "status")], "form"),
}
OPENING = ("welcome", "faq")


def walk(chat, steps) -> None:
    for kind, value in steps:
        if kind == "upload":
            chat.upload(value, bill_pdf(), f"{value}.pdf")
        else:
            chat.post({kind: value})


def slots_of(app, chat) -> dict:
    with app.app_context():
        return db.session.get(Conversation, chat.id).slots


def test_the_table_reaches_every_kind_of_step(chat):
    kinds = {kind for _, kind in STEPS.values()}

    assert kinds == {"choice", "text", "form", "upload"}


@pytest.mark.parametrize("state", list(STEPS))
def test_a_porting_question_at_any_step_is_answered_then_the_step_comes_back(
    chat, app, state
):
    path, kind = STEPS[state]
    walk(chat, path)
    assert chat.state == state
    assert chat.last.get("input", {}).get("kind", kind) == kind
    before = chat.last["input"] if path else None

    reply = chat.text("how long does it usually take to port a number?")

    assert chat.state == state
    answers = [m for m in reply["messages"] if m["kind"] == "faq"]
    assert [m["topic"] for m in answers] == ["timeline"]
    assert answers[0]["text"].startswith("Most ports take 5 to 15 business days.")
    assert reply["errors"] == {}
    # The same step is asked again, with its input unchanged; the question
    # step's own invite was said on arrival and is not repeated.
    prompt = [line for line in prompt_lines(state, slots_of(app, chat)) if line]
    assert prompt
    texts = [m["text"] for m in reply["messages"]]
    if state == "faq":
        assert not set(prompt) & set(texts)
    else:
        assert texts[-len(prompt) :] == prompt
    if state not in OPENING:
        assert reply["input"] == before


@pytest.mark.parametrize("state", list(STEPS))
@pytest.mark.parametrize(
    "question",
    [
        "what's the weather like in Denver tomorrow?",
        "can you tell me a joke?",
        "how do I reset my email password?",
    ],
)
def test_an_out_of_scope_question_gets_a_polite_fallback_at_every_step(
    chat, app, state, question
):
    path, _ = STEPS[state]
    walk(chat, path)
    before = chat.last["input"] if path else None

    reply = chat.text(question)

    assert chat.state == state
    assert all(m["topic"] is None for m in reply["messages"])
    texts = [m["text"] for m in reply["messages"]]
    fallback = KnowledgeBase.load().ask(question)
    assert fallback.topic is None
    assert fallback.text in texts
    prompt = [line for line in prompt_lines(state, slots_of(app, chat)) if line]
    if state == "faq":
        assert not set(prompt) & set(texts)
    else:
        assert texts[-len(prompt) :] == prompt
    titles = [title for _, title in fallback.suggestions]
    if state in OPENING:
        offered = [c["label"] for c in reply["input"]["choices"]]
        assert offered[-len(titles) :] == titles
    else:
        assert f"You could ask about: {'; '.join(titles)}." in texts
        assert reply["input"] == before


def test_a_step_answer_is_never_mistaken_for_a_question(chat):
    walk(chat, STEPS["human"][0])
    chat.text("jane.doe@acmeplumbing.com")

    assert chat.state == "number_type"
    assert not [m for m in chat.last["messages"] if m["kind"] == "faq"]


def test_the_answer_knows_the_number_type_from_the_conversation(chat):
    walk(chat, [*PORT, ("choice", "google_voice"), ("choice", "yes")])
    reply = chat.text("what do I need to upload?")

    topics = [m["topic"] for m in reply["messages"] if m["kind"] == "faq"]
    assert topics == ["google-voice"]


def test_without_a_number_type_the_same_question_gets_the_general_answer(chat):
    walk(chat, [("choice", "port")])
    reply = chat.text("what do I need to upload?")

    topics = [m["topic"] for m in reply["messages"] if m["kind"] == "faq"]
    assert topics == ["documents-needed"]


def test_related_topics_are_quick_replies_at_the_opening(chat):
    reply = chat.text("what is number porting?")

    kb = KnowledgeBase.load()
    related = kb.entry("what-is-porting").related[:3]
    faq_ids = [c["id"] for c in reply["input"]["choices"] if c["id"].startswith("faq:")]
    assert faq_ids == [f"faq:{topic}" for topic in related]
    follow = chat.choose(faq_ids[0])
    assert follow["messages"][0]["topic"] == related[0]
    assert chat.state == "welcome"


def test_related_topics_are_links_in_the_answer_mid_intake(chat):
    walk(chat, TO_PROVIDER)
    before = chat.last["input"]
    reply = chat.text("what if I don't know my PIN?")

    kb = KnowledgeBase.load()
    titles = [kb.entry(t).title for t in kb.entry("pin-account-unknown").related][:3]
    assert reply["messages"][0]["topic"] == "pin-account-unknown"
    assert f"Related: {'; '.join(titles)}." in [m["text"] for m in reply["messages"]]
    assert reply["input"] == before
