"""The intake as plain HTML pages at /port: the chat's steps, no JavaScript needed.

Each POST becomes one chat event for `chat.run_turn`, so both channels behave the
same; the answer is saved and the browser is sent back to GET /port, which shows
the step the conversation is at now.
"""

import logging

from flask import Blueprint
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from assistant import api
from assistant import chat
from assistant import documents
from assistant import numbers as numbering
from assistant.extensions import db
from assistant.extensions import limiter
from assistant.models import Conversation
from assistant.models import Document
from assistant.network import client_address
from flows.intake import INTAKE
from flows.intake import STEPS
from flows.intake import prompt_lines
from forms.intake import STEP_FORMS

log = logging.getLogger(__name__)

bp = Blueprint("wizard", __name__, url_prefix="/port")

SESSION_KEY = "port"
NOTES_KEY = "port_notes"
# What a re-shown text box keeps; the session cookie must stay well under 4 KB.
KEPT_TEXT_CHARS = 1000
GENERAL = "_general"

TEXT_INPUTS = {
    "numbers": ("Phone numbers", "textarea", "off"),
    "remaining_numbers": ("Numbers that stay", "textarea", "off"),
    "new_btn": ("New main number", "tel", "tel"),
    "contact_email": ("Your e-mail address", "email", "email"),
    "question": ("Your question", "text", "off"),
}
DOCUMENT_LABELS = {
    "bill": "Bill or statement",
    "google_voice_screenshot": "Screenshot of Google Voice settings",
    "receipt": "Purchase receipt",
    "portal_screenshot": "Screenshot of your account portal",
    "csr": "Customer Service Record (CSR)",
    "number_list": "List of numbers (CSV or text)",
}
FILE_TYPES = {
    "number_list": ".csv,.txt,text/csv,text/plain",
    "document": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg",
}
AUTOCOMPLETE = {
    "carrier": "off",
    "account_number": "off",
    "pin": "off",
    "btn": "tel",
    "name_on_bill": "name",
    "business_name": "organization",
    "authorized_name": "name",
    "authorized_title": "organization-title",
    "service_street": "address-line1",
    "service_unit": "address-line2",
    "service_city": "address-level2",
    "service_state": "address-level1",
    "service_zip": "postal-code",
    "contact_email": "email",
    "contact_phone": "tel",
    "signature_name": "name",
}


class Refused(Exception):
    """An answer the wizard turns away before the chat sees it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


# Pages.
@bp.get("")
def show():
    notes = session.pop(NOTES_KEY, None) or {}
    conversation = _current()
    if conversation is None:
        # Nothing is saved until the first answer, so a visit alone stores no row.
        conversation, _token, reply = chat.start_conversation()
        messages = reply.messages
    elif notes.get("prompt_only"):
        # The answer was turned away: what earlier answers got said is old news.
        messages = _prompt_messages(conversation)
    else:
        messages = _latest_messages(conversation.transcript or [])

    page = _page(conversation, messages, notes.get("errors", {}), notes.get("text"))
    response = current_app.make_response(render_template("wizard/step.html", **page))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("")
@limiter.limit(lambda: current_app.config["RATE_MESSAGE"])
def answer():
    conversation = _current()
    choice = request.form.get("choice", "").strip()
    if conversation is None and choice == "start_over":
        return _back_to_step()
    conversation = conversation or _begin()
    if choice != "start_over" and not _on_current_step(conversation):
        return _back_to_step()

    try:
        event = _event_from_form(conversation, choice)
    except Refused as refused:
        _refuse({refused.field: [refused.message]}, request.form.get("text"))
        return _back_to_step()
    _apply(conversation, event, request.form.get("text"))
    return _back_to_step()


def _kept_text(before: str, conversation: Conversation, reply, text):
    """The typed text to show again: kept whenever the same step is shown again."""
    if reply.errors or conversation.state == before:
        return text
    return None


@bp.post("/upload")
@limiter.limit(lambda: current_app.config["RATE_UPLOAD"])
def upload():
    conversation = _current()
    if conversation is None or not _on_current_step(conversation):
        return _back_to_step()

    try:
        event = _event_from_upload(conversation)
    except Refused as refused:
        db.session.rollback()
        _refuse({refused.field: [refused.message]})
        return _back_to_step()
    _apply(conversation, event)
    return _back_to_step()


@bp.get("/loa.pdf")
def loa_pdf():
    conversation = _current()
    if conversation is None or conversation.state not in api.LOA_READY_STATES:
        _refuse(
            {
                GENERAL: [
                    "The letter isn't ready yet. It can be made once the "
                    "authorization details are filled in."
                ]
            }
        )
        return _back_to_step()
    return redirect(api.loa_link(conversation), 303)


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    log.info("wizard: form refused, %s", error.description)
    return render_template("wizard/expired.html"), 400


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge):
    limit = current_app.config["MAX_FILE_BYTES"]
    size = f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit // 2**10} KB"
    _refuse(
        {
            "file": [
                f"That file is larger than we can take ({size} at most). Please "
                "upload a smaller copy, for example a PDF of just the pages needed."
            ]
        }
    )
    return _back_to_step()


# The conversation behind the pages.
def _current() -> Conversation | None:
    saved = session.get(SESSION_KEY)
    if not isinstance(saved, dict):
        return None
    conversation = db.session.get(Conversation, str(saved.get("id", ""))[:64])
    if conversation is None or not conversation.token_matches(
        str(saved.get("token", ""))
    ):
        session.pop(SESSION_KEY, None)
        return None
    return conversation


def _begin() -> Conversation:
    conversation, token, _reply = chat.start_conversation()
    db.session.add(conversation)
    db.session.commit()
    session[SESSION_KEY] = {"id": conversation.id, "token": token}
    log.info("conversation %s: started from the wizard", conversation.id)
    return conversation


def _on_current_step(conversation: Conversation) -> bool:
    """A page left open in another tab, or reached with Back, is out of date."""
    if request.form.get("step") == conversation.state:
        return True
    _refuse(
        {
            GENERAL: [
                "This request had already moved on, so we didn't use that answer. "
                "Here is the step you're on now."
            ]
        }
    )
    return False


def _event_from_form(conversation: Conversation, choice: str) -> chat.Event:
    if choice:
        return chat.Event("choice", choice[:100])
    described = chat.describe_input(
        conversation.state, conversation.slots, conversation.secrets
    )
    if described["kind"] == "form":
        return chat.Event("form", _form_values(conversation.state))

    field = described["field"] or GENERAL
    if described["kind"] != "text":
        raise Refused(field, "Please choose one of the options shown.")
    text = chat.normalise_text(request.form.get("text", ""))
    if not text:
        raise Refused(field, _empty_message(field))
    limit = chat.max_text()
    if len(text) > limit:
        raise Refused(
            field,
            f"That's longer than we can take. Please keep it under {limit:,} "
            "characters.",
        )
    return chat.Event("text", text)


def _form_values(form_name: str) -> dict:
    """The posted values of a step's form, named and typed as the chat sends them."""
    form = STEP_FORMS[form_name](formdata=None, meta={"csrf": False})
    limit = chat.max_text()
    values: dict = {}
    for item in form:
        if item.type == "BooleanField":
            values[item.name] = item.name in request.form
        else:
            values[item.name] = chat.normalise_text(
                request.form.get(item.name, "")[:limit]
            )
    return values


def _empty_message(field: str) -> str:
    if field == "numbers":
        return "Please type the numbers you'd like to bring over, or upload a list."
    if field == "remaining_numbers":
        return "Please type the numbers that stay on the old account, or skip."
    label = TEXT_INPUTS.get(field, ("an answer",))[0].lower()
    return f"Please type {label} in the box."


def _event_from_upload(conversation: Conversation) -> chat.Event:
    described = chat.describe_input(conversation.state, conversation.slots, {})
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if kind not in described["accept"]:
        raise Refused(
            "kind", "Please choose what the document is from the list, then upload it."
        )
    if upload is None or not upload.filename:
        raise Refused("file", "Please choose a file to upload.")
    data = upload.read(current_app.config["MAX_FILE_BYTES"] + 1)

    if kind == "number_list":
        return _number_list_event(upload.filename, data)
    return _document_event(conversation, kind, upload.filename, data)


def _number_list_event(filename: str, data: bytes) -> chat.Event:
    if len(data) > current_app.config["MAX_FILE_BYTES"]:
        raise Refused(
            "file", "That list is too large. Please split it into smaller files."
        )
    try:
        parsed = numbering.parse_number_list_csv(
            data, current_app.config["SUPPORTED_REGIONS"][0]
        )
    except numbering.NumberListError as error:
        raise Refused("file", str(error)) from error
    return chat.Event(
        "document",
        "number_list",
        {"kind": "number_list", "filename": filename[:100], "parsed": parsed},
    )


def _document_event(
    conversation: Conversation, kind: str, filename: str, data: bytes
) -> chat.Event:
    """Check and store one evidence document the way the chat's upload does."""
    stored = db.session.scalar(
        select(func.coalesce(func.sum(Document.size), 0)).where(
            Document.conversation_id == conversation.id
        )
    )
    try:
        accepted = documents.accept_upload(
            data,
            filename,
            limits=documents.Limits.from_config(current_app.config),
            already_stored_bytes=stored,
        )
    except documents.DocumentRejected as error:
        log.info("conversation %s: upload refused (%s)", conversation.id, error.code)
        raise Refused("file", error.message) from error

    intake = dict(conversation.slots.get("fields", {}))
    findings = [
        vars(finding)
        for finding in documents.check_document(kind, accepted.text, intake)
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
    described = {
        "id": document.id,
        "kind": kind,
        "filename": document.filename,
        "findings": findings,
    }
    return chat.Event("document", kind, described)


def _apply(conversation: Conversation, event: chat.Event, text=None) -> None:
    """One chat turn, saved; what the page should say about it kept for GET."""
    request_info = {
        "ip": client_address(),
        "user_agent": request.headers.get("User-Agent", "")[:400],
    }
    before = conversation.state
    try:
        reply = chat.run_turn(conversation, event, request_info)
    except chat.BadEvent as error:
        db.session.rollback()
        _refuse({_field_of(conversation): [error.message]}, text)
        return

    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        _refuse(
            {
                GENERAL: [
                    "Another change reached this request at the same moment, so "
                    "we didn't save yours. Please check the step and send it again."
                ]
            },
            text,
        )
        return
    kept = _kept_text(before, conversation, reply, text)
    if reply.errors:
        _remember(reply.errors, kept)
    elif reply.refused:
        # The chat re-asks in a message; a page shows it as the field's error.
        _refuse(reply.refused, kept)
    else:
        _remember({}, kept)
    _send_mail_now()


def _send_mail_now() -> None:
    from assistant import delivery

    try:
        delivery.send_pending(limit=10)
    except Exception:  # noqa: BLE001 - the outbox keeps it for the next attempt
        log.exception("outbox: sending after a wizard step failed; it stays queued")
        db.session.rollback()


def _remember(errors: dict, text: str | None = None, prompt_only=False) -> None:
    notes: dict = {"errors": {k: list(v) for k, v in errors.items()}}
    if text and len(text) <= KEPT_TEXT_CHARS:
        notes["text"] = text
    if prompt_only:
        notes["prompt_only"] = True
    session[NOTES_KEY] = notes


def _refuse(errors: dict, text: str | None = None) -> None:
    """Errors of an answer turned away; the page then shows only the step's question."""
    _remember(errors, text, prompt_only=True)


def _field_of(conversation: Conversation) -> str:
    """The field a choice or text step sets, which a refused answer is about."""
    described = chat.describe_input(conversation.state, conversation.slots, {})
    if described["kind"] in ("choice", "text") and described["field"]:
        return described["field"]
    return GENERAL


def _back_to_step():
    return redirect(url_for("wizard.show"), 303)


# What a step page shows.
def _prompt_messages(conversation: Conversation) -> list[dict]:
    """The current step's question, as the assistant says it on arrival."""
    lines = prompt_lines(conversation.state, conversation.slots or {})
    return [{"role": "assistant", "kind": "text", "text": line} for line in lines]


def _latest_messages(transcript: list[dict]) -> list[dict]:
    """The assistant's messages since the customer's last answer."""
    latest: list[dict] = []
    for message in reversed(transcript):
        if message.get("role") != "assistant":
            break
        latest.append(message)
    return latest[::-1]


def _page(conversation: Conversation, messages, errors: dict, text) -> dict:
    state = conversation.state
    described = chat.describe_input(state, conversation.slots, conversation.secrets)
    progress = INTAKE.progress(state)
    form = None
    if described["kind"] == "form":
        form = chat.bind_form(
            state, {item["name"]: item["value"] for item in described["fields"]}
        )
        for item in form:
            item.errors = list(errors.get(item.name, []))

    return {
        "state": state,
        "messages": messages,
        "input": described,
        "form": form,
        "text_input": _text_input(described, _numbers_draft(conversation, text)),
        "uploads": [(kind, DOCUMENT_LABELS[kind]) for kind in described["accept"]],
        "file_types": _file_types(described["accept"]),
        "progress": progress,
        "steps": [label for _name, label in STEPS],
        "summary": _summary(errors, described, form),
        "errors": errors,
        "choice_errors": errors.get(described["field"])
        if described["kind"] == "choice"
        else None,
        "can_go_back": bool(conversation.slots.get("history"))
        and state not in ("welcome", "submitted"),
        "saved": conversation.id is not None,
        "reference": conversation.slots.get("reference"),
        "loa_ready": state in api.LOA_READY_STATES,
        "autocomplete": AUTOCOMPLETE,
    }


def _text_input(described: dict, text: str | None) -> dict | None:
    if described["kind"] != "text":
        return None
    field = described["field"] or "answer"
    label, kind, autocomplete = TEXT_INPUTS.get(field, ("Your answer", "text", "off"))
    return {
        "id": field,
        "label": label,
        "type": kind,
        "autocomplete": autocomplete,
        "value": text or "",
    }


def _numbers_draft(conversation: Conversation, text: str | None) -> str | None:
    """What the numbers box starts with: the typed text, else the list to change."""
    if text or conversation.state != "numbers":
        return text
    return conversation.slots.get("numbers_draft")


def _file_types(accept: list[str]) -> str:
    if accept == ["number_list"]:
        return FILE_TYPES["number_list"]
    return FILE_TYPES["document"]


def _summary(errors: dict, described: dict, form) -> list[dict]:
    """Each error once, with the id of the control it is about when there is one."""
    targets = {"file": "file", "kind": "kind"}
    if described["field"]:
        kind = described["kind"]
        targets[described["field"]] = (
            "choices" if kind == "choice" else "file" if kind == "upload" else None
        ) or described["field"]
    order = [GENERAL]
    if form is not None:
        targets.update({item.name: item.id for item in form})
        order += [item.name for item in form]
    # Listed in the order of the page, whatever order the checks ran in.
    names = sorted(errors, key=lambda n: order.index(n) if n in order else len(order))
    return [
        {"message": message, "target": targets.get(name)}
        for name in names
        for message in errors[name]
    ]
