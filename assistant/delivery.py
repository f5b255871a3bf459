"""E-mail through a durable outbox: queued in the request's transaction, sent after.

A message is built once, stored whole (with its Message-ID) and only then sent, so
a retry sends the very same bytes and a rare duplicate is recognisable.
"""

import json
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from email.utils import make_msgid
from pathlib import Path
from pathlib import PurePosixPath
from pathlib import PureWindowsPath

from flask import current_app
from flask import has_request_context
from flask import render_template
from flask import request as http_request
from sqlalchemy import select
from sqlalchemy import update

from assistant.crypto import SECRET_FIELDS
from assistant.crypto import mask
from assistant.crypto import mask_field
from assistant.extensions import db
from assistant.lifecycle import REDATED_SUBJECT
from assistant.lifecycle import STATUS_SUBJECTS
from assistant.models import Document
from assistant.models import OutboxMessage
from assistant.models import PortRequest
from assistant.models import utcnow

log = logging.getLogger(__name__)

# A permanent refusal (5xx) is given up after this many attempts; anything else
# (network down, 4xx, bad credentials) is retried for as long as it takes.
MAX_PERMANENT_ATTEMPTS = 3
MAX_BACKOFF_SECONDS = 3600
# While one worker sends a message, others leave it alone for this long.
LEASE = timedelta(minutes=5)
SMTP_TIMEOUT = 20
PIN_HIDDEN = "••••••"


@dataclass(frozen=True)
class PackageFile:
    filename: str
    data: bytes
    media_type: str


def clean_header(value: str) -> str:
    """A header value on one line: line breaks and control characters removed."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value or "").strip()[:300]


def safe_filename(name: str, taken: set[str]) -> str:
    """A plain file name: no folders, no control characters, unique within `taken`."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = re.sub(r"[\x00-\x1f\x7f\"]+", "", base).strip(" .") or "document"
    base = base[-120:]
    candidate, counter = base, 2
    while candidate.lower() in taken:
        candidate = f"{counter}-{base}"
        counter += 1
    taken.add(candidate.lower())
    return candidate


def _message(to: list[str], subject: str, text: str, html: str | None = None):
    config = current_app.config
    message = EmailMessage()
    message["From"] = clean_header(config["MAIL_SENDER"])
    message["To"] = ", ".join(clean_header(address) for address in to)
    message["Subject"] = clean_header(subject)
    message["Date"] = formatdate(localtime=False)
    domain = _address(config["MAIL_SENDER"]).rsplit("@", 1)[-1] or "localhost"
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
        log.info("outbox: %s is already queued", dedupe_key.split(":", 1)[0])
        return None
    row = OutboxMessage(
        dedupe_key=dedupe_key,
        message_id=message["Message-ID"],
        recipients=message["To"],
        subject=message["Subject"],
        raw=message.as_bytes(policy=policy.SMTP),
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
        "fields": {
            key: value
            for key, value in request.fields.items()
            if key not in ("numbers", "masked", *SECRET_FIELDS)
        },
        "masked": {
            "account_number": mask(secrets.get("account_number")),
            "btn": mask(secrets.get("btn")),
            # Even the last digits of a PIN make guessing it easier.
            "pin": "provided" if secrets.get("pin") else "",
        },
        "signed_by": request.signature_name,
        "signed_at": request.signed_at.isoformat() + "Z",
        "signer_ip": request.signer_ip,
        "documents": [
            {
                "filename": document.filename,
                "kind": document.kind,
                "size": document.size,
                "sha256": document.sha256,
                "findings": document.findings,
            }
            for document in documents
        ],
    }


def base_url() -> str:
    """The site's address: the configured one, else that of the request being served.

    Messages are built while the submission or status change is handled, so
    without a configured address the links still point at the site in use.
    """
    base = (current_app.config["BASE_URL"] or "").rstrip("/")
    if not base and has_request_context():
        base = http_request.url_root.rstrip("/")
    return base


def staff_url(request: PortRequest) -> str:
    return f"{base_url()}/staff/requests/{request.reference}"


def summary_html(summary: dict, link: str) -> str:
    return render_template("email/team_submission.html", s=summary, staff_url=link)


def package_files(request: PortRequest, documents: list[Document]) -> list:
    """The package: the signed LOA, every document, and the summary as JSON and HTML."""
    summary = request_summary(request, documents)
    taken: set[str] = set()
    files = [
        PackageFile(
            safe_filename(f"LOA-{request.reference}.pdf", taken),
            request.signed_loa or b"",
            "application/pdf",
        )
    ]
    for document in documents:
        if document.data is None:
            continue
        files.append(
            PackageFile(
                safe_filename(document.filename, taken),
                document.content,
                document.media_type or "application/octet-stream",
            )
        )
    files.append(
        PackageFile(
            f"summary-{request.reference}.json",
            json.dumps(summary, indent=2, ensure_ascii=False).encode(),
            "application/json",
        )
    )
    files.append(
        PackageFile(
            f"summary-{request.reference}.html",
            summary_html(summary, staff_url(request)).encode(),
            "text/html",
        )
    )
    return files


def _attach(message: EmailMessage, file: PackageFile) -> None:
    main, _, sub = file.media_type.partition("/")
    if not sub:
        main, sub = "application", "octet-stream"
    message.add_attachment(
        file.data, maintype=main, subtype=sub, filename=file.filename
    )


def queue_submission(
    request: PortRequest, documents: list[Document], revision: int = 0
) -> None:
    """Queue the package for the porting inbox and the confirmation for the signer.

    A corrected resubmission of a rejected request is a new revision: it is queued
    again under its own key, with "(corrected)" in the subject.
    """
    config = current_app.config
    summary = request_summary(request, documents)
    link = staff_url(request)
    attach = config["EMAIL_ATTACH_PACKAGE"]
    key = f"{request.reference}:r{revision}" if revision else request.reference
    corrected = " (corrected)" if revision else ""

    team = _message(
        [config["PORTING_INBOX"]],
        f"Porting Request – {request.business_name}{corrected}",
        render_template(
            "email/team_submission.txt",
            s=summary,
            staff_url=link,
            attach=attach,
            revision=revision,
        ),
        summary_html(summary, link),
    )
    if attach:
        for file in package_files(request, documents):
            _attach(team, file)
    _queue(f"submission:{key}:team", team)

    customer = _message(
        [request.contact_email],
        f"We've received your {'corrected ' if revision else ''}porting request "
        f"{request.reference}",
        render_template(
            "email/customer_submission.txt",
            s=summary,
            brand=config["BRAND_NAME"],
            status_url=_status_url(),
            revision=revision,
        ),
    )
    customer.add_attachment(
        customer_copy(request),
        maintype="application",
        subtype="pdf",
        filename=f"LOA-{request.reference}-signed.pdf",
    )
    _queue(f"submission:{key}:customer", customer)


def customer_copy(request: PortRequest) -> bytes:
    """The signer's copy of the signed LOA, with the account number and PIN masked.

    E-mail is not a safe place for what moves a number, so the copy shows only
    the last digits of the account and billing numbers and nothing of the PIN;
    the original with every digit stays with the porting team.
    """
    from assistant import loa
    from assistant.submission import loa_options
    from assistant.submission import loa_values

    masked = {name: mask_field(name, value) for name, value in request.secrets.items()}
    if request.secrets.get("pin"):
        # Even the last digits of a PIN make guessing it easier.
        masked["pin"] = PIN_HIDDEN
    return loa.sign_loa(
        loa_values(request.fields, masked),
        request.e164s,
        signature_name=request.signature_name,
        signed_at=request.signed_at.replace(tzinfo=UTC),
        ip=request.signer_ip,
        user_agent=request.signer_agent,
        **loa_options(),
    )


def queue_status_change(
    request: PortRequest,
    event_id: int,
    lines: list[str],
    earlier_date: str | None = None,
) -> None:
    """Queue the customer's e-mail about one status change (one per event).

    ``earlier_date`` is the port date a new confirmed date replaces.
    """
    from assistant.submission import port_date_words

    config = current_app.config
    news = REDATED_SUBJECT if earlier_date else STATUS_SUBJECTS[request.status]
    message = _message(
        [request.contact_email],
        f"Your porting request {request.reference}: {news}",
        render_template(
            "email/customer_status.txt",
            reference=request.reference,
            lines=lines,
            earlier_date=port_date_words(earlier_date) if earlier_date else None,
            rejected=request.status == "rejected",
            brand=config["BRAND_NAME"],
            status_url=_status_url(),
            chat_url=_absolute("/chat"),
            port_url=_absolute("/port"),
        ),
    )
    _queue(f"status:{request.reference}:{event_id}", message)


def queue_human_request(conversation_id: str, address: str, step: str) -> None:
    config = current_app.config
    message = _message(
        [config["PORTING_INBOX"]],
        "Customer asks to talk to a person",
        render_template(
            "email/team_human.txt",
            address=clean_header(address),
            conversation_id=conversation_id,
            step=step,
        ),
    )
    message["Reply-To"] = clean_header(address)
    _queue(f"human:{conversation_id}:{utcnow().isoformat()}", message)


def _absolute(path: str) -> str:
    """A link for a customer e-mail; none when the site's address is unknown."""
    base = base_url()
    return base + path if base else ""


def _status_url() -> str:
    return _absolute("/status")


def send_pending(limit: int = 50, now: datetime | None = None) -> int:
    """Send what is due; a failure is retried later with back-off, never lost."""
    now = now or utcnow()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    for row_id in due:
        if not _claim(row_id, now):
            continue
        row = db.session.get(OutboxMessage, row_id)
        try:
            _deliver(row)
        except (OSError, smtplib.SMTPException) as error:
            _record_failure(row, error)
        else:
            row.status, row.sent_at = "sent", utcnow()
            sent += 1
            log.info("outbox %s: sent", row.id)
        db.session.commit()
    return sent


def send_after_commit(limit: int = 10) -> None:
    """Send right after a change was saved; what fails waits in the outbox."""
    try:
        send_pending(limit=limit)
    except Exception:  # noqa: BLE001 - the outbox keeps it for the next attempt
        log.exception("outbox: sending right away failed; it stays queued")
        db.session.rollback()


def _claim(row_id: int, now: datetime) -> bool:
    """Take one message for this worker, so two workers never send it at once."""
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=utcnow() + LEASE)
    )
    db.session.commit()
    return claimed.rowcount == 1


def _record_failure(row: OutboxMessage, error: Exception) -> None:
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {_smtp_code(error) or ''}".strip(": ")
    if _is_permanent(error) and row.attempts >= MAX_PERMANENT_ATTEMPTS:
        row.status = "failed"
        log.error(
            "outbox %s: refused %s times (%s); given up",
            row.id,
            row.attempts,
            row.last_error,
        )
        return
    delay = min(30 * 2**row.attempts, MAX_BACKOFF_SECONDS)
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    log.warning(
        "outbox %s: attempt %s failed (%s); next in %s s",
        row.id,
        row.attempts,
        row.last_error,
        delay,
    )


def _smtp_code(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return min(codes) if codes else None
    return getattr(error, "smtp_code", None)


def _is_permanent(error: Exception) -> bool:
    # Bad credentials are the operator's to fix; the message must wait for them.
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False
    code = _smtp_code(error)
    return code is not None and code >= 500


def _deliver(row: OutboxMessage) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        folder = Path(config["OUTBOX_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{row.id:06d}.eml").write_bytes(row.raw)
        return

    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    if port == 465:
        smtp = smtplib.SMTP_SSL(
            host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    with smtp:
        if config["MAIL_USE_TLS"] and port != 465:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        recipients = [a.strip() for a in row.recipients.split(",") if a.strip()]
        smtp.sendmail(_address(config["MAIL_SENDER"]), recipients, row.raw)


def _address(value: str) -> str:
    found = re.search(r"<([^>]+)>", value)
    return (found.group(1) if found else value).strip()
