"""Command-line tasks: set-up, the outbox, and housekeeping."""

from pathlib import Path

import click
from flask import Flask
from flask import current_app
from flask_migrate import upgrade

from assistant import config as settings


def register(app: Flask) -> None:
    from assistant.faq_cli import faq_cli
    from assistant.housekeeping import requests_cli
    from assistant.housekeeping import staff_cli
    from assistant.keys_cli import keys_cli

    for command in (setup, outbox, faq_cli, staff_cli, requests_cli, keys_cli):
        app.cli.add_command(command)


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
