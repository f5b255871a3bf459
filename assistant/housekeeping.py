"""Housekeeping: staff accounts, abandoned conversations, and the retention purge."""

import logging
from datetime import datetime
from datetime import timedelta

import click
import pyotp
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete
from sqlalchemy import exists
from sqlalchemy import or_
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from assistant.extensions import db
from assistant.models import AuditEvent
from assistant.models import Conversation
from assistant.models import Document
from assistant.models import PortRequest
from assistant.models import StaffUser
from assistant.models import utcnow

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
CLOSED_STATUSES = ("completed", "cancelled")


# Staff accounts.
def add_staff(email: str, password: str, otp: bool = False) -> StaffUser:
    """Create a staff account; with `otp`, also a secret for a one-time-code app."""
    email = email.strip().lower()
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        raise ValueError(f"A staff account for {email} already exists.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters."
        )
    user = StaffUser(
        email=email,
        password_hash=generate_password_hash(password),
        totp_secret=pyotp.random_base32() if otp else None,
    )
    db.session.add(user)
    db.session.commit()
    log.info("staff account %s created", user.id)
    return user


staff_cli = AppGroup("staff", help="Staff accounts of the porting team's area.")
requests_cli = AppGroup("requests", help="Conversations and porting requests.")


@staff_cli.command("add")
@click.argument("email")
@click.option("--otp", is_flag=True, help="Also require a one-time code at sign-in.")
@click.password_option(help="Asked for when not given.")
def staff_add(email: str, otp: bool, password: str) -> None:
    """Add a staff account for EMAIL, asking for its password."""
    try:
        user = add_staff(email, password, otp=otp)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Added staff account {user.email}.")
    if user.totp_secret:
        uri = pyotp.TOTP(user.totp_secret).provisioning_uri(
            name=user.email,
            issuer_name=f"{current_app.config['BRAND_NAME']} porting",
        )
        click.echo(
            "Add this to an authenticator app (secret, then the same as a link):"
        )
        click.echo(user.totp_secret)
        click.echo(uri)


# Conversations and requests.
def abandon_idle(now: datetime | None = None) -> int:
    """Mark conversations that never submitted and sat idle too long as abandoned."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=current_app.config["ABANDON_AFTER_HOURS"])
    submitted = exists().where(PortRequest.conversation_id == Conversation.id)
    # A customer who came back after being marked and then left again is
    # abandoned anew, from this run.
    not_marked_since = or_(
        Conversation.abandoned_at.is_(None),
        Conversation.abandoned_at < Conversation.updated_at,
    )
    idle = db.session.scalars(
        select(Conversation).where(
            Conversation.updated_at < cutoff, not_marked_since, ~submitted
        )
    ).all()
    # One by one through the ORM, so a message racing in sees a stale version.
    for conversation in idle:
        conversation.abandoned_at = now
    db.session.commit()
    log.info("marked %s conversation(s) abandoned", len(idle))
    return len(idle)


def purge_expired(now: datetime | None = None) -> dict[str, int]:
    """Delete documents and secret fields of closed requests past the retention age.

    Closed means completed or cancelled; a conversation that never submitted counts
    once it has been abandoned. Age is counted from the last change, so a request
    or conversation someone still works on is kept.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["RETENTION_DAYS"])
    counts = {"requests": 0, "conversations": 0, "documents": 0}

    requests = db.session.scalars(
        select(PortRequest).where(
            PortRequest.status.in_(CLOSED_STATUSES), PortRequest.updated_at < cutoff
        )
    ).all()
    for request in requests:
        documents = _delete_documents(
            Document.conversation_id == request.conversation_id,
            Document.group_index == request.group_index,
        )
        if documents or request.secret_blob or _has_loa(request):
            # The signed LOA carries the account number and PIN too.
            request.secret_blob = None
            request.loa_pdf = None
            db.session.add(
                AuditEvent(
                    request_id=request.id,
                    actor="housekeeping",
                    action="purge",
                    detail=f"secrets, signed LOA, {documents} document(s)",
                )
            )
            counts["requests"] += 1
            counts["documents"] += documents

    abandoned = db.session.scalars(
        select(Conversation.id).where(
            Conversation.abandoned_at.is_not(None), Conversation.abandoned_at < cutoff
        )
    ).all()
    candidates = {request.conversation_id for request in requests} | set(abandoned)
    for conversation_id in sorted(candidates):
        conversation = db.session.get(Conversation, conversation_id)
        if conversation.updated_at >= cutoff or _has_live_request(
            conversation_id, cutoff
        ):
            continue
        documents = _delete_documents(Document.conversation_id == conversation_id)
        if documents or conversation.secret_blob:
            conversation.secret_blob = None
            counts["conversations"] += 1
            counts["documents"] += documents

    db.session.commit()
    log.info(
        "purged %(requests)s request(s), %(conversations)s conversation(s), "
        "%(documents)s document(s)",
        counts,
    )
    return counts


def _has_loa(request: PortRequest) -> bool:
    return (
        db.session.scalar(
            select(PortRequest.id).where(
                PortRequest.id == request.id, PortRequest.loa_pdf.is_not(None)
            )
        )
        is not None
    )


def _delete_documents(*conditions) -> int:
    result = db.session.execute(
        delete(Document).where(*conditions).execution_options(synchronize_session=False)
    )
    return result.rowcount


def _has_live_request(conversation_id: str, cutoff: datetime) -> bool:
    """Whether a conversation has a request that is open or changed recently."""
    found = db.session.scalar(
        select(PortRequest.id).where(
            PortRequest.conversation_id == conversation_id,
            or_(
                PortRequest.status.not_in(CLOSED_STATUSES),
                PortRequest.updated_at >= cutoff,
            ),
        )
    )
    return found is not None


@requests_cli.command("abandon")
def requests_abandon() -> None:
    """Mark conversations idle longer than ABANDON_AFTER_HOURS as abandoned."""
    click.echo(f"abandoned {abandon_idle()}")


@requests_cli.command("purge")
def requests_purge() -> None:
    """Delete documents and secrets of closed requests older than RETENTION_DAYS."""
    counts = purge_expired()
    click.echo(
        f"purged {counts['requests']} request(s), "
        f"{counts['conversations']} conversation(s), {counts['documents']} document(s)"
    )
