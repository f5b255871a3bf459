import re
import shutil
from pathlib import Path

import pytest
from flask import Flask

from assistant.faq_cli import faq_cli
from assistant.knowledge import DEFAULT_PATH
from assistant.knowledge import KnowledgeBase
from assistant.knowledge import load_questions

HELD_OUT_SET = Path(__file__).resolve().parent / "data" / "faq-heldout.jsonl"


def make_app(**config) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    app.cli.add_command(faq_cli)
    return app


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["faq", *args])


def test_ask_prints_the_topic_its_score_and_the_answer():
    result = run(make_app(), "ask", "how lng does a port tkae")

    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert re.fullmatch(r"topic: timeline  score: 0\.\d\d", first)
    assert "5 to 15 business days" in result.output
    assert "related: delays-rejections, process-steps, keep-service-active" in (
        result.output
    )


def test_ask_uses_the_number_type_given_as_context():
    result = run(
        make_app(), "ask", "what do I upload?", "--number-type", "google_voice"
    )

    assert result.output.startswith("topic: google-voice  score:")


def test_ask_outside_porting_prints_the_fallback_and_suggestions():
    result = run(make_app(BRAND_NAME="Acme Telecom"), "ask", "tell me a joke")

    assert result.output.startswith("topic: (none: fallback)  score: 0.")
    assert "moving your phone numbers to Acme Telecom" in result.output
    assert "suggestions: " in result.output


def test_eval_prints_accuracy_rejection_and_confusions_of_a_question_file(tmp_path):
    rows = tmp_path / "questions.jsonl"
    rows.write_text(
        '{"q": "how long does porting take", "topic": "timeline"}\n'
        '{"q": "what is a csr", "topic": "timeline"}\n'
        '{"q": "tell me a joke", "topic": null}\n',
        encoding="utf-8",
    )

    result = run(make_app(), "eval", str(rows))

    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "in scope: 1/2 top-1 correct (50.0%)",
        "out of scope: 1/1 rejected (100.0%)",
        "confusions (expected -> chosen: question):",
        "  timeline -> csr: what is a csr",
    ]


def test_eval_on_the_held_out_set_matches_the_library_figures():
    report = KnowledgeBase.load().evaluate(load_questions(HELD_OUT_SET))

    result = run(make_app(), "eval", str(HELD_OUT_SET))

    assert (
        f"in scope: {report.correct}/{report.in_scope} top-1 correct" in result.output
    )
    assert f"out of scope: {report.rejected}/{report.out_of_scope} rejected" in (
        result.output
    )


def test_eval_reports_a_malformed_question_file(tmp_path):
    rows = tmp_path / "questions.jsonl"
    rows.write_text('{"q": "fine", "topic": null}\nnot json\n', encoding="utf-8")

    result = run(make_app(), "eval", str(rows))

    assert result.exit_code == 1
    assert "questions.jsonl:2: not JSON" in result.output


def test_validate_passes_on_the_shipped_file():
    result = run(make_app(KNOWLEDGE_BASE=""), "validate")

    assert result.exit_code == 0
    assert result.output == f"OK: 22 topics in {DEFAULT_PATH}\n"


def test_validate_reads_the_configured_file_and_lists_its_problems(tmp_path):
    broken = tmp_path / "faq.yaml"
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    broken.write_text(
        text.replace(
            "related: [ineligible-alternatives, csr, pin-account-unknown]",
            "related: [ineligible-alternatives, csr-lookup, pin-account-unknown]",
        ),
        encoding="utf-8",
    )

    result = run(make_app(KNOWLEDGE_BASE=str(broken)), "validate")

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "problem: ineligible-reasons: unknown related topic 'csr-lookup'",
        f"1 problem(s) in {broken.resolve()}",
    ]


def test_ask_answers_from_the_configured_file(tmp_path):
    edited = tmp_path / "faq.yaml"
    shutil.copy(DEFAULT_PATH, edited)
    edited.write_text(
        edited.read_text(encoding="utf-8").replace(
            "Most ports take 5 to 15 business days.", "Most ports take 2 weeks."
        ),
        encoding="utf-8",
    )

    result = run(make_app(KNOWLEDGE_BASE=str(edited)), "ask", "how long does it take?")

    assert "Most ports take 2 weeks." in result.output


@pytest.mark.parametrize("content", ["topics: [oops\n", "- a list\n"])
def test_a_broken_configured_file_gives_a_clear_error_not_a_traceback(
    tmp_path, content
):
    broken = tmp_path / "faq.yaml"
    broken.write_text(content, encoding="utf-8")

    result = run(make_app(KNOWLEDGE_BASE=str(broken)), "validate")

    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {broken.resolve()}")


def test_the_faq_commands_are_registered_on_the_application(app):
    runner = app.test_cli_runner()

    asked = runner.invoke(args=["faq", "ask", "what is a resporg"])
    measured = runner.invoke(args=["faq", "eval", str(HELD_OUT_SET)])

    assert asked.exit_code == 0
    assert asked.output.startswith("topic: tollfree-resporg  score: 0.")
    assert measured.exit_code == 0
    assert measured.output.startswith("in scope: ")
