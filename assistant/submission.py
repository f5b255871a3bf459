"""Turning a signed intake into a porting request, and looking requests up."""

import logging
from datetime import date
from datetime import datetime

from flask import current_app
from sqlalchemy import func
from sqlalchemy import select

from assistant import delivery
from assistant import loa
from assistant import schedule
from assistant.extensions import db
from assistant.lifecycle import REASON_BY_CODE
from assistant.lifecycle import STATUS_LABELS
from assistant.lifecycle import STATUS_NEXT
from assistant.models import OPEN_STATUSES
from assistant.models import Document
from assistant.models import PortRequest
from assistant.models import RequestNumber
from assistant.models import StatusEvent
from assistant.numbers import format_number

log = logging.getLogger(__name__)


def loa_values(fields: dict, secrets: dict) -> dict:
    """Every value the LOA prints, secrets included."""
    return {**fields, **{k: v for k, v in secrets.items() if v}}


def loa_options() -> dict:
    config = current_app.config
    return {
        "brand": config["BRAND_NAME"],
        "template_path": config["LOA_TEMPLATE"] or None,
        "field_map_path": config["LOA_FIELD_MAP"] or None,
        "resporg": config["RESPORG_ID"],
    }


def open_numbers(e164s: list[str], conversation_id: str) -> set[str]:
    """Numbers already on an open request of another conversation."""
    if not e164s:
        return set()
    query = (
        select(RequestNumber.e164)
        .join(PortRequest)
        .where(RequestNumber.e164.in_(e164s))
        .where(PortRequest.status.in_(OPEN_STATUSES))
        .where(PortRequest.conversation_id != conversation_id)
    )
    return set(db.session.scalars(query))


def submit(turn, signature_name: str) -> PortRequest:
    """Create the request once for this conversation's current group."""
    conversation = turn.conversation
    group = turn.slots.get("group", 0)
    existing = db.session.scalar(
        select(PortRequest).where(
            PortRequest.conversation_id == conversation.id,
            PortRequest.group_index == group,
        )
    )
    if existing:
        turn.slots["reference"] = existing.reference
        return existing

    fields = dict(turn.fields)
    signed_at = schedule_now()
    pdf = loa.sign_loa(
        loa_values(fields, turn.secrets),
        fields["numbers"],
        signature_name=signature_name,
        signed_at=signed_at,
        ip=turn.request_info.get("ip", ""),
        user_agent=turn.request_info.get("user_agent", ""),
        **loa_options(),
    )
    documents = db.session.scalars(
        select(Document).where(
            Document.conversation_id == conversation.id, Document.group_index == group
        )
    ).all()
    request = PortRequest(
        reference=PortRequest.new_reference(),
        conversation_id=conversation.id,
        group_index=group,
        number_type=fields.get("number_type", ""),
        business_name=fields.get("business_name", ""),
        contact_email=fields.get("contact_email", "").lower(),
        fields={k: v for k, v in fields.items() if k != "masked"},
        findings=[
            {"document": d.filename, "kind": d.kind, **f}
            for d in documents
            for f in d.findings
        ],
        signature_name=signature_name,
        signed_at=signed_at.replace(tzinfo=None),
        signer_ip=turn.request_info.get("ip", "")[:64],
        signer_agent=turn.request_info.get("user_agent", "")[:400],
    )
    request.signed_loa = pdf
    request.secrets = turn.secrets
    request.numbers = [
        RequestNumber(position=i, e164=e164) for i, e164 in enumerate(fields["numbers"])
    ]
    request.events = [StatusEvent(status="submitted", actor="customer")]
    db.session.add(request)
    db.session.flush()
    delivery.queue_submission(request, documents)

    turn.slots["reference"] = request.reference
    turn.slots.setdefault("references", []).append(request.reference)
    turn.slots["submitted_lines"] = submitted_lines(request, signed_at, turn.slots)
    log.info("conversation %s: submitted request %s", conversation.id, request.id)
    return request


def resubmit(turn, signature_name: str) -> PortRequest:
    """Send a rejected request again with corrected details and a new signature."""
    reference = turn.slots["resubmitting"]
    request = db.session.scalar(
        select(PortRequest).where(PortRequest.reference == reference)
    )
    if request is None or request.status != "rejected":
        turn.slots.pop("resubmitting", None)
        turn.slots["reference"] = reference
        return request

    fields = {k: v for k, v in turn.fields.items() if k != "masked"}
    signed_at = schedule_now()
    request.signed_loa = loa.sign_loa(
        loa_values(fields, turn.secrets),
        fields["numbers"],
        signature_name=signature_name,
        signed_at=signed_at,
        ip=turn.request_info.get("ip", ""),
        user_agent=turn.request_info.get("user_agent", ""),
        **loa_options(),
    )
    request.fields = fields
    request.secrets = turn.secrets
    request.business_name = fields.get("business_name", "")
    request.contact_email = fields.get("contact_email", "").lower()
    request.signature_name = signature_name
    request.signed_at = signed_at.replace(tzinfo=None)
    request.signer_ip = turn.request_info.get("ip", "")[:64]
    request.signer_agent = turn.request_info.get("user_agent", "")[:400]
    request.status = "submitted"
    request.rejection_code = request.rejection_note = None
    request.updated_at = signed_at.replace(tzinfo=None)
    request.events.append(
        StatusEvent(
            status="submitted",
            actor="customer",
            note="Corrected by the customer and signed again",
        )
    )
    _move_new_documents(turn, request)
    db.session.flush()
    documents = request_documents(request)
    _check_again(documents, fields)
    revision = sum(1 for event in request.events if event.status == "submitted") - 1
    delivery.queue_submission(request, documents, revision=revision)

    turn.slots.pop("resubmitting", None)
    turn.slots["reference"] = request.reference
    turn.slots["submitted_lines"] = submitted_lines(request, signed_at, turn.slots)
    log.info(
        "conversation %s: resubmitted request %s", turn.conversation.id, request.id
    )
    return request


def schedule_now() -> datetime:
    """The clock of the steps, so that a test can freeze it."""
    from assistant.steps import schedule_now as now

    return now()


def request_documents(request: PortRequest) -> list[Document]:
    """The documents a request carries, as the staff area and the package list them."""
    return db.session.scalars(
        select(Document)
        .where(
            Document.conversation_id == request.conversation_id,
            Document.group_index == request.group_index,
        )
        .order_by(Document.created_at)
    ).all()


def carried_documents(request: PortRequest) -> list[dict]:
    """A rejected request's documents as the review lists them: they go along."""
    return [
        {"id": d.id, "kind": d.kind, "filename": d.filename, "carried": True}
        for d in request_documents(request)
        if d.data is not None
    ]


def documents_line(documents: list[dict]) -> str:
    """The review's line naming the documents that will go with the request."""
    carried = [d["filename"] for d in documents if d.get("carried")]
    added = [d["filename"] for d in documents if not d.get("carried")]
    if not (carried or added):
        return "Documents: none"
    parts = []
    if carried:
        parts.append(
            ", ".join(carried) + " (sent before; they go with the corrected request)"
        )
    if added:
        parts.append(", ".join(added) + (" (new)" if carried else ""))
    return "Documents: " + "; ".join(parts)


def _check_again(carried: list[Document], fields: dict) -> None:
    """Judge the documents against the corrected details, not the rejected ones.

    The team would otherwise read, beside a corrected name, the mismatch found
    with the name the carrier refused.
    """
    from assistant import documents

    limits = documents.Limits.from_config(current_app.config)
    for document in carried:
        if document.kind == "number_list" or document.data is None:
            continue
        text = documents.read_text(document.content, document.media_type, limits)
        document.findings = [
            finding.__dict__
            for finding in documents.check_document(document.kind, text, fields)
        ]


def copy_documents(turn, ids: list[str]) -> list[dict]:
    """Copies of this conversation's documents for its current request, checked."""
    from assistant import documents

    limits = documents.Limits.from_config(current_app.config)
    copies = []
    sources = db.session.scalars(
        select(Document)
        .where(
            Document.id.in_(ids),
            Document.conversation_id == turn.conversation.id,
        )
        .order_by(Document.created_at)
    )
    for source in sources:
        if source.data is None:
            continue
        content = source.content
        text = documents.read_text(content, source.media_type, limits)
        findings = [
            finding.__dict__
            for finding in documents.check_document(source.kind, text, turn.fields)
        ]
        copy = Document(
            conversation_id=source.conversation_id,
            group_index=turn.slots.get("group", 0),
            kind=source.kind,
            filename=source.filename,
            media_type=source.media_type,
            size=source.size,
            sha256=source.sha256,
            findings=findings,
        )
        copy.content = content
        db.session.add(copy)
        db.session.flush()
        copies.append(
            {
                "id": copy.id,
                "kind": copy.kind,
                "filename": copy.filename,
                "findings": findings,
            }
        )
    return copies


def _move_new_documents(turn, request: PortRequest) -> None:
    """Documents uploaded while correcting join the request they correct."""
    carried = {d["id"] for d in turn.slots.get("documents", []) if d.get("carried")}
    added = [d["id"] for d in turn.slots.get("documents", []) if d["id"] not in carried]
    if not added:
        return
    for document in db.session.scalars(
        select(Document).where(
            Document.id.in_(added),
            Document.conversation_id == turn.conversation.id,
        )
    ):
        document.conversation_id = request.conversation_id
        document.group_index = request.group_index


def submitted_lines(request: PortRequest, signed_at: datetime, slots: dict) -> list:
    config = current_app.config
    start, end = schedule.port_window(
        signed_at,
        toll_free=request.number_type == "toll_free",
        tz=config["TIMEZONE"],
        cutoff_hour=config["CUTOFF_HOUR"],
        min_days=config["MIN_PORT_BUSINESS_DAYS"],
        toll_free_min_days=config["TOLL_FREE_MIN_BUSINESS_DAYS"],
    )
    lines = [
        f"Done! Your request is in. Your reference is {request.reference}; we've "
        f"e-mailed a copy of the signed letter to {request.contact_email}.",
        f"Expect the move between {_day(start)} and {_day(end)}. "
        + schedule.rejected_window_note(),
        "Please keep your current service on until we confirm the move: cancelling "
        "early can lose the number.",
    ]
    not_ported = slots.get("not_ported") or []
    if not_ported:
        left_out = ", ".join(format_number(item["e164"]) for item in not_ported)
        lines.append(
            f"{_count(len(not_ported), 'number')} couldn't be included and "
            f"{'stays' if len(not_ported) == 1 else 'stay'} with your current "
            f"provider: {left_out}. The review above says why and what you can do "
            "instead."
        )
    left = slots.get("groups", [])[slots.get("group", 0) + 1 :]
    if left:
        named = "; ".join(", ".join(format_number(e) for e in group) for group in left)
        if len(left) == 1:
            lines.append(f"There's one more request to go, for {named}.")
        else:
            lines.append(f"There are {len(left)} more requests to go: {named}.")
    return lines


def _count(count: int, noun: str) -> str:
    return f"1 {noun}" if count == 1 else f"{count} {noun}s"


def _day(value) -> str:
    return value.strftime("%A, %B %-d")


def request_human(turn, address: str) -> None:
    delivery.queue_human_request(turn.conversation.id, address, turn.model.state)


def find_request(reference: str, email: str) -> PortRequest | None:
    return db.session.scalar(
        select(PortRequest).where(
            func.upper(PortRequest.reference) == reference.strip().upper(),
            PortRequest.contact_email == email.strip().lower(),
        )
    )


def status_lines(reference: str, email: str) -> list[str]:
    request = find_request(reference, email)
    if request is None:
        return [
            "I couldn't find a request with that reference and e-mail. Please check "
            "both against your confirmation e-mail and try again."
        ]
    lines = [f"{request.reference}: {STATUS_LABELS[request.status]}."]
    if request.status == "foc_confirmed" and request.foc_date:
        lines.append(f"Port date: {port_date_words(request.foc_date)}.")
    lines.append(STATUS_NEXT[request.status])
    if request.status == "rejected" and request.rejection_code:
        reason = REASON_BY_CODE[request.rejection_code]
        lines.append(f"What to fix: {reason.guidance}")
    note = _latest_note(request)
    if note:
        lines.append(f"Note from our team: {note}")
    return lines


def port_date_words(iso_date: str) -> str:
    """A stored port date as customers read it, like "Friday, December 11, 2026"."""
    try:
        return schedule.format_date(date.fromisoformat(iso_date))
    except ValueError:
        return iso_date


def _latest_note(request: PortRequest) -> str | None:
    """The team's note on the change that set the current status, if any."""
    if request.status == "rejected":
        return request.rejection_note
    latest = request.events[-1] if request.events else None
    if latest is None or latest.status != request.status:
        return None
    return latest.note
