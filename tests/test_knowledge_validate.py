import pytest
import yaml

from assistant.knowledge import DEFAULT_PATH
from assistant.knowledge import KnowledgeBase
from assistant.knowledge import KnowledgeBaseError


def shipped() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def topic(data: dict, topic_id: str) -> dict:
    return next(t for t in data["topics"] if t["id"] == topic_id)


def write(tmp_path, data) -> str:
    path = tmp_path / "faq.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def drop_topic(data):
    data["topics"] = [t for t in data["topics"] if t["id"] != "cutover"]
    for entry in data["topics"]:
        entry["related"] = [r for r in entry["related"] if r != "cutover"]


def unknown_related(data):
    topic(data, "csr")["related"].append("csr-lookup")


def self_related(data):
    topic(data, "csr")["related"].append("csr")


def empty_answer(data):
    topic(data, "timeline")["answer"] = "  "


def duplicate_example(data):
    topic(data, "timeline")["examples"].append("What is a CSR?")


def example_also_out_of_scope(data):
    data["out_of_scope"].append("How long does porting take?")


def few_examples(data):
    topic(data, "csr")["examples"] = topic(data, "csr")["examples"][:3]


def unknown_placeholder(data):
    topic(data, "csr")["details"] += " Write to {support_email}."


def foreign_topic(data):
    examples = [f"what does porting cost {n}" for n in range(8)]
    data["topics"].append(dict(topic(data, "csr"), id="pricing", examples=examples))


def unknown_context_topic(data):
    data["context"]["number_type"]["mobile"] = {"documents-needed": "mobile-bill"}


def no_fallback(data):
    del data["fallback"]


@pytest.mark.parametrize(
    ("break_it", "problem"),
    [
        (drop_topic, "missing topic 'cutover' (listed in DESIGN.md)"),
        (unknown_related, "csr: unknown related topic 'csr-lookup'"),
        (self_related, "csr: lists itself as related"),
        (empty_answer, "timeline: empty answer"),
        (duplicate_example, "duplicate example 'what is a csr' in csr, timeline"),
        (
            example_also_out_of_scope,
            "duplicate example 'how long does porting take' in out_of_scope, timeline",
        ),
        (few_examples, "csr: only 3 examples (at least 8)"),
        (unknown_placeholder, "csr: unknown placeholder {support_email}"),
        (foreign_topic, "pricing: not a topic id of DESIGN.md"),
        (
            unknown_context_topic,
            "context number_type=mobile: unknown topic 'mobile-bill'",
        ),
        (no_fallback, "no fallback text for questions outside porting"),
    ],
)
def test_validate_names_each_problem_of_a_broken_file(tmp_path, break_it, problem):
    data = shipped()
    break_it(data)

    problems = KnowledgeBase.load(write(tmp_path, data)).validate()

    assert problems == [problem]


def test_the_shipped_file_has_no_problems():
    assert KnowledgeBase.load().validate() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("topics: [unclosed\n", "is not valid YAML"),
        ("- just\n- a list\n", "expected a mapping with a 'topics' list"),
        ("topics: []\n", "needs at least two topics"),
        (
            "topics:\n  - id: a\n    title: A\n    details: d\n"
            "    related: []\n    examples: [x]\n"
            "  - id: b\n    title: B\n    answer: b\n    details: d\n"
            "    related: []\n    examples: [y]\n",
            "a needs a text 'answer'",
        ),
        (
            "topics:\n  - id: a\n    title: A\n    answer: a\n    details: d\n"
            "    related: []\n    examples: a question\n"
            "  - id: b\n    title: B\n    answer: b\n    details: d\n"
            "    related: []\n    examples: [y]\n",
            "a needs a list of texts 'examples'",
        ),
        (
            "topics:\n  - id: a\n    title: A\n    answer: a\n    details: d\n"
            "    related: []\n    examples: [x]\n"
            "  - id: a\n    title: B\n    answer: b\n    details: d\n"
            "    related: []\n    examples: [y]\n",
            "topic id 'a' appears twice",
        ),
        (
            "topics:\n  - id: a\n    title: A\n    answer: a\n    details: d\n"
            "    related: []\n    examples: []\n"
            "  - id: b\n    title: B\n    answer: b\n    details: d\n"
            "    related: []\n    examples: [y]\n",
            "a has no example questions",
        ),
    ],
)
def test_a_file_that_cannot_be_used_raises_a_clear_error(tmp_path, text, message):
    path = tmp_path / "faq.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(KnowledgeBaseError, match=message):
        KnowledgeBase.load(path)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("out_of_scope", "weather", "'out_of_scope' must be a list of texts"),
        ("synonyms", {"loa": "letter"}, "'synonyms' must map terms to lists"),
        ("context", {"number_type": ["google_voice"]}, "'context' must map"),
    ],
)
def test_malformed_optional_sections_raise_a_clear_error(tmp_path, key, value, message):
    data = shipped()
    data[key] = value

    with pytest.raises(KnowledgeBaseError, match=message):
        KnowledgeBase.load(write(tmp_path, data))


def test_a_missing_file_raises_a_clear_error(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="Can't read the knowledge base"):
        KnowledgeBase.load(tmp_path / "nowhere.yaml")


def test_a_small_two_topic_file_without_out_of_scope_examples_still_answers(tmp_path):
    data = {
        "fallback": "Not sure.",
        "topics": [
            dict(topic(shipped(), "timeline"), related=[]),
            dict(topic(shipped(), "csr"), related=[]),
        ],
    }
    kb = KnowledgeBase.load(write(tmp_path, data))

    assert kb.ask("how long does a port take?").topic == "timeline"
    assert kb.ask("what is a customer service record?").topic == "csr"
