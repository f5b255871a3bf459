"""What each intake step does with a message before the flow moves on."""

import logging
import re
from dataclasses import dataclass
from dataclasses import field

from flask import current_app

from assistant import eligibility
from assistant import knowledge
from assistant import numbers as numbering
from assistant import schedule
from assistant.crypto import SECRET_FIELDS
from assistant.crypto import mask_field
from flows.engine import fire
from flows.intake import EVIDENCE_OF
from flows.intake import TYPE_LABELS
from flows.intake import input_for
from forms.validators import EXAMPLE_PHONE

log = logging.getLogger(__name__)

YES = {
    "yes",
    "y",
    "yeah",
    "yep",
    "yup",
    "sure",
    "correct",
    "right",
    "ok",
    "okay",
    "true",
    "it is",
    "they are",
    "that's right",
    "affirmative",
}
NO = {
    "no",
    "n",
    "nope",
    "nah",
    "not",
    "false",
    "wrong",
    "incorrect",
    "they aren't",
    "it isn't",
    "not yet",
}
GREETING = re.compile(
    r"(?:hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening))"
    r"(?: there)?[\s!.,]*",
    re.IGNORECASE,
)
PORT_WORDS = re.compile(
    r"\b(port|porting|transfer|move|bring|switch)\b.*\b(number|numbers|line|lines)\b"
    r"|\b(port|transfer) (my|our)\b",
    re.IGNORECASE,
)
SHARED_FIELDS = (
    "name_on_bill",
    "business_name",
    "authorized_name",
    "authorized_title",
    "service_street",
    "service_unit",
    "service_city",
    "service_state",
    "service_zip",
    "contact_email",
    "contact_phone",
)
# Provider details the LOA prints, so each must be in characters its fonts draw.
# Secret fields a re-shown form gives back as typed: a billing number isn't a
# password, and the customer needs to see it to fix it.
SHOWN_SECRETS = ("btn",)
PRINTED_PROVIDER_FIELDS = ("carrier", "account_number", "pin")
# Provider answers the next request of a conversation starts with; whether a
# number is locked or refused is about that number, so it is asked afresh.
CARRIED_PROVIDER = ("carrier", "account_type", "no_pin")


@dataclass
class Turn:
    conversation: object
    slots: dict
    secrets: dict
    request_info: dict
    model: object = None
    errors: dict = field(default_factory=dict)
    # Answers the step turned away without a form error: the chat re-asks in a
    # message, the wizard shows them as errors of the step's field.
    refused: dict = field(default_factory=dict)

    @property
    def fields(self) -> dict:
        return self.slots.setdefault("fields", {})

    def say(self, text: str, kind: str = "text", topic: str | None = None) -> None:
        self.model.out.append({"kind": kind, "text": text, "topic": topic})

    def proceed(self) -> bool:
        self.slots.setdefault("history", []).append(self.model.state)
        _prepare_review(self)
        return fire(self.model, "proceed")


def yes_or_no(text: str) -> str | None:
    said = re.sub(r"[^\w\s']", "", text.lower()).strip()
    if said in YES or said.startswith(("yes ", "yeah ", "yep ")):
        return "yes"
    if said in NO or said.startswith(("no ", "nope ")):
        return "no"
    return None


def yes_no_choice(answer: str, options: list[dict]) -> str | None:
    """The choice a plain yes or no picks: its own id, or the one label it starts."""
    if answer in {c["id"] for c in options}:
        return answer
    starting = [c for c in options if _first_word(c["label"]) == answer]
    return starting[0]["id"] if len(starting) == 1 else None


# Plain ways of saying "go on" at a step whose way forward is no Yes choice, and
# of turning an optional step down; matched whole, so "yes but…" is not agreement.
AGREEING = YES | {
    "yes please",
    "looks right",
    "looks good",
    "all good",
    "all correct",
    "all right",
    "everything's right",
    "everything is right",
    "go ahead",
    "go on",
    "next",
    "next one",
    "next request",
}
DECLINING = {
    "no",
    "nope",
    "nah",
    "no thanks",
    "no thank you",
    "skip it",
    "skip this",
    "skip that",
    "skip for now",
    "not now",
    "none",
    "i don't have one",
    "i don't have it",
}
# The choices that carry the customer forward, where one is offered.
FORWARD_CHOICES = ("submit", "next")


def phrase_choice(text: str, options: list[dict]) -> str | None:
    """The choice a natural phrase picks: go on, skip, or a number's last 4 digits."""
    said = re.sub(r"[^\w\s']", "", text.lower().replace("’", "'")).strip()
    offered = {c["id"] for c in options}
    if said in AGREEING:
        forward = [i for i in FORWARD_CHOICES if i in offered]
        if len(forward) == 1:
            return forward[0]
    if said in DECLINING and "skip" in offered:
        return "skip"
    digits = re.findall(r"\d+", said)
    if len(digits) == 1 and len(digits[0]) == 4:
        ending = [
            c["id"]
            for c in options
            if re.sub(r"\D", "", c["label"]).endswith(digits[0])
        ]
        return ending[0] if len(ending) == 1 else None
    return None


def _first_word(label: str) -> str | None:
    match = re.match(r"[\w'-]+", label.strip().lower())
    return match.group() if match else None


def kb() -> "knowledge.KnowledgeBase":
    return knowledge.KnowledgeBase.load(
        current_app.config.get("KNOWLEDGE_BASE") or None,
        brand=current_app.config["BRAND_NAME"],
    )


# Commands that work from any step.
def run_command(turn: Turn, command: str) -> None:
    model = turn.model
    if command == "start_over":
        keep = {"references": turn.slots.get("references", [])}
        turn.slots.clear()
        turn.slots.update(keep)
        turn.secrets.clear()
        turn.say("No problem, let's start again.", "notice")
        fire(model, "restart")
    elif command == "back":
        history = turn.slots.get("history", [])
        if model.state in ("human", "status") and turn.slots.get("resume"):
            # A detour was never a step of the intake: back leaves it.
            _return_from_detour(turn)
            return
        if not history or model.state in ("submitted", "welcome"):
            turn.say("There's no earlier step to go back to from here.", "notice")
            model.ask()
            return
        _set_state(model, history.pop())
        if model.state == "numbers":
            turn.slots["numbers_draft"] = "\n".join(_numbers_to_change(turn))
        model.ask()
    elif command in ("human", "status"):
        if model.state not in ("human", "status"):
            turn.slots["resume"] = model.state
        fire(model, "ask_human" if command == "human" else "ask_status")


def _set_state(model, state: str) -> None:
    from flows.intake import INTAKE

    INTAKE.machine.set_state(state, model=model)


def answer_topic(turn: Turn, topic: str) -> None:
    base = kb()
    if topic not in base.ids:
        turn.say("I don't have an answer on that yet. Could you ask it another way?")
        turn.model.ask()
        return
    entry = base.entry(topic)
    turn.say(_answer_text(entry.answer, entry.details), "faq", topic)
    _offer_related(turn, base, entry.related)
    _ask_after_answer(turn)


def _ask_after_answer(turn: Turn) -> None:
    """Ask the step again after an answer; the question step's invite is said once."""
    if turn.model.state != "faq":
        turn.model.ask()


def _answer_text(answer: str, details: str) -> str:
    return f"{answer}\n\n{details}".strip() if details else answer


def digress(turn: Turn, text: str) -> None:
    """Free text the step couldn't use: a porting question, or a gentle re-ask."""
    base = kb()
    state = turn.model.state
    opening = state in ("welcome", "faq")
    if GREETING.fullmatch(text.strip()):
        greet(turn, opening)
        return
    if opening and PORT_WORDS.search(text) and not base.looks_like_question(text):
        turn.slots["intent"] = "port"
        turn.proceed()
        return
    if not (opening or base.looks_like_question(text)):
        hint = answer_hint(turn)
        turn.say("Sorry, I didn't quite get that. " + hint, "notice")
        field_name = input_for(state, turn.slots).get("field") or "_general"
        turn.refused[field_name] = [hint]
        # The hint names a sent request's choices; its confirmation is said once.
        if turn.model.state != "submitted":
            turn.model.ask()
        return

    context = {k: turn.fields.get(k) for k in ("number_type", "messaging_use")}
    answer = base.ask(text, context)
    if answer.topic:
        turn.say(answer.text, "faq", answer.topic)
        _offer_related(turn, base, [rid for rid, _ in answer.related])
        _ask_after_answer(turn)
        return
    if opening:
        turn.say(answer.text)
        turn.slots["suggested"] = [
            {"id": f"faq:{rid}", "label": title}
            for rid, title in answer.suggestions[:3]
        ]
    else:
        # Mid-intake the step keeps its own input, so the close topics are named
        # in a line instead of quick replies.
        turn.say(answer.text)
        titles = [title for _, title in answer.suggestions[:3]]
        if titles:
            turn.say("You could ask about: " + "; ".join(titles) + ".", "notice")
    _ask_after_answer(turn)


def greet(turn: Turn, opening: bool) -> None:
    """A hello back, with what we can do from here."""
    if opening:
        turn.say(
            "Hello! I can help you bring your phone numbers over, answer questions "
            "about porting, or check on a request you already sent. Pick one of "
            "the options, or just ask."
        )
        return
    turn.say("Hello! Here's where we are with your request.")
    turn.model.ask()


def answer_hint(turn: Turn) -> str:
    """A sentence naming the answers the current step takes."""
    current = input_for(turn.model.state, turn.slots)
    options = current.get("choices", [])
    labels = [c["label"] for c in options]
    if current.get("kind") == "choice" and labels:
        listed = ", ".join(f"“{label}”" for label in labels[:-1])
        listed = f"{listed} or “{labels[-1]}”" if listed else f"“{labels[-1]}”"
        # Yes and no are offered only where each of them picks one of the choices.
        if all(yes_no_choice(word, options) for word in ("yes", "no")):
            return f"Please choose {listed}, or type yes or no where that fits."
        return f"Please choose {listed}."
    field_name = current.get("field")
    if field_name == "contact_email":
        return (
            "Please type the e-mail address our team should write to, like "
            "name@company.com, or choose Back to carry on without it."
        )
    if field_name in ("numbers", "remaining_numbers"):
        return (
            f"Please type the phone numbers with their area code, like {EXAMPLE_PHONE}."
        )
    if field_name == "new_btn":
        return (
            "Please type the one number that stays and should become the "
            f"account's main number, with its area code, like {EXAMPLE_PHONE}."
        )
    if current.get("kind") == "form":
        return "Please fill in the form shown, or ask me a question about porting."
    if current.get("kind") == "upload":
        return "Please upload the document described above, or ask me a question."
    return "You can also ask me a question about porting."


def _offer_related(turn: Turn, base, related: list[str]) -> None:
    """Related topics: quick replies at the opening, a line of links mid-intake."""
    entries = [base.entry(rid) for rid in related if rid in base.ids][:3]
    if not entries:
        return
    if turn.model.state in ("welcome", "faq"):
        turn.slots["suggested"] = [
            {"id": f"faq:{e.id}", "label": e.title} for e in entries
        ]
    else:
        turn.say("Related: " + "; ".join(e.title for e in entries) + ".", "notice")


def find_request(reference: str, email: str):
    from assistant.submission import find_request as find

    return find(reference, email)


# The steps.
def welcome(turn: Turn, event) -> bool:
    if event.kind != "choice":
        return False
    turn.slots["intent"] = event.value
    if event.value == "status":
        turn.slots["resume"] = "welcome"
    return turn.proceed()


def faq(turn: Turn, event) -> bool:
    if event.kind == "choice" and event.value in ("port", "status"):
        turn.slots["intent"] = event.value
        turn.slots["resume"] = "welcome"
        return turn.proceed()
    return False


def numbers_step(turn: Turn, event) -> bool:
    if event.kind == "form":
        event.kind, event.value = "text", _form_value(event, "numbers")
    if event.kind == "document":
        result = event.document["parsed"]
    elif event.kind == "text":
        result = numbering.parse_numbers(
            str(event.value), current_app.config["SUPPORTED_REGIONS"][0]
        )
        if not result.numbers and not result.issues:
            return False
    else:
        return False

    first_group, sent = _requests_so_far(turn)
    already = [n for n in result.numbers if n.e164 in sent]
    result.numbers = [n for n in result.numbers if n.e164 not in sent]
    for line in result.summary_lines():
        turn.say(line, "notice")
    for number in already:
        turn.say(
            f"{number.display} is already on request {sent[number.e164]} that you "
            "sent, so I've left it out here. You can check that request's status "
            "at any time.",
            "notice",
        )
    if not result.numbers:
        turn.errors["numbers"] = [i.message for i in result.issues] or [
            "I couldn't find a phone number there."
        ]
        turn.say(
            "I couldn't find a number I can use there. Please check it and "
            f"send it again, for example {EXAMPLE_PHONE}.",
            "error",
        )
        turn.model.ask()
        return True

    turn.slots.pop("numbers_draft", None)
    _store_numbers(turn, result, first_group)
    return turn.proceed()


def _requests_so_far(turn: Turn) -> tuple[int, dict[str, str]]:
    """The index the next request of this conversation takes, and its open numbers.

    The numbers map to the reference of the open request they are on; a request
    being corrected keeps its own index and numbers.
    """
    from sqlalchemy import select

    from assistant.extensions import db
    from assistant.models import OPEN_STATUSES
    from assistant.models import PortRequest

    correcting = turn.slots.get("resubmitting")
    if correcting:
        return turn.slots.get("group", 0), {}
    requests = db.session.scalars(
        select(PortRequest).where(PortRequest.conversation_id == turn.conversation.id)
    ).all()
    first = max((r.group_index for r in requests), default=-1) + 1
    sent = {
        number.e164: request.reference
        for request in requests
        if request.status in OPEN_STATUSES
        for number in request.numbers
    }
    return first, sent


def _store_numbers(turn: Turn, result, first: int) -> None:
    """Put the entered numbers on requests from index `first` on.

    Earlier indexes belong to requests already sent, so they stay. Entered
    again for the current request, the numbers replace it and the ones to come
    (all listed to change); entered after a request was sent, they go before
    the requests still to come, which keep their other numbers.
    """
    entered = {n.e164 for n in result.numbers}
    old_groups = turn.slots.get("groups", [])
    before = [*old_groups[:first], *[[] for _ in range(first - len(old_groups))]]
    waiting_groups = old_groups[first:] if first > turn.slots.get("group", 0) else []
    after = [
        kept
        for group in waiting_groups
        if (kept := [e for e in group if e not in entered])
    ]
    waiting = {e for group in after for e in group}
    groups = eligibility.split_requests(result.numbers)
    turn.slots["parsed"] = [
        *(n for n in turn.slots.get("parsed", []) if n["e164"] in waiting),
        *(n.to_dict() for n in result.numbers),
    ]
    turn.slots["groups"] = [
        *before,
        *([n.e164 for n in group] for group in groups),
        *after,
    ]
    turn.slots["group"] = first
    turn.slots["to_confirm"] = [
        f"{n.raw} → {n.display}" if n.vanity else n.display
        for n in result.needs_confirmation
    ]
    turn.slots["confirmed"] = False
    turn.slots.pop("eligibility", None)
    _begin_group(turn, keep_shared=True)
    if len(groups) > 1:
        turn.say(
            f"Toll-free and local numbers are moved on separate requests, so I'll "
            f"make {len(groups)} requests and we'll go through them one after the "
            "other. Details they share are asked only once.",
            "notice",
        )


def _begin_group(turn: Turn, keep_shared: bool) -> None:
    group = turn.slots["groups"][turn.slots["group"]]
    shared = {k: turn.fields.get(k) for k in SHARED_FIELDS if turn.fields.get(k)}
    provider_values = {k: turn.fields[k] for k in CARRIED_PROVIDER if k in turn.fields}
    provider_secrets = {k: v for k, v in turn.secrets.items() if k in SECRET_FIELDS}
    fields = {"numbers": group}
    if keep_shared:
        fields.update(shared)
    by_e164 = {n["e164"]: n for n in turn.slots.get("parsed", [])}
    kinds = {by_e164.get(e, {}).get("line_type") for e in group}
    if kinds == {"toll_free"}:
        fields["number_type"] = "toll_free"
    turn.slots["fields"] = fields
    turn.slots["type_choices"] = ["mobile", "landline", "voip", "google_voice"]
    # What couldn't move is judged again for each request and listed in its review.
    turn.slots["not_ported"] = []
    turn.slots.pop("has_evidence", None)
    # The same bill often covers the next request too: it can be used again.
    turn.slots["reusable"] = [
        d["id"] for d in turn.slots.get("documents", []) if d["kind"] != "csr"
    ]
    turn.slots["documents"] = []
    turn.secrets.clear()
    if keep_shared and "carrier" in provider_values:
        # The next request is most often on the same account, so its form starts
        # filled in; the secrets show masked and stay unless the customer retypes.
        turn.slots.setdefault("drafts", {})["provider"] = provider_values
        if not set(group) & set(turn.slots.get("other_account", [])):
            turn.secrets.update(provider_secrets)


def numbers_confirm(turn: Turn, event) -> bool:
    if event.kind != "choice":
        return False
    turn.slots["confirmed"] = event.value == "yes"
    if event.value == "no":
        turn.slots["to_confirm"] = []
        turn.say(
            "Thanks for checking. Please send the numbers again as you'd like them.",
            "notice",
        )
    return turn.proceed()


def number_type(turn: Turn, event) -> bool:
    if event.kind == "form":
        event.kind, event.value = "choice", _form_value(event, "number_type")
        if event.value not in turn.slots.get("type_choices", []):
            turn.errors["number_type"] = ["Please pick one of the number types shown."]
            turn.model.ask()
            return True
    if event.kind != "choice":
        return False
    turn.fields["number_type"] = event.value
    return turn.proceed()


def active(turn: Turn, event) -> bool:
    value = _yes_no_event(turn, event, "active")
    if value is None:
        return False
    turn.fields["active"] = value
    _judge_eligibility(turn)
    return turn.proceed()


def _judge_eligibility(turn: Turn, carrier: str | None = None) -> None:
    from assistant.submission import open_numbers

    config = current_app.config
    by_e164 = {n["e164"]: n for n in turn.slots.get("parsed", [])}
    chosen = [by_e164[e] for e in turn.fields["numbers"] if e in by_e164]
    result = eligibility.check_eligibility(
        chosen,
        supported_regions=tuple(config["SUPPORTED_REGIONS"]),
        active=turn.fields.get("active"),
        carrier=carrier,
        refusing_carriers=tuple(config["REFUSING_CARRIERS"]),
        carrier_refuses=bool(turn.fields.get("carrier_refuses")),
        locked=bool(turn.fields.get("platform_locked")),
        open_numbers=open_numbers(turn.fields["numbers"], turn.conversation.id),
    )
    alternatives = []
    for item in result.ineligible:
        for line in item.alternatives:
            if line not in alternatives:
                alternatives.append(line)
    turn.slots["eligibility"] = {
        "eligible": result.eligible,
        "ineligible": [
            {
                "display": numbering.format_number(i.e164),
                "code": i.code,
                "reason": i.reason,
            }
            for i in result.ineligible
        ],
        "alternatives": alternatives,
    }
    not_ported = turn.slots.setdefault("not_ported", [])
    listed = {item["e164"] for item in not_ported}
    for item in result.ineligible:
        if item.e164 not in listed:
            not_ported.append(
                {"e164": item.e164, "code": item.code, "reason": item.reason}
            )
    turn.fields["numbers"] = result.eligible


def ineligible_some(turn: Turn, event) -> bool:
    if event.kind != "choice":
        return False
    if event.value == "no":
        _back_to_numbers(turn)
        return True
    return turn.proceed()


def _numbers_to_change(turn: Turn) -> list[str]:
    """The numbers entered and not yet sent, as the numbers box shows them."""
    waiting = turn.slots.get("groups", [])[turn.slots.get("group", 0) :]
    return [numbering.format_number(e164) for group in waiting for e164 in group]


def _back_to_numbers(turn: Turn) -> None:
    """The numbers step again, listing the numbers not yet sent to change."""
    entered = _numbers_to_change(turn)
    turn.slots["numbers_draft"] = "\n".join(entered)
    # Back from the numbers then goes where it went when they were first asked,
    # never to the steps that judged the numbers being replaced.
    history = turn.slots.setdefault("history", [])
    while history and history[-1] not in ("numbers", "submitted"):
        history.pop()
    if history and history[-1] == "numbers":
        history.pop()
    turn.slots.pop("eligibility", None)
    turn.say(
        "No problem, nothing is lost. The numbers you entered were: "
        + ", ".join(entered)
        + ". Send the list again with the changes you'd like.",
        "notice",
    )
    _set_state(turn.model, "numbers")
    turn.model.ask()


def ineligible(turn: Turn, event) -> bool:
    if event.kind != "choice":
        return False
    if event.value == "port":
        turn.slots["intent"] = "port"
        return turn.proceed()
    if event.value == "faq":
        answer_topic(turn, "ineligible-alternatives")
        return True
    return False


def messaging_use(turn: Turn, event) -> bool:
    if event.kind == "form":
        event.kind, event.value = "choice", _form_value(event, "messaging_use")
        offered = [c["id"] for c in input_for("messaging_use", turn.slots)["choices"]]
        if event.value not in offered:
            turn.errors["messaging_use"] = ["Please pick one of the options shown."]
            turn.model.ask()
            return True
    if event.kind != "choice":
        return False
    turn.fields["messaging_use"] = event.value
    if event.value == "toll_free_messaging":
        turn.say(
            "Good to know. Toll-free texting needs its verification filed again, "
            "and that can only happen after the move is complete (one filed "
            "earlier is refused). We'll remind you and help you file it the day "
            "the number goes live.",
            "notice",
        )
    if turn.fields.get("number_type") == "toll_free":
        turn.say(
            f"For toll-free numbers we change the RespOrg to ours "
            f"({current_app.config['RESPORG_ID']}). Keep your current service "
            "active for at least 10 days after we file, and don't cancel it "
            "until we confirm the move.",
            "notice",
        )
    turn.slots["provider_help"] = eligibility.carrier_hint(
        "", turn.fields.get("number_type", "")
    )
    return turn.proceed()


VETTING = {
    "political": "takes about 5 to 10 business days",
    "financial": "takes about 5 to 10 business days",
    "other": "usually takes 1 to 3 days",
}


def campaign(turn: Turn, event) -> bool:
    if event.kind == "choice" and event.value == "skip":
        values = {}
    elif event.kind == "form":
        form = _validated(turn, "campaign", event)
        if form is None:
            return True
        values = {k: v for k, v in form.data.items() if k != "csrf_token"}
    else:
        return False
    turn.fields.update({k: (v or "").strip() for k, v in values.items()})
    vertical = turn.fields.get("vertical") or "other"
    turn.say(
        f"Thanks. Re-linking the number to your campaign {VETTING[vertical]} "
        "for your industry. Until then the number can't send business texts, "
        "though it may still receive them. We can pre-verify your brand and "
        "campaign now so that wait is short, and add a temporary number if you "
        "need to keep texting meanwhile.",
        "notice",
    )
    return turn.proceed()


def provider(turn: Turn, event) -> bool:
    if event.kind != "form":
        return False
    _keep_masked_secrets(turn, event)
    form, errors = _checked(turn, "provider", event)
    data = form.data
    printed = {name: data.get(name) for name in PRINTED_PROVIDER_FIELDS}
    for name, sentences in unprintable_problems(printed).items():
        errors.setdefault(name, sentences)
    if errors:
        _reject_form(turn, "provider", event, errors)
        return True
    turn.fields["carrier"] = data["carrier"].strip()
    turn.fields["account_type"] = data["account_type"]
    turn.fields["no_pin"] = bool(data["no_pin"])
    turn.fields["platform_locked"] = bool(data["platform_locked"])
    turn.fields["carrier_refuses"] = bool(data["carrier_refuses"])
    for name in SECRET_FIELDS:
        turn.secrets[name] = (data.get(name) or "").strip()
    turn.fields["masked"] = {n: mask_field(n, v) for n, v in turn.secrets.items() if v}
    warning = eligibility.account_number_warning(
        turn.secrets["account_number"], turn.fields["numbers"]
    )
    if warning:
        turn.say(warning, "notice")
    _judge_eligibility(turn, carrier=turn.fields["carrier"])
    turn.slots.pop("drafts", None)
    return turn.proceed()


def _keep_masked_secrets(turn: Turn, event) -> None:
    """A re-shown form carries masked secrets; keep the stored values for them."""
    for name in SECRET_FIELDS:
        sent = event.value.get(name)
        if (
            sent
            and turn.secrets.get(name)
            and sent == mask_field(name, turn.secrets[name])
        ):
            event.value[name] = turn.secrets[name]


def same_account(turn: Turn, event) -> bool:
    if event.kind != "choice":
        return False
    turn.slots["several_accounts"] = event.value == "no"
    return turn.proceed()


def account_numbers(turn: Turn, event) -> bool:
    """Keep the numbers of this account here; the rest become the next request."""
    if event.kind == "form":
        event.kind, event.value = "text", _form_value(event, "numbers")
    if event.kind != "text":
        return False
    parsed = numbering.parse_numbers(str(event.value))
    if not parsed.numbers:
        return False
    current = turn.fields["numbers"]
    here = [n.e164 for n in parsed.numbers if n.e164 in current]
    if not here:
        turn.errors["numbers"] = [
            "None of those is among the numbers we're moving. Please pick from: "
            + ", ".join(numbering.format_number(e) for e in current)
            + "."
        ]
        turn.say(turn.errors["numbers"][0], "error")
        turn.model.ask()
        return True
    rest = [e for e in current if e not in here]
    turn.fields["numbers"] = here
    groups = turn.slots["groups"]
    groups[turn.slots["group"]] = here
    if rest:
        groups.insert(turn.slots["group"] + 1, rest)
        # Their account number and PIN are another account's: never carried over.
        turn.slots.setdefault("other_account", []).extend(rest)
        others = (
            "1 other number goes"
            if len(rest) == 1
            else f"The {len(rest)} other numbers go"
        )
        turn.say(
            f"Thanks. {others} on their own request right after this one.",
            "notice",
        )
    turn.slots["several_accounts"] = False
    return turn.proceed()


def full_port(turn: Turn, event) -> bool:
    partial = _yes_no_event(turn, event, "partial_port")
    if partial is None:
        return False
    turn.fields["partial_port"] = partial
    if not partial:
        for name in ("remaining_numbers", "remaining_numbers_action", "new_btn"):
            turn.fields.pop(name, None)
    return turn.proceed()


# Entry problems whose sentence names the numbers that stay, not those moving.
STAYING_ISSUES = ("invalid", "too_short", "too_long", "not_a_number")


def remaining_numbers(turn: Turn, event) -> bool:
    """The numbers that stay on the old account, when the customer knows them."""
    if event.kind == "choice" and event.value == "skip":
        turn.fields["remaining_numbers"] = []
        return turn.proceed()
    if event.kind == "form":
        value = event.value.get("remaining_numbers")
        if isinstance(value, list):
            value = "\n".join(str(item) for item in value)
        event.kind, event.value = "text", "" if value is None else str(value)
    if event.kind != "text":
        return False
    parsed = numbering.parse_numbers(
        str(event.value), current_app.config["SUPPORTED_REGIONS"][0]
    )
    if not parsed.numbers and not parsed.issues:
        return False

    moving = turn.fields["numbers"]
    staying = [n for n in parsed.numbers if n.e164 not in moving]
    left_out = [n.display for n in parsed.numbers if n.e164 in moving]
    if not staying:
        if left_out:
            problem = (
                "Those are the numbers we're moving. Please type the ones that stay "
                "on the old account, or skip if you're not sure."
            )
        else:
            # Nothing usable at all: say what was wrong with what was typed.
            problem = " ".join(issue.message for issue in parsed.issues) + (
                f" Type the numbers that stay with their area code, like "
                f"{EXAMPLE_PHONE}, or skip if you're not sure."
            )
        turn.errors["remaining_numbers"] = [problem]
        turn.say(problem, "error")
        turn.model.ask()
        return True
    for issue in parsed.issues:
        if issue.code in STAYING_ISSUES:
            turn.say(issue.message, "notice")
    if left_out:
        one = len(left_out) == 1
        turn.say(
            f"{', '.join(left_out)} {'is' if one else 'are'} moving with this "
            f"request, so I've left {'it' if one else 'them'} off the numbers "
            "that stay.",
            "notice",
        )

    turn.fields["remaining_numbers"] = [n.e164 for n in staying]
    turn.slots["new_btn_choices"] = [
        {"id": n.e164, "label": n.display} for n in staying
    ]
    turn.say(
        "Thanks. Staying on the old account: "
        + ", ".join(n.display for n in staying)
        + ".",
        "notice",
    )
    return turn.proceed()


def remaining_action(turn: Turn, event) -> bool:
    if event.kind == "form":
        event.kind = "choice"
        event.value = _form_value(event, "remaining_numbers_action")
        if event.value not in ("keep", "disconnect"):
            turn.errors["remaining_numbers_action"] = [
                "Please choose keep or disconnect."
            ]
            turn.model.ask()
            return True
    if event.kind != "choice":
        return False
    turn.fields["remaining_numbers_action"] = event.value
    btn = turn.secrets.get("btn")
    btn_e164 = None
    if btn:
        parsed = numbering.parse_numbers(btn)
        btn_e164 = parsed.numbers[0].e164 if parsed.numbers else None
    turn.slots["btn_leaving"] = bool(
        event.value == "keep" and btn_e164 and btn_e164 in turn.fields["numbers"]
    )
    return turn.proceed()


def new_btn(turn: Turn, event) -> bool:
    if event.kind == "choice":
        turn.fields["new_btn"] = str(event.value)
        return turn.proceed()
    from_form = event.kind == "form"
    if from_form:
        event.kind, event.value = "text", _form_value(event, "new_btn")
    if event.kind != "text":
        return False
    parsed = numbering.parse_numbers(str(event.value))
    staying = turn.fields.get("remaining_numbers") or []
    problem = None
    if len(parsed.numbers) != 1:
        if not from_form:
            return False
        problem = "Please give one number, with its area code."
    elif parsed.numbers[0].e164 in turn.fields["numbers"]:
        problem = (
            "That number is moving with this request. Please "
            "pick one that stays on the account."
        )
    elif staying and parsed.numbers[0].e164 not in staying:
        problem = "Please pick one of the numbers that stay: " + (
            ", ".join(numbering.format_number(e) for e in staying) + "."
        )
    if problem:
        turn.errors["new_btn"] = [problem]
        turn.say(problem, "error")
        turn.model.ask()
        return True
    turn.fields["new_btn"] = parsed.numbers[0].e164
    return turn.proceed()


def loa_details(turn: Turn, event) -> bool:
    if event.kind != "form":
        return False
    form, errors = _checked(turn, "loa_details", event)
    values = {k: v for k, v in form.data.items() if k != "csrf_token"}
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    # The address and date checks run even when the form has errors, so every
    # problem comes back in one reply; a field the form flagged keeps its sentence.
    for name, sentences in _loa_problems(values).items():
        errors.setdefault(name, sentences)
    if errors:
        _reject_form(turn, "loa_details", event, errors)
        return True
    requested = values.pop("requested_date")
    values["requested_date"] = requested.isoformat() if requested else ""
    turn.fields.update(values)
    for _name, sentence in eligibility.name_length_warnings(turn.fields).items():
        turn.say(sentence, "notice")
    turn.slots.pop("drafts", None)
    return turn.proceed()


def _loa_problems(values: dict) -> dict[str, list[str]]:
    from forms.validators import check_service_address

    problems: dict[str, list[str]] = {}
    address = check_service_address(
        values["service_street"],
        values.get("service_unit") or "",
        values["service_city"],
        values["service_state"],
        values["service_zip"],
    )
    for name, sentences in address.items():
        problems.setdefault(name, []).extend(sentences)
    if values.get("requested_date"):
        config = current_app.config
        sentence = schedule.check_requested_date(
            values["requested_date"],
            schedule_now(),
            tz=config["TIMEZONE"],
            cutoff_hour=config["CUTOFF_HOUR"],
            min_business_days=config["MIN_PORT_BUSINESS_DAYS"],
        )
        if sentence:
            problems.setdefault("requested_date", []).append(sentence)
    for name, sentences in unprintable_problems(values).items():
        problems.setdefault(name, []).extend(sentences)
    return problems


def unprintable_problems(values: dict) -> dict[str, list[str]]:
    """A sentence for each field holding characters the LOA's fonts can't draw."""
    from assistant import loa

    problems = {}
    for name, chars in loa.unrenderable_characters(values).items():
        listed = " ".join(chars)
        problems[name] = [
            f"The letter can't print {listed}. Please write it the way it appears "
            "on your bill using other characters."
        ]
    return problems


def schedule_now():
    from datetime import UTC
    from datetime import datetime

    override = current_app.config.get("NOW")
    return override() if callable(override) else datetime.now(UTC)


def _reuse_documents(turn: Turn, kinds: list[str]) -> bool:
    """Use the last request's documents for this one, checked against its numbers."""
    from assistant.submission import copy_documents

    copies = [
        doc
        for doc in copy_documents(turn, turn.slots.pop("reusable", []))
        if doc["kind"] in kinds
    ]
    if not copies:
        turn.say(
            "Those documents are no longer here, so please upload the proof "
            "described above.",
            "notice",
        )
        turn.model.ask()
        return True
    turn.slots.setdefault("documents", []).extend(
        {"id": d["id"], "kind": d["kind"], "filename": d["filename"]} for d in copies
    )
    turn.slots["has_evidence"] = True
    problems = [f for doc in copies for f in doc["findings"] if not f["ok"]]
    for finding in problems:
        turn.say(finding["message"], "notice")
    if problems:
        turn.say(
            "You can upload another document, or continue as it is and our team "
            "will take a look.",
            "notice",
        )
        return True
    names = ", ".join(doc["filename"] for doc in copies)
    turn.say(f"Thanks, I've added {names} to this request too, and it looks right.")
    return turn.proceed()


def documents_step(turn: Turn, event) -> bool:
    kinds = EVIDENCE_OF.get(turn.fields.get("number_type"), ["bill"])
    if event.kind == "choice" and event.value == "reuse":
        return _reuse_documents(turn, kinds)
    if event.kind == "document":
        doc = event.document
        turn.slots.setdefault("documents", []).append(
            {"id": doc["id"], "kind": doc["kind"], "filename": doc["filename"]}
        )
        problems = [f for f in doc["findings"] if not f["ok"]]
        for finding in problems:
            turn.say(finding["message"], "notice")
        if doc["kind"] in kinds:
            turn.slots["has_evidence"] = True
        if doc["kind"] == "csr" and not turn.slots.get("has_evidence"):
            turn.say(
                "Thanks for the CSR. We still need the proof of ownership "
                "described above.",
                "notice",
            )
            turn.model.ask()
            return True
        if problems:
            turn.say(
                "You can upload another document, or continue as it is and "
                "our team will take a look.",
                "notice",
            )
            return True
        turn.say(f"Thanks, I've got {doc['filename']} and it looks right.", "notice")
        if turn.model.state == "review":
            return True
        return turn.proceed()
    if event.kind == "choice" and event.value in ("done", "skip"):
        if not turn.slots.get("has_evidence"):
            turn.say(
                "We need this document before we can file the port: carriers use it "
                "to confirm the numbers are yours. Please upload it when you have it "
                "handy; your progress is saved.",
                "notice",
            )
            turn.model.ask()
            return True
        return turn.proceed()
    return False


def csr(turn: Turn, event) -> bool:
    if event.kind == "document":
        doc = event.document
        turn.slots.setdefault("documents", []).append(
            {"id": doc["id"], "kind": doc["kind"], "filename": doc["filename"]}
        )
        for finding in doc["findings"]:
            if not finding["ok"]:
                turn.say(finding["message"], "notice")
    elif not (event.kind == "choice" and event.value == "skip"):
        return False
    return turn.proceed()


def _prepare_review(turn: Turn) -> None:
    from assistant.submission import documents_line

    fields = turn.fields
    masked = fields.get("masked", {})
    lines = [
        "Numbers: "
        + ", ".join(numbering.format_number(e) for e in fields.get("numbers", [])),
        f"Type: {TYPE_LABELS.get(fields.get('number_type'), '')}",
        f"Provider: {fields.get('carrier', '')} ({fields.get('account_type', '')}), "
        f"account {masked.get('account_number', '')}"
        + (f", PIN {masked['pin']}" if masked.get("pin") else ", no PIN"),
        *_texting_lines(fields),
        "Whole account moving: " + ("no" if fields.get("partial_port") else "yes"),
        *_staying_lines(fields),
        *([f"Current billing number: {masked['btn']}"] if masked.get("btn") else []),
        f"Name on bill: {fields.get('name_on_bill', '')}; business: "
        f"{fields.get('business_name', '')}",
        "Service address: "
        + _joined(
            ", ",
            _joined(" ", fields.get("service_street"), fields.get("service_unit")),
            fields.get("service_city"),
            _joined(" ", fields.get("service_state"), fields.get("service_zip")),
        ),
        f"Signing: {fields.get('authorized_name', '')}, "
        f"{fields.get('authorized_title', '')}; "
        f"contact {fields.get('contact_email', '')}"
        + (f", {fields['contact_phone']}" if fields.get("contact_phone") else ""),
        documents_line(turn.slots.get("documents", [])),
    ]
    groups = turn.slots.get("groups", [])
    if len(groups) > 1:
        lines.insert(0, f"Request {turn.slots.get('group', 0) + 1} of {len(groups)}:")
    if fields.get("requested_date"):
        lines.append(f"Wished date: {fields['requested_date']}")
    for item in turn.slots.get("not_ported", []):
        lines.append(f"Not included: {item['reason']}")
    turn.slots["review_lines"] = lines


def _joined(separator: str, *parts: str | None) -> str:
    """The parts that hold something, joined by the separator."""
    return separator.join(part for part in parts if part)


def _staying_lines(fields: dict) -> list[str]:
    """The numbers that stay, what happens to them, and the account's new main one."""
    if not fields.get("partial_port"):
        return []
    staying = fields.get("remaining_numbers") or []
    shown = ", ".join(numbering.format_number(e) for e in staying)
    lines = [f"Staying on the old account: {shown or 'not listed'}"]
    action = STAYING_ACTIONS.get(fields.get("remaining_numbers_action"))
    if action:
        lines.append(f"Numbers that stay: {action}")
    if fields.get("new_btn"):
        main = numbering.format_number(fields["new_btn"])
        lines.append(f"New main (billing) number: {main}")
    return lines


STAYING_ACTIONS = {
    "keep": "kept with the old provider",
    "disconnect": "disconnected",
}
TEXTING_LINES = {
    "a2p_10dlc": "yes, business texts on a 10DLC campaign",
    "toll_free_messaging": "yes, texts from the toll-free number",
    "none": "no, calls only",
    "unknown": "not sure",
}


def _texting_lines(fields: dict) -> list[str]:
    """Whether the numbers send texts, with the 10DLC ids when there are some."""
    use = fields.get("messaging_use")
    if use not in TEXTING_LINES:
        return []
    lines = [f"Texting: {TEXTING_LINES[use]}"]
    if use == "a2p_10dlc":
        brand = fields.get("tcr_brand_id") or "not given"
        campaign = fields.get("tcr_campaign_id") or "not given"
        lines.append(f"10DLC brand ID: {brand}; campaign ID: {campaign}")
    return lines


def review(turn: Turn, event) -> bool:
    if event.kind == "form" and "signature_name" in event.value:
        _prepare_signing(turn)
        _set_state(turn.model, "sign")
        return sign(turn, event)
    if event.kind == "document":
        return documents_step(turn, event)
    if event.kind != "choice":
        return False
    turn.slots["editing"] = False
    if event.value.startswith("edit_"):
        target = {
            "edit_numbers": "numbers",
            "edit_provider": "provider",
            "edit_loa": "loa_details",
            "edit_documents": "documents",
        }[event.value]
        turn.slots["edit"] = target
        turn.slots["editing"] = target != "numbers"
        return fire(turn.model, "edit")
    _prepare_signing(turn)
    return turn.proceed()


def _prepare_signing(turn: Turn) -> None:
    brand = current_app.config["BRAND_NAME"]
    turn.slots["disclosure"] = (
        f"Last step: signing. By typing your full name and ticking the box, you "
        f"sign the Letter of Authorization electronically, which lets {brand} ask "
        f"{turn.fields.get('carrier', 'your current provider')} to move these "
        "numbers. It counts the same as a handwritten signature. We record the "
        "time, your IP address and browser with it, and e-mail you a copy. You can "
        "ask for a paper form instead by talking to a person."
    )


def sign(turn: Turn, event) -> bool:
    from assistant.submission import resubmit
    from assistant.submission import submit

    if event.kind != "form":
        return False
    form, errors = _checked(turn, "sign", event)
    typed = " ".join((form.signature_name.data or "").split())
    expected = " ".join((turn.fields.get("authorized_name") or "").split())
    if typed and typed.casefold() != expected.casefold():
        errors.setdefault(
            "signature_name",
            [
                f"Please type the authorized person's name as entered: "
                f"{expected}. If someone else should sign, go back and change "
                "the authorized person."
            ],
        )
    if errors:
        _reject_form(turn, "sign", event, errors)
        return True
    if turn.slots.get("resubmitting"):
        resubmit(turn, typed)
    else:
        submit(turn, typed)
    return turn.proceed()


def submitted(turn: Turn, event) -> bool:
    signed_again = event.kind == "form" and "signature_name" in event.value
    if signed_again or (event.kind == "choice" and event.value == "submit"):
        # Sent once is enough: nothing is filed or e-mailed a second time.
        reference = turn.slots.get("reference")
        turn.say(
            f"This request is already sent, with reference {reference}. "
            "There's nothing more to sign; you can check its status at any time."
            if reference
            else "This request is already sent. You can check its status at any time.",
            "notice",
        )
        return True
    if event.kind != "choice":
        return False
    if event.value == "next":
        turn.slots["group"] += 1
        _begin_group(turn, keep_shared=True)
        turn.slots["reference"] = None
        turn.slots.pop("eligibility", None)
        turn.slots["starting_next"] = True
        shown = ", ".join(numbering.format_number(e) for e in turn.fields["numbers"])
        turn.say(
            f"Let's do the next request, for {shown}. I've kept the details "
            "they share.",
            "notice",
        )
        turn.proceed()
        turn.slots.pop("starting_next", None)
        return True
    if event.value in ("port", "status"):
        turn.slots["intent"] = event.value
        turn.slots["resume"] = "submitted"
        if event.value == "port":
            turn.slots["reference"] = None
        return turn.proceed()
    return False


def human(turn: Turn, event) -> bool:
    from assistant.submission import request_human
    from forms.validators import check_email

    if event.kind == "form":
        event.kind, event.value = "text", _form_value(event, "contact_email")
    if event.kind != "text":
        return False
    address, problem = check_email(str(event.value))
    if problem:
        if "@" not in str(event.value):
            return False
        turn.errors["contact_email"] = [problem]
        turn.say(problem, "error")
        turn.model.ask()
        return True
    request_human(turn, address)
    turn.say(
        f"Thanks! Someone from our porting team will write to {address} within one "
        "business day. Meanwhile, you can carry on here; nothing is lost.",
        "notice",
    )
    _return_from_detour(turn)
    return True


def status(turn: Turn, event) -> bool:
    from assistant.submission import status_lines

    if event.kind != "form":
        return False
    form = _validated(turn, "status", event)
    if form is None:
        return True
    reference = form.reference.data.strip()
    for line in status_lines(reference, form.contact_email.data):
        turn.say(line, "notice")
    found = find_request(reference, form.contact_email.data)
    drafts = turn.slots.setdefault("drafts", {})
    if found is None:
        # Stay at the look-up with both values shown again, so a slip is easy to
        # fix; the sentence above doesn't say which of the two didn't match.
        drafts["status"] = {
            "reference": reference,
            "contact_email": _form_value(event, "contact_email"),
        }
        turn.model.ask()
        return True
    drafts.pop("status", None)
    if found.status == "rejected":
        turn.slots["correction"] = {
            "reference": found.reference,
            "email": found.contact_email,
        }
        return turn.proceed()
    _return_from_detour(turn)
    return True


def correction(turn: Turn, event) -> bool:
    """Load a rejected request so the customer can fix it and sign again."""
    from assistant.submission import carried_documents

    if event.kind != "choice" or event.value != "resubmit":
        return False
    wanted = turn.slots.get("correction") or {}
    found = find_request(wanted.get("reference", ""), wanted.get("email", ""))
    if found is None or found.status != "rejected":
        turn.say(
            "That request can't be changed any more. Please check its status "
            "or talk to a person.",
            "notice",
        )
        _return_from_detour(turn)
        return True
    turn.slots.update(
        {
            "groups": [found.e164s],
            "group": 0,
            "documents": carried_documents(found),
            "has_evidence": True,
            "resubmitting": found.reference,
            "editing": True,
            "intent": "port",
        }
    )
    turn.slots["fields"] = {**found.fields, "numbers": found.e164s}
    turn.secrets.clear()
    turn.secrets.update(found.secrets)
    turn.fields["masked"] = {n: mask_field(n, v) for n, v in turn.secrets.items() if v}
    return turn.proceed()


def _return_from_detour(turn: Turn) -> None:
    target = turn.slots.pop("resume", None) or "welcome"
    if turn.slots.get("intent") == "status":
        turn.slots["intent"] = None
    _set_state(turn.model, target)
    turn.model.ask()


# Shared helpers of the steps.
def _yes_no_event(turn: Turn, event, field_name: str) -> bool | None:
    if event.kind == "form":
        raw = event.value.get(field_name)
        if isinstance(raw, bool):
            return raw
        answer = yes_or_no(str(raw or ""))
        if answer is None:
            turn.errors[field_name] = ["Please answer yes or no."]
            turn.model.ask()
            return None
        return answer == "yes"
    if event.kind == "choice":
        return event.value == "yes"
    return None


def _form_value(event, name: str):
    value = event.value.get(name) if isinstance(event.value, dict) else None
    return "" if value is None else str(value)


def _validated(turn: Turn, form_name: str, event):
    from assistant.chat import bind_form

    form = bind_form(form_name, event.value)
    if form.validate():
        return form
    _reject_form(turn, form_name, event, form.errors)
    return None


def _checked(turn: Turn, form_name: str, event) -> tuple[object, dict]:
    """The bound form and its errors, for a step that adds its own checks."""
    from assistant.chat import bind_form

    form = bind_form(form_name, event.value)
    form.validate()
    errors = {k: list(v) for k, v in form.errors.items() if k != "csrf_token"}
    return form, errors


def _reject_form(turn: Turn, form_name: str, event, errors: dict) -> None:
    turn.errors.update({k: list(v) for k, v in errors.items() if k != "csrf_token"})
    drafts = turn.slots.setdefault("drafts", {})
    drafts[form_name] = {
        k: v
        for k, v in event.value.items()
        if k not in SECRET_FIELDS and isinstance(v, str | bool | int | float)
    }
    for name in SECRET_FIELDS:
        if event.value.get(name) and name not in errors:
            turn.secrets[name] = str(event.value[name]).strip()
        elif event.value.get(name) and name in SHOWN_SECRETS:
            # Kept encrypted apart from the stored value, only to show it again.
            turn.secrets[f"{name}_draft"] = str(event.value[name]).strip()
    count = len(turn.errors)
    turn.say(
        "Almost there: please check the highlighted field."
        if count == 1
        else f"Almost there: please check the {count} highlighted fields.",
        "error",
    )


HANDLERS = {
    "welcome": welcome,
    "faq": faq,
    "numbers": numbers_step,
    "numbers_confirm": numbers_confirm,
    "number_type": number_type,
    "active": active,
    "ineligible_some": ineligible_some,
    "ineligible": ineligible,
    "messaging_use": messaging_use,
    "campaign": campaign,
    "provider": provider,
    "same_account": same_account,
    "account_numbers": account_numbers,
    "full_port": full_port,
    "remaining_numbers": remaining_numbers,
    "remaining_action": remaining_action,
    "new_btn": new_btn,
    "loa_details": loa_details,
    "documents": documents_step,
    "csr": csr,
    "review": review,
    "sign": sign,
    "submitted": submitted,
    "human": human,
    "status": status,
    "correction": correction,
}
