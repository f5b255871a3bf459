"""Command-line tasks: set-up, the outbox, and housekeeping."""

from pathlib import Path

import click
from flask import Flask
from flask import current_app
from flask_migrate import upgrade

from assistant import config as settings


def register(app: Flask) -> None:
    app.cli.add_command(setup)
    app.cli.add_command(outbox)
    try:
        from assistant.faq_cli import faq_cli
    except ImportError:
        return
    app.cli.add_command(faq_cli)


@click.command("setup")
def setup() -> None:
    """Create the instance folder, its secrets and the database schema."""
    instance = Path(current_app.instance_path)
    settings.ensure_instance_secrets(instance)
    Path(current_app.config["OUTBOX_DIR"]).mkdir(parents=True, exist_ok=True)
    upgrade()
    click.echo(f"Ready: instance folder {instance}")


@click.group("outbox")
def outbox() -> None:
    """The e-mail outbox."""


@outbox.command("send")
def outbox_send() -> None:
    """Send every e-mail that is due."""
    from assistant import delivery

    click.echo(f"sent {delivery.send_pending(limit=1000)}")
