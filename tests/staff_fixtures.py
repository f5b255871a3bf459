"""Helpers for the staff, status-page, delivery and housekeeping tests."""

import hashlib
import re
import socket
from datetime import date
from datetime import datetime
from datetime import timedelta
from email import message_from_bytes
from email import policy

from assistant import delivery
from assistant.extensions import db
from assistant.housekeeping import add_staff
from assistant.models import Conversation
from assistant.models import Document
from assistant.models import OutboxMessage
from assistant.models import PortRequest
from assistant.models import RequestNumber
from assistant.models import StatusEvent
from assistant.models import hash_token
from assistant.models import utcnow
from assistant.schedule import add_business_days
from tests.intake_data import LOA_DETAILS

STAFF_EMAIL = "porter@rallycorp.example"
STAFF_PASSWORD = "correct horse battery"
CUSTOMER_EMAIL = LOA_DETAILS["contact_email"]
ACCOUNT_NUMBER = "88123345009"
PIN = "4821"
BTN = "+14158675300"
LOA_BYTES = b"%PDF-1.4\n% signed LOA for the tests\n%%EOF\n"
BILL_BYTES = b"%PDF-1.4\n% March bill\n%%EOF\n"
# A port date the carrier could confirm on any day the tests run: a business day.
FOC_DAY = add_business_days(date.today() + timedelta(days=30), 1)
FOC_DATE = FOC_DAY.isoformat()
# The same date as the customer reads it, like "Friday, December 11, 2026".
FOC_WORDS = f"{FOC_DAY:%A}, {FOC_DAY:%B} {FOC_DAY.day}, {FOC_DAY.year}"

FIELDS = {
    **LOA_DETAILS,
    "numbers": ["+14158675309"],
    "number_type": "mobile",
    "active": True,
    "messaging_use": "none",
    "carrier": "Pacific Coast Telecom",
    "account_type": "business",
    "partial_port": False,
    "contact_phone": "+14155552671",
}


def add_request(
    *,
    business_name: str = "Acme Plumbing",
    contact_email: str = CUSTOMER_EMAIL,
    numbers: tuple[str, ...] = ("+14158675309",),
    number_type: str = "mobile",
    status: str = "submitted",
    created_at: datetime | None = None,
    documents: tuple[tuple[str, bytes], ...] = (("march-bill.pdf", BILL_BYTES),),
    queue: bool = False,
) -> PortRequest:
    """A submitted porting request as the chat leaves it; call in an app context."""
    conversation = Conversation(
        token_hash=hash_token("token"), state="submitted", slots={}, transcript=[]
    )
    db.session.add(conversation)
    db.session.flush()
    when = created_at or utcnow()
    request = PortRequest(
        reference=PortRequest.new_reference(),
        conversation_id=conversation.id,
        status=status,
        number_type=number_type,
        business_name=business_name,
        contact_email=contact_email,
        fields={
            **FIELDS,
            "numbers": list(numbers),
            "number_type": number_type,
            "business_name": business_name,
            "contact_email": contact_email,
        },
        findings=[],
        signature_name="Jane Doe",
        signed_at=when,
        signer_ip="203.0.113.7",
        signer_agent="Mozilla/5.0 (tests)",
        created_at=when,
        updated_at=when,
    )
    request.secrets = {"account_number": ACCOUNT_NUMBER, "pin": PIN, "btn": BTN}
    request.signed_loa = LOA_BYTES
    request.numbers = [
        RequestNumber(position=i, e164=e164) for i, e164 in enumerate(numbers)
    ]
    submitted = StatusEvent(status="submitted", actor="customer", created_at=when)
    request.events = [submitted]
    rows = [
        Document(
            conversation_id=conversation.id,
            kind="bill",
            filename=filename,
            media_type="application/pdf",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            findings=[
                {
                    "ok": True,
                    "message": "The bill shows the number.",
                    "detail": "+14158675309 found on page 1",
                }
            ],
        )
        for filename, data in documents
    ]
    for row, (_filename, data) in zip(rows, documents, strict=True):
        row.content = data
    db.session.add(request)
    db.session.add_all(rows)
    db.session.flush()
    if queue:
        delivery.queue_submission(request, rows)
    db.session.commit()
    return request


def add_staff_user(otp: bool = False):
    return add_staff(STAFF_EMAIL, STAFF_PASSWORD, otp=otp)


def sign_in(client, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD):
    return client.post("/staff/login", data={"email": email, "password": password})


def change_status(client, reference: str, current: str, status: str, **values):
    """Post the staff status-change form as the detail page would."""
    return client.post(
        f"/staff/requests/{reference}/status",
        data={"current": current, "status": status, **values},
    )


def look_up(client, reference: str, email: str = CUSTOMER_EMAIL):
    """Post the customer's status form."""
    return client.post("/status", data={"reference": reference, "contact_email": email})


def outbox(subject_start: str = "") -> list[OutboxMessage]:
    """The queued e-mails whose subject starts so, oldest first."""
    rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
    return [row for row in rows if row.subject.startswith(subject_start)]


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def body_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def csrf_token(page: bytes) -> str:
    found = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    found = found or re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1).decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
