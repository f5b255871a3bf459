"""E-mail through a durable outbox: queued in the request's transaction, sent after."""

import json
import logging
import re
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from email.utils import make_msgid
from pathlib import Path

from flask import current_app
from flask import render_template
from sqlalchemy import select

from assistant.crypto import mask
from assistant.extensions import db
from assistant.models import Document
from assistant.models import OutboxMessage
from assistant.models import PortRequest
from assistant.models import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def clean_header(value: str) -> str:
    """A header value on one line: line breaks and control characters removed."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()[:300]


def _message(to: list[str], subject: str, text: str, html: str | None = None):
    config = current_app.config
    message = EmailMessage()
    message["From"] = clean_header(config["MAIL_SENDER"])
    message["To"] = ", ".join(clean_header(a) for a in to)
    message["Subject"] = clean_header(subject)
    message["Date"] = formatdate(localtime=False)
    domain = config["MAIL_SENDER"].rsplit("@", 1)[-1].strip(">") or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def _queue(dedupe_key: str, message: EmailMessage) -> OutboxMessage | None:
    """Queue once per key: a second submission of the same thing is ignored."""
    found = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    )
    if found:
        return None
    row = OutboxMessage(
        dedupe_key=dedupe_key,
        message_id=message["Message-ID"],
        recipients=message["To"],
        subject=message["Subject"],
        raw=bytes(message),
    )
    db.session.add(row)
    return row


def request_summary(request: PortRequest, documents: list[Document]) -> dict:
    """The package summary: every field, secrets masked, plus document findings."""
    secrets = request.secrets
    return {
        "reference": request.reference,
        "status": request.status,
        "number_type": request.number_type,
        "numbers": request.e164s,
        "fields": {k: v for k, v in request.fields.items() if k != "numbers"},
        "masked": {k: mask(v) for k, v in secrets.items()},
        "signed_by": request.signature_name,
        "signed_at": request.signed_at.isoformat() + "Z",
        "documents": [
            {
                "filename": d.filename,
                "kind": d.kind,
                "size": d.size,
                "sha256": d.sha256,
                "findings": d.findings,
            }
            for d in documents
        ],
    }


def queue_submission(request: PortRequest, documents: list[Document]) -> None:
    config = current_app.config
    summary = request_summary(request, documents)
    staff_url = (config["BASE_URL"] or "") + f"/staff/requests/{request.reference}"
    attach = config["EMAIL_ATTACH_PACKAGE"]

    team = _message(
        [config["PORTING_INBOX"]],
        f"Porting Request – {request.business_name}",
        render_template(
            "email/team_submission.txt", s=summary, staff_url=staff_url, attach=attach
        ),
        render_template(
            "email/team_submission.html", s=summary, staff_url=staff_url, attach=attach
        ),
    )
    if attach:
        team.add_attachment(
            request.loa_pdf,
            maintype="application",
            subtype="pdf",
            filename=f"LOA-{request.reference}.pdf",
        )
        for document in documents:
            main, sub = document.media_type.split("/", 1)
            team.add_attachment(
                document.data, maintype=main, subtype=sub, filename=document.filename
            )
        team.add_attachment(
            json.dumps(summary, indent=2).encode(),
            maintype="application",
            subtype="json",
            filename=f"summary-{request.reference}.json",
        )
    _queue(f"submission:{request.reference}:team", team)

    customer = _message(
        [request.contact_email],
        f"We've received your porting request {request.reference}",
        render_template(
            "email/customer_submission.txt", s=summary, brand=config["BRAND_NAME"]
        ),
    )
    customer.add_attachment(
        request.loa_pdf,
        maintype="application",
        subtype="pdf",
        filename=f"LOA-{request.reference}-signed.pdf",
    )
    _queue(f"submission:{request.reference}:customer", customer)


def queue_status_change(request: PortRequest, event_id: int, lines: list[str]) -> None:
    config = current_app.config
    message = _message(
        [request.contact_email],
        f"Update on your porting request {request.reference}",
        render_template(
            "email/customer_status.txt",
            reference=request.reference,
            lines=lines,
            brand=config["BRAND_NAME"],
            base_url=config["BASE_URL"],
        ),
    )
    _queue(f"status:{request.reference}:{event_id}", message)


def queue_human_request(conversation_id: str, address: str, step: str) -> None:
    config = current_app.config
    message = _message(
        [config["PORTING_INBOX"]],
        "Customer asks to talk to a person",
        f"A customer in the porting assistant asked for help.\n\n"
        f"Reply to: {clean_header(address)}\nConversation: {conversation_id}\n"
        f"Step: {step}\n",
    )
    message["Reply-To"] = clean_header(address)
    _queue(f"human:{conversation_id}:{utcnow().isoformat()}", message)


def send_pending(limit: int = 50) -> int:
    """Send what is due; a failure is retried later with back-off, never lost."""
    now = utcnow()
    due = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    for row in due:
        try:
            _deliver(row)
        except (OSError, smtplib.SMTPException) as error:
            row.attempts += 1
            row.last_error = type(error).__name__
            row.next_attempt_at = now + timedelta(
                seconds=min(2**row.attempts * 30, 3600)
            )
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            log.warning(
                "outbox %s: attempt %s failed (%s)",
                row.id,
                row.attempts,
                row.last_error,
            )
        else:
            row.status, row.sent_at = "sent", utcnow()
            sent += 1
            log.info("outbox %s: sent", row.id)
        db.session.commit()
    return sent


def _deliver(row: OutboxMessage) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        folder = Path(config["OUTBOX_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{row.id:06d}.eml").write_bytes(row.raw)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        recipients = [a.strip() for a in row.recipients.split(",") if a.strip()]
        smtp.sendmail(_address(config["MAIL_SENDER"]), recipients, row.raw)


def _address(value: str) -> str:
    found = re.search(r"<([^>]+)>", value)
    return found.group(1) if found else value
