"""One chat turn: parse the message, advance the flow, save, reply."""

import copy
import logging
import re
from dataclasses import dataclass
from dataclasses import field

from flask import current_app
from werkzeug.datastructures import MultiDict

from assistant import knowledge
from assistant import steps
from assistant.crypto import SECRET_FIELDS
from assistant.crypto import mask_field
from assistant.models import Conversation
from assistant.models import hash_token
from assistant.models import utcnow
from flows.intake import INTAKE
from flows.intake import input_for
from forms.intake import STEP_FORMS

log = logging.getLogger(__name__)

COMMANDS = {
    "start_over": ("start over", "restart", "start again", "reset"),
    "back": ("back", "go back", "previous", "undo"),
    "human": (
        "talk to a person",
        "human",
        "agent",
        "talk to someone",
        "speak to a person",
        "speak to someone",
        "real person",
        "representative",
    ),
    "status": ("status", "status of my port", "check status", "check my request"),
}
COMMAND_LABELS = {
    "start_over": "Start over",
    "back": "Back",
    "human": "Talk to a person",
    "status": "Check a request",
}
FIELD_TYPES = {
    "StringField": "text",
    "TextAreaField": "textarea",
    "EmailField": "email",
    "TelField": "tel",
    "DateField": "date",
    "SelectField": "select",
    "BooleanField": "checkbox",
}


class BadEvent(Exception):
    """A message the current step can't take at all (a 400 or 409)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Event:
    kind: str  # text, choice, form, document
    value: object
    document: dict | None = None


@dataclass
class Reply:
    messages: list[dict] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Not in the JSON reply: the chat says these in its messages already.
    refused: dict[str, list[str]] = field(default_factory=dict)


def normalise_text(text: str) -> str:
    """Text as a step should judge it: printable, single-spaced, trimmed."""
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line).strip()


def command_of(event: Event) -> str | None:
    if event.kind == "choice" and event.value in COMMANDS:
        return str(event.value)
    if event.kind == "text":
        said = re.sub(r"[^\w\s]", "", str(event.value).lower()).strip()
        for command, phrases in COMMANDS.items():
            if said in phrases:
                return command
    return None


def start_conversation() -> tuple[Conversation, str, Reply]:
    token = Conversation.new_token()
    conversation = Conversation(
        token_hash=hash_token(token),
        state=INTAKE.initial,
        slots={},
        transcript=[],
    )
    with INTAKE.bound(INTAKE.initial, conversation.slots) as model:
        model.ask()
        reply = Reply(messages=_assistant(model.out))
    conversation.transcript = list(reply.messages)
    return conversation, token, reply


def _assistant(raw: list[dict]) -> list[dict]:
    return [
        {
            "role": "assistant",
            "kind": item.get("kind", "text"),
            "text": item["text"],
            "topic": item.get("topic"),
        }
        for item in raw
        if item.get("text")
    ]


def run_turn(conversation: Conversation, event: Event, request_info: dict) -> Reply:
    """Apply one event to a conversation loaded from the database."""
    state = INTAKE.recover_state(conversation.state)
    if state != conversation.state:
        log.warning(
            "conversation %s: saved state %r no longer exists, resumed at %r",
            conversation.id,
            conversation.state,
            state,
        )
    slots = copy.deepcopy(conversation.slots or {})
    offered_topics = slots.pop("suggested", [])
    secrets = conversation.secrets
    turn = steps.Turn(conversation, slots, secrets, request_info)

    with INTAKE.bound(state, slots) as model:
        turn.model = model
        offered = input_for(model.state, {**slots, "suggested": offered_topics})
        user_text = _user_echo(event, offered)
        if state != conversation.state:
            # The message was meant for a step that is gone: ask the new one first.
            model.say(
                "We've updated this assistant since your last visit, so we picked up "
                "at the nearest step. Everything you entered is still here.",
                "notice",
            )
            model.ask()
        else:
            _apply(turn, event, offered_topics)
        messages = _assistant(model.out)
        new_state = model.state

    if new_state != state:
        # A typed value kept only to show its form again goes once the form is left.
        for name in steps.SHOWN_SECRETS:
            turn.secrets.pop(f"{name}_draft", None)
    conversation.slots = slots
    conversation.secrets = turn.secrets
    conversation.state = new_state
    conversation.updated_at = utcnow()
    echo = [{"role": "user", "kind": "text", "text": user_text, "topic": None}]
    conversation.transcript = [*(conversation.transcript or []), *echo, *messages]
    log.info("conversation %s: %s -> %s", conversation.id, state, new_state)
    return Reply(messages=messages, errors=turn.errors, refused=turn.refused)


def _apply(turn, event: Event, offered_topics: list[dict]) -> None:
    model = turn.model
    command = command_of(event)
    if command:
        steps.run_command(turn, command)
        return
    current = input_for(model.state, {**turn.slots, "suggested": offered_topics})
    event = _as_choice(event, current)
    if event.kind == "choice" and event.value.startswith("faq:"):
        steps.answer_topic(turn, event.value.removeprefix("faq:"))
        return
    event = _form_as_choice(event, current)
    if event.kind == "choice":
        offered = {c["id"] for c in current.get("choices", [])}
        # A sent request may be sent again: the step says it's already sent.
        repeat = model.state == "submitted" and event.value == "submit"
        if event.value not in offered and not repeat:
            raise BadEvent(
                400,
                "bad_request",
                "That option isn't available at this step. Please pick one of the "
                "options shown.",
            )
    handler = steps.HANDLERS.get(model.state)
    understood = handler(turn, event) if handler else False
    if understood:
        return
    if event.kind == "text":
        steps.digress(turn, str(event.value))
        return
    if event.kind == "form":
        field_name = current.get("field")
        if current.get("kind") == "choice" and field_name in event.value:
            labels = [c["label"] for c in current.get("choices", [])]
            raise BadEvent(
                400,
                "bad_request",
                "That answer isn't one this question takes. Please pick one of: "
                + ", ".join(labels)
                + ".",
            )
        raise BadEvent(
            409,
            "conflict",
            "This step doesn't take a form. Please answer the question shown.",
        )
    if event.kind == "document":
        raise BadEvent(
            409,
            "conflict",
            "There's no upload at this step. Please answer the question shown.",
        )


# Typed text this long or longer may stand for the one choice label holding it.
MIN_PARTIAL_CHARS = 4


def _as_choice(event: Event, current: dict) -> Event:
    """Typed text naming a choice counts as it: its id, label, part of it, yes/no.

    Part of a label, or a yes or no where one label starts with that word,
    counts only when exactly one choice fits, so nothing is guessed; text put
    as a question ("voip?") stays a question for the knowledge base.
    """
    if event.kind != "text":
        return event
    said = str(event.value).strip().lower()
    options = current.get("choices", [])
    for option in options:
        if said in (option["id"].lower(), option["label"].lower()):
            return Event("choice", option["id"])
    if knowledge.reads_as_question(said):
        return event
    phrased = steps.phrase_choice(said, options)
    if phrased:
        return Event("choice", phrased)
    if current.get("kind") != "choice":
        return event
    answer = steps.yes_or_no(said)
    picked = steps.yes_no_choice(answer, options) if answer else None
    if picked:
        return Event("choice", picked)
    typed = " ".join(_words(said))
    if len(typed) >= MIN_PARTIAL_CHARS:
        holding = [
            c for c in options if f" {typed} " in f" {' '.join(_words(c['label']))} "
        ]
        if len(holding) == 1:
            return Event("choice", holding[0]["id"])
    return event


def _form_as_choice(event: Event, current: dict) -> Event:
    """A form keyed by a choice step's field counts as the choice its value names."""
    field_name = current.get("field")
    if (
        event.kind != "form"
        or current.get("kind") != "choice"
        or set(event.value) != {field_name}
    ):
        return event
    value = event.value[field_name]
    if isinstance(value, bool):
        value = "yes" if value else "no"
    picked = _as_choice(Event("text", str(value or "")), current)
    return picked if picked.kind == "choice" else event


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text.lower())


def _user_echo(event: Event, offered: dict) -> str:
    """The customer's message as the transcript shows it: labels, secrets masked."""
    if event.kind == "text":
        return str(event.value)
    if event.kind == "choice":
        labels = {c["id"]: c["label"] for c in offered.get("choices", [])}
        labels = {**COMMAND_LABELS, **labels}
        return labels.get(event.value, str(event.value))
    if event.kind == "document":
        return f"Uploaded {event.document.get('filename', 'a file')}"
    labels = {}
    if offered.get("form") in STEP_FORMS:
        form = STEP_FORMS[offered["form"]](formdata=None, meta={"csrf": False})
        labels = {item.name: item.label.text for item in form}
    shown = []
    for name, value in event.value.items():
        if value in (None, "", False) or name not in labels:
            continue
        if name in SECRET_FIELDS:
            value = mask_field(name, str(value))
        elif value is True:
            value = "yes"
        shown.append(f"{labels[name]}: {value}")
    return "; ".join(shown) or "(form sent)"


def describe_input(state: str, slots: dict, secrets: dict) -> dict:
    """The input descriptor of DESIGN.md for a state, form fields filled in."""
    described = input_for(state, slots)
    described.setdefault("field", None)
    described.setdefault("choices", [])
    described.setdefault("accept", [])
    form_name = described.pop("form", None)
    described["fields"] = form_fields(form_name, slots, secrets) if form_name else []
    return described


def form_fields(form_name: str, slots: dict, secrets: dict) -> list[dict]:
    form = STEP_FORMS[form_name](formdata=None, meta={"csrf": False})
    entered = {**slots.get("fields", {}), **slots.get("drafts", {}).get(form_name, {})}
    described = []
    for item in form:
        value = entered.get(item.name, item.default)
        typed = secrets.get(f"{item.name}_draft") or secrets.get(item.name)
        if item.name in SECRET_FIELDS and typed:
            value = (
                typed
                if item.name in steps.SHOWN_SECRETS
                else mask_field(item.name, typed)
            )
        entry = {
            "name": item.name,
            "label": item.label.text,
            "type": FIELD_TYPES.get(type(item).__name__, "text"),
            "required": bool(item.flags.required),
            "value": "" if value is None else value,
            "choices": [],
        }
        if item.description:
            entry["help"] = item.description
        if entry["type"] == "select":
            entry["choices"] = [
                {"id": option.value, "label": option.label} for option in item.choices
            ]
        described.append(entry)
    return described


def bind_form(form_name: str, values: dict):
    """A form class bound to JSON values; booleans and lists made form-like."""
    data = MultiDict()
    for name, value in values.items():
        if isinstance(value, bool):
            if value:
                data.add(name, "y")
        elif isinstance(value, list):
            for item in value:
                data.add(name, str(item))
        elif value is not None:
            data.add(name, str(value))
    return STEP_FORMS[form_name](formdata=data, meta={"csrf": False})


def max_text() -> int:
    return current_app.config["MAX_TEXT_LENGTH"]
