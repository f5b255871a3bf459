"""The chat's HTTP interface of DESIGN.md: conversations, messages, documents, LOA."""

import hashlib
import io
import logging

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from flask import send_file
from itsdangerous import BadSignature
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from assistant import chat
from assistant import documents
from assistant import loa
from assistant import numbers as numbering
from assistant.errors import ApiError
from assistant.extensions import csrf
from assistant.extensions import db
from assistant.extensions import limiter
from assistant.models import Conversation
from assistant.models import Document
from assistant.models import PortRequest
from assistant.network import client_address
from assistant.submission import loa_options
from assistant.submission import loa_values
from flows.intake import INTAKE

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

DOCUMENT_KINDS = (
    "bill",
    "google_voice_screenshot",
    "receipt",
    "portal_screenshot",
    "csr",
    "number_list",
)
# Each document kind as the customer would name it, for the sentences below.
DOCUMENT_WORDS = {
    "bill": "a bill (or statement)",
    "google_voice_screenshot": "a screenshot of your Google Voice settings",
    "receipt": "a purchase receipt",
    "portal_screenshot": "a screenshot of your account portal",
    "csr": "a Customer Service Record (CSR)",
    "number_list": "a list of numbers (CSV or text)",
}
LOA_READY_STATES = ("documents", "csr", "review", "sign", "submitted")


def _load(conversation_id: str) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id[:64])
    if conversation is None:
        raise ApiError(
            404, message="We couldn't find that conversation. Please start a new chat."
        )
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token or not conversation.token_matches(token):
        raise ApiError(401)
    return conversation


def _state_body(conversation: Conversation) -> dict:
    state = INTAKE.recover_state(conversation.state)
    return {
        "state": state,
        "input": chat.describe_input(state, conversation.slots, conversation.secrets),
        "progress": INTAKE.progress(state),
    }


STALE = "Another message changed this conversation first. Please send yours again."


def _commit_turn(conversation: Conversation) -> None:
    """Save a turn; a racing message that saved first makes this one stale.

    Two signatures racing both try to create the request; the unique key on
    (conversation, group) stops the second, which is then stale in the same way.
    """
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError) as error:
        db.session.rollback()
        raise ApiError(409, "stale", STALE) from error
    _send_mail_now()


def _send_mail_now() -> None:
    from assistant import delivery

    try:
        delivery.send_pending(limit=10)
    except Exception:  # noqa: BLE001 - the outbox keeps it for the next attempt
        log.exception("outbox: sending after a turn failed; it stays queued")
        db.session.rollback()


def _request_info() -> dict:
    return {
        "ip": client_address(),
        "user_agent": request.headers.get("User-Agent", "")[:400],
    }


TOO_DEEP = object()
"""What `_json_payload` gives for JSON nested deeper than the parser can follow."""


def _json_payload():
    """The body as JSON, None when it isn't JSON, or TOO_DEEP when nested too deep."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        # The json module gives up on arrays nested a thousand deep with a
        # RecursionError, which werkzeug's silent mode does not catch.
        return TOO_DEEP


@bp.post("/conversations")
@limiter.limit(lambda: current_app.config["RATE_CREATE"])
def create_conversation():
    body = request.get_data(cache=True)
    if body.strip():
        payload = _json_payload()
        if not isinstance(payload, dict):
            raise ApiError(400, message="Send an empty body or {} to start a chat.")
    conversation, token, reply = chat.start_conversation()
    db.session.add(conversation)
    db.session.commit()
    log.info("conversation %s: started", conversation.id)
    return jsonify(
        {
            "id": conversation.id,
            "token": token,
            "messages": reply.messages,
            **_state_body(conversation),
        }
    ), 201


@bp.get("/conversations/<conversation_id>")
@limiter.limit(lambda: current_app.config["RATE_READ"])
def get_conversation(conversation_id: str):
    conversation = _load(conversation_id)
    return jsonify(
        {
            "id": conversation.id,
            "transcript": conversation.transcript,
            **_state_body(conversation),
        }
    )


def _event_from(payload) -> chat.Event:
    if not isinstance(payload, dict):
        raise ApiError(400, message="Send a JSON object with text, choice or form.")
    keys = [key for key in ("text", "choice", "form") if key in payload]
    if len(keys) != 1 or len(payload) != 1:
        raise ApiError(
            400, message="Send exactly one of text, choice or form in each message."
        )
    key = keys[0]
    value = payload[key]
    limit = chat.max_text()
    if key in ("text", "choice"):
        if not isinstance(value, str):
            raise ApiError(400, message=f"The {key} must be a string.")
        _refuse_unreadable(value)
        value = chat.normalise_text(value) if key == "text" else value.strip()
        if len(value) > limit:
            raise ApiError(
                413,
                message=f"That message is too long. Please keep it "
                f"under {limit:,} characters.",
            )
        if not value:
            raise ApiError(400, message="That message is empty. Please type something.")
        return chat.Event(key, value)
    if not isinstance(value, dict):
        raise ApiError(400, message="The form must be an object of field values.")
    cleaned = {}
    for name, item in value.items():
        if not isinstance(name, str) or len(name) > 64:
            raise ApiError(400, message="A form field name isn't valid.")
        if isinstance(item, list):
            if not all(isinstance(part, str | int | float | bool) for part in item):
                raise ApiError(400, message=f"The value of {name} isn't valid.")
            if len(item) > 1000:
                raise ApiError(413, message=f"The value of {name} is too long.")
            # Every field takes text, so a list is read as its items one a line;
            # a checkbox sent a list then reads as unclear, never as ticked.
            item = "\n".join(_list_item_text(part) for part in item)
        elif item is not None and not isinstance(item, str | int | float | bool):
            raise ApiError(400, message=f"The value of {name} isn't valid.")
        if isinstance(item, str):
            if len(item) > limit:
                raise ApiError(413, message=f"The value of {name} is too long.")
            _refuse_unreadable(item)
            item = chat.normalise_text(item)
        cleaned[name] = item
    return chat.Event("form", cleaned)


def _list_item_text(part) -> str:
    """One item of a listed form value as the text a customer would have typed."""
    if isinstance(part, bool):
        return "yes" if part else "no"
    if isinstance(part, float) and part.is_integer():
        return str(int(part))
    return str(part)


def _refuse_unreadable(text: str) -> None:
    """Refuse text holding half of a character pair, which no one can type."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise ApiError(
            400,
            message="We couldn't read the characters in that message. "
            "Please type it again.",
        )


@bp.post("/conversations/<conversation_id>/messages")
@limiter.limit(lambda: current_app.config["RATE_MESSAGE"])
def post_message(conversation_id: str):
    conversation = _load(conversation_id)
    payload = _json_payload()
    if payload is TOO_DEEP:
        raise ApiError(
            400,
            message="That message is nested too deeply to read. "
            'Please send a plain {"text": "..."}.',
        )
    if payload is None:
        raise ApiError(
            400, message='That message isn\'t valid JSON. Please send {"text": "..."}.'
        )
    event = _event_from(payload)

    reply = _turn(conversation, event)
    return jsonify(_reply_body(conversation, reply))


def _turn(conversation: Conversation, event: chat.Event) -> chat.Reply:
    # The customer is back: an earlier mark as abandoned no longer holds.
    conversation.abandoned_at = None
    try:
        reply = chat.run_turn(conversation, event, _request_info())
    except chat.BadEvent as error:
        db.session.rollback()
        raise ApiError(error.status, error.code, error.message) from error
    except IntegrityError as error:
        db.session.rollback()
        raise ApiError(409, "stale", STALE) from error
    _commit_turn(conversation)
    return reply


def _reply_body(conversation: Conversation, reply: chat.Reply) -> dict:
    return {
        "messages": reply.messages,
        "errors": reply.errors,
        "reference": conversation.slots.get("reference"),
        **_state_body(conversation),
    }


@bp.post("/conversations/<conversation_id>/documents")
@limiter.limit(lambda: current_app.config["RATE_UPLOAD"])
def post_document(conversation_id: str):
    conversation = _load(conversation_id)
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if kind not in DOCUMENT_KINDS:
        raise ApiError(
            400,
            message="We couldn't tell what kind of document that is. Please send "
            f"it as one of these: {_in_words(DOCUMENT_KINDS)}.",
        )
    if upload is None:
        raise ApiError(400, message="Please attach the file in the field named file.")
    state = INTAKE.recover_state(conversation.state)
    accepted_here = chat.describe_input(state, conversation.slots, {})["accept"]
    if kind not in accepted_here:
        if not accepted_here:
            raise ApiError(
                409,
                message="There's no upload at this step. Please answer the "
                "question shown first.",
            )
        raise ApiError(
            409,
            message=f"This step takes {_in_words(accepted_here)}, so that "
            "document can't be used here. Please send "
            + ("that" if len(accepted_here) == 1 else "one of those")
            + " instead.",
        )
    data = upload.read(current_app.config["MAX_FILE_BYTES"] + 1)

    if kind == "number_list":
        return _number_list(conversation, upload.filename or "numbers.csv", data)
    stored = db.session.scalar(
        select(func.coalesce(func.sum(Document.size), 0)).where(
            Document.conversation_id == conversation.id
        )
    )
    try:
        accepted = documents.accept_upload(
            data,
            upload.filename or "document",
            limits=documents.Limits.from_config(current_app.config),
            already_stored_bytes=stored,
        )
    except documents.DocumentRejected as error:
        log.info("conversation %s: upload refused (%s)", conversation.id, error.code)
        raise ApiError(error.status, error.code, error.message) from error
    intake = {**conversation.slots.get("fields", {})}
    findings = [
        f.__dict__ if not isinstance(f, dict) else f
        for f in documents.check_document(kind, accepted.text, intake)
    ]
    document = Document(
        conversation_id=conversation.id,
        group_index=conversation.slots.get("group", 0),
        kind=kind,
        filename=accepted.filename,
        media_type=accepted.media_type,
        size=accepted.size,
        sha256=accepted.sha256,
        findings=findings,
    )
    document.content = accepted.data
    db.session.add(document)
    db.session.flush()
    event = chat.Event(
        "document",
        kind,
        {
            "id": document.id,
            "kind": kind,
            "filename": document.filename,
            "findings": findings,
        },
    )
    reply = _turn(conversation, event)
    body = _reply_body(conversation, reply)
    body["document"] = {
        "id": document.id,
        "kind": kind,
        "filename": document.filename,
        "size": document.size,
        "findings": findings,
    }
    return jsonify(body), 201


def _in_words(kinds) -> str:
    """Document kinds named for people: "a bill, a receipt or a CSR"."""
    words = [DOCUMENT_WORDS[kind] for kind in kinds]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _number_list(conversation: Conversation, filename: str, data: bytes):
    if len(data) > current_app.config["MAX_FILE_BYTES"]:
        raise ApiError(
            413, message="That list is too large. Please split it into smaller files."
        )
    try:
        parsed = numbering.parse_number_list_csv(
            data, current_app.config["SUPPORTED_REGIONS"][0]
        )
    except numbering.NumberListError as error:
        raise ApiError(415, "unsupported_file", str(error)) from error
    event = chat.Event(
        "document",
        "number_list",
        {"kind": "number_list", "filename": filename[:100], "parsed": parsed},
    )
    reply = _turn(conversation, event)
    body = _reply_body(conversation, reply)
    body["document"] = {
        "id": None,
        "kind": "number_list",
        "filename": filename[:100],
        "size": len(data),
        "findings": [],
    }
    return jsonify(body), 201


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="loa-download")


def loa_link(conversation: Conversation) -> str:
    """A short-lived URL for this conversation's LOA that carries no token."""
    signed = _serializer().dumps([conversation.id, conversation.version])
    return f"/api/conversations/{conversation.id}/loa.pdf?sig={signed}"


@bp.get("/conversations/<conversation_id>/loa.pdf")
@limiter.limit(lambda: current_app.config["RATE_READ"])
def get_loa(conversation_id: str):
    signature = request.args.get("sig")
    if signature:
        conversation = db.session.get(Conversation, conversation_id[:64])
        if conversation is None:
            raise ApiError(404)
        try:
            signed_id, _version = _serializer().loads(signature, max_age=300)
        except BadSignature as error:
            raise ApiError(
                401,
                message="This download link has expired. Please use "
                "the download button again.",
            ) from error
        if signed_id != conversation.id:
            raise ApiError(401)
    else:
        conversation = _load(conversation_id)

    submitted = db.session.scalar(
        select(PortRequest).where(
            PortRequest.conversation_id == conversation.id,
            PortRequest.group_index == conversation.slots.get("group", 0),
        )
    )
    if submitted is not None:
        pdf, name = submitted.signed_loa, f"LOA-{submitted.reference}-signed.pdf"
    elif conversation.state in LOA_READY_STATES:
        fields = conversation.slots.get("fields", {})
        pdf = loa.fill_loa(
            loa_values(fields, conversation.secrets),
            fields.get("numbers", []),
            **loa_options(),
        )
        name = "LOA-preview.pdf"
    else:
        raise ApiError(
            409,
            message="The letter isn't ready yet. It can be made once "
            "the authorization details are filled in.",
        )
    response = send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        download_name=name,
        as_attachment=False,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["ETag"] = hashlib.sha256(pdf).hexdigest()[:32]
    return response


@bp.post("/conversations/<conversation_id>/loa-link")
@limiter.limit(lambda: current_app.config["RATE_READ"])
def post_loa_link(conversation_id: str):
    conversation = _load(conversation_id)
    return jsonify({"url": loa_link(conversation)})
