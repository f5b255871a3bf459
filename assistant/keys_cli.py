"""Encryption keys for secret fields: add a new key, re-encrypt under it."""

import os
from pathlib import Path

import click
from cryptography.fernet import Fernet
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy import update

from assistant.crypto import FieldCipher
from assistant.extensions import db
from assistant.models import Conversation
from assistant.models import Document
from assistant.models import PortRequest

# Every column that holds ciphertext made by FieldCipher.
ENCRYPTED_COLUMNS = (
    (Conversation, Conversation.secret_blob),
    (PortRequest, PortRequest.secret_blob),
    (PortRequest, PortRequest.loa_pdf),
    (Document, Document.data),
)
BATCH = 200
FILE_BATCH = 10


def rotate_secrets(batch: int = BATCH) -> int:
    """Re-encrypt every secret under the newest configured key; return the count.

    Each batch is one transaction. A row is only rewritten if its ciphertext is
    still the one that was read, so a chat turn saving at the same moment keeps
    its own (already newest-key) value, and no conversation turns stale.
    """
    cipher = FieldCipher(current_app.config["ENCRYPTION_KEYS"])
    rotated = 0
    for model, column in ENCRYPTED_COLUMNS:
        last_id = None
        while True:
            query = select(model.id, column).where(column.is_not(None))
            if last_id is not None:
                query = query.where(model.id > last_id)
            size = FILE_BATCH if column.key in ("loa_pdf", "data") else batch
            rows = db.session.execute(query.order_by(model.id).limit(size)).all()
            if not rows:
                break
            for row_id, token in rows:
                db.session.execute(
                    update(model)
                    .where(model.id == row_id, column == token)
                    .values({column.key: cipher.rotate(token)})
                    .execution_options(synchronize_session=False)
                )
            db.session.commit()
            rotated += len(rows)
            last_id = rows[-1][0]
    return rotated


def undecryptable_with_newest_key() -> int:
    """How many stored secrets the newest key alone can't read."""
    newest = FieldCipher(current_app.config["ENCRYPTION_KEYS"][:1])
    failures = 0
    for _model, column in ENCRYPTED_COLUMNS:
        for token in db.session.scalars(select(column).where(column.is_not(None))):
            try:
                if isinstance(token, bytes):
                    newest.decrypt_bytes(token)
                else:
                    newest.decrypt(token)
            except RuntimeError:
                failures += 1
    return failures


@click.group("keys", cls=AppGroup)
def keys_cli() -> None:
    """Encryption keys for account numbers, PINs and billing numbers."""


@keys_cli.command("add")
def add_key() -> None:
    """Put a new key in front of the instance key file; old keys keep decrypting."""
    key = Fernet.generate_key().decode()
    if os.environ.get("ASSISTANT_ENCRYPTION_KEYS"):
        click.echo(
            "Keys come from ASSISTANT_ENCRYPTION_KEYS. Put this new key first in it, "
            f"restart, then run `flask keys rotate`:\n{key}"
        )
        return
    path = Path(current_app.instance_path) / "encryption_keys"
    existing = path.read_text().split() if path.exists() else []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([key, *existing]) + "\n")
    path.chmod(0o600)
    click.echo(f"Added a new key in front of {len(existing)} older one(s) in {path}.")


@keys_cli.command("rotate")
def rotate_command() -> None:
    """Re-encrypt every stored secret under the newest key."""
    count = rotate_secrets()
    left = undecryptable_with_newest_key()
    if left:
        raise click.ClickException(
            f"Re-encrypted {count} secret(s), but {left} still need an older key; "
            "run the command again."
        )
    click.echo(
        f"Re-encrypted {count} secret(s) under the newest key. "
        "Older keys can now be removed from the configuration."
    )
