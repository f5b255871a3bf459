"""`flask faq`: ask the porting FAQ, measure it on a question set, check its file."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from assistant.knowledge import DEFAULT_BRAND
from assistant.knowledge import KnowledgeBase
from assistant.knowledge import KnowledgeBaseError
from assistant.knowledge import load_questions

NUMBER_TYPES = ("mobile", "landline", "voip", "google_voice", "toll_free")

faq_cli = AppGroup("faq", help="The porting FAQ: ask it, measure it, validate it.")


def _knowledge_base() -> KnowledgeBase:
    config = current_app.config
    try:
        return KnowledgeBase.load(
            config.get("KNOWLEDGE_BASE") or None,
            brand=config.get("BRAND_NAME") or DEFAULT_BRAND,
        )
    except KnowledgeBaseError as error:
        raise click.ClickException(str(error)) from error


@faq_cli.command("ask")
@click.argument("question")
@click.option("--number-type", type=click.Choice(NUMBER_TYPES), help="Context.")
@click.option("--messaging-use", help="Context: a2p_10dlc, toll_free_messaging...")
def ask(question: str, number_type: str | None, messaging_use: str | None) -> None:
    """Print the topic chosen for QUESTION, its score and the answer."""
    context = {"number_type": number_type, "messaging_use": messaging_use}
    answer = _knowledge_base().ask(question, context)

    click.echo(
        f"topic: {answer.topic or '(none: fallback)'}  score: {answer.score:.2f}"
    )
    click.echo(answer.text)
    offered = answer.related or answer.suggestions
    if offered:
        label = "related" if answer.topic else "suggestions"
        click.echo(f"{label}: " + ", ".join(topic for topic, _ in offered))


@faq_cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def evaluate(file: str) -> None:
    """Measure the FAQ on FILE: JSON lines {"q", "topic"}, topic null when outside."""
    try:
        rows = load_questions(file)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    report = _knowledge_base().evaluate(rows)

    click.echo(
        f"in scope: {report.correct}/{report.in_scope} top-1 correct "
        f"({report.accuracy:.1%})"
    )
    click.echo(
        f"out of scope: {report.rejected}/{report.out_of_scope} rejected "
        f"({report.rejection:.1%})"
    )
    if report.confusions:
        click.echo("confusions (expected -> chosen: question):")
    for expected, chosen, question in report.confusions:
        click.echo(f"  {expected or '(none)'} -> {chosen or '(none)'}: {question}")


@faq_cli.command("validate")
def validate() -> None:
    """Check the knowledge-base file; exit with 1 when it has problems."""
    kb = _knowledge_base()
    problems = kb.validate()
    for problem in problems:
        click.echo(f"problem: {problem}")
    if problems:
        click.echo(f"{len(problems)} problem(s) in {kb.source}")
        sys.exit(1)
    click.echo(f"OK: {len(kb.ids)} topics in {kb.source}")
