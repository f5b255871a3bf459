import pytest

from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER

STEPS = {
    "welcome": [],
    "numbers": [("choice", "port")],
    "number_type": [("choice", "port"), ("text", "415 867 5309")],
    "provider": [
        ("choice", "port"),
        ("text", "415 867 5309"),
        ("choice", "landline"),
        ("choice", "yes"),
        ("choice", "none"),
    ],
    "loa_details": [
        ("choice", "port"),
        ("text", "415 867 5309"),
        ("choice", "landline"),
        ("choice", "yes"),
        ("choice", "none"),
        ("form", PROVIDER),
        ("choice", "no"),
    ],
    "documents": [
        ("choice", "port"),
        ("text", "415 867 5309"),
        ("choice", "landline"),
        ("choice", "yes"),
        ("choice", "none"),
        ("form", PROVIDER),
        ("choice", "no"),
        ("form", LOA_DETAILS),
    ],
}


def walk(chat, steps) -> None:
    for kind, value in steps:
        chat.post({kind: value})


@pytest.mark.parametrize("state", list(STEPS))
def test_a_porting_question_at_any_step_is_answered_then_the_step_comes_back(
    chat, state
):
    walk(chat, STEPS[state])
    assert chat.state == state
    before = chat.last["input"]
    reply = chat.text("how long does it usually take to port a number?")
    assert chat.state == state
    answers = [m for m in reply["messages"] if m["kind"] == "faq"]
    assert answers and answers[0]["topic"] == "timeline"
    assert "15 business days" in answers[0]["text"]
    if state != "welcome":
        assert reply["input"]["kind"] == before["kind"]
        assert reply["input"]["fields"] == before["fields"]


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
    chat, state, question
):
    walk(chat, STEPS[state])
    reply = chat.text(question)
    assert chat.state == state
    assert all(m["topic"] is None for m in reply["messages"])
    assert not [m for m in reply["messages"] if m["kind"] == "faq"]


def test_the_answer_knows_the_number_type_from_the_conversation(chat):
    walk(
        chat,
        [
            ("choice", "port"),
            ("text", "415 867 5309"),
            ("choice", "google_voice"),
            ("choice", "yes"),
        ],
    )
    reply = chat.text("what do I need to upload?")
    topics = [m["topic"] for m in reply["messages"] if m["kind"] == "faq"]
    assert topics == ["google-voice"]


def test_related_topics_are_quick_replies_at_the_opening(chat):
    reply = chat.text("what is number porting?")
    faq_ids = [c["id"] for c in reply["input"]["choices"] if c["id"].startswith("faq:")]
    assert faq_ids
    follow = chat.choose(faq_ids[0])
    assert follow["messages"][0]["topic"] == faq_ids[0].removeprefix("faq:")


def test_related_topics_are_links_in_the_answer_mid_intake(chat):
    walk(chat, STEPS["provider"])
    reply = chat.text("what if I don't know my PIN?")
    assert reply["messages"][0]["topic"] == "pin-account-unknown"
    assert any(m["text"].startswith("Related:") for m in reply["messages"])
    assert reply["input"]["kind"] == "form"
