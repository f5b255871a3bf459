"""The porting intake: from the welcome to a submitted request, one step at a time.

The application parses and checks what the customer sends, writes the result into
the slots, then fires `proceed`; the conditions below only read those slots.
"""

import phonenumbers
from phonenumbers import PhoneNumberFormat

from flows.engine import Flow

STEPS = [
    ("welcome", "Welcome"),
    ("numbers", "Your numbers"),
    ("number_type", "Number type"),
    ("eligibility", "Can they move?"),
    ("messaging", "Texting"),
    ("provider", "Current provider"),
    ("loa", "Authorization details"),
    ("documents", "Documents"),
    ("review", "Review"),
    ("sign", "Sign"),
    ("submitted", "Submitted"),
]

STEP_OF = {
    "welcome": "welcome",
    "faq": "welcome",
    "numbers": "numbers",
    "numbers_confirm": "numbers",
    "number_type": "number_type",
    "active": "eligibility",
    "ineligible_some": "eligibility",
    "ineligible": "eligibility",
    "messaging_use": "messaging",
    "campaign": "messaging",
    "provider": "provider",
    "same_account": "provider",
    "account_numbers": "provider",
    "full_port": "provider",
    "remaining_numbers": "provider",
    "remaining_action": "provider",
    "new_btn": "provider",
    "loa_details": "loa",
    "documents": "documents",
    "csr": "documents",
    "review": "review",
    "sign": "sign",
    "submitted": "submitted",
    "human": "welcome",
    "status": "welcome",
    "correction": "review",
}

STATES = list(STEP_OF)


def _step(source, dest, *conditions, unless=()):
    return {
        "trigger": "proceed",
        "source": source,
        "dest": dest,
        "conditions": list(conditions),
        "unless": list(unless),
    }


TRANSITIONS = [
    _step("welcome", "numbers", "wants_port"),
    _step("welcome", "faq", "wants_faq"),
    _step("welcome", "status", "wants_status"),
    _step("faq", "numbers", "wants_port"),
    _step("faq", "status", "wants_status"),
    _step("numbers", "numbers_confirm", "needs_confirmation"),
    _step("numbers", "number_type", "type_unknown"),
    _step("numbers", "active"),
    _step("numbers_confirm", "numbers", unless=["confirmed"]),
    _step("numbers_confirm", "number_type", "type_unknown"),
    _step("numbers_confirm", "active"),
    _step("number_type", "active"),
    _step("active", "ineligible", "none_eligible"),
    _step("active", "ineligible_some", "some_ineligible"),
    _step("active", "messaging_use"),
    _step("ineligible_some", "messaging_use"),
    _step("ineligible", "numbers", "wants_port"),
    _step("messaging_use", "campaign", "sends_10dlc"),
    _step("messaging_use", "provider"),
    _step("campaign", "provider"),
    _step("provider", "ineligible", "none_eligible"),
    _step("provider", "review", "holds_one_number", "editing"),
    _step("provider", "loa_details", "holds_one_number"),
    _step("provider", "same_account", "several_numbers"),
    _step("provider", "full_port"),
    _step("same_account", "account_numbers", "on_several_accounts"),
    _step("same_account", "full_port"),
    _step("account_numbers", "full_port"),
    _step("full_port", "remaining_numbers", "is_partial"),
    _step("full_port", "review", "editing"),
    _step("full_port", "loa_details"),
    _step("remaining_numbers", "remaining_action"),
    _step("remaining_action", "new_btn", "btn_leaving"),
    _step("remaining_action", "review", "editing"),
    _step("remaining_action", "loa_details"),
    _step("new_btn", "review", "editing"),
    _step("new_btn", "loa_details"),
    _step("loa_details", "review", "editing"),
    _step("loa_details", "documents"),
    _step("documents", "csr"),
    _step("csr", "review"),
    _step("review", "sign"),
    _step("sign", "submitted"),
    _step("submitted", "number_type", "next_request_needs_type"),
    _step("submitted", "active", "starting_next_request"),
    _step("submitted", "numbers", "wants_port"),
    _step("submitted", "status", "wants_status"),
    _step("human", "welcome"),
    _step("status", "correction", "has_rejection"),
    _step("status", "welcome"),
    _step("correction", "review", "resubmitting"),
    {
        "trigger": "edit",
        "source": "review",
        "dest": "numbers",
        "conditions": "edit_numbers",
    },
    {
        "trigger": "edit",
        "source": "review",
        "dest": "provider",
        "conditions": "edit_provider",
    },
    {
        "trigger": "edit",
        "source": "review",
        "dest": "loa_details",
        "conditions": "edit_loa",
    },
    {
        "trigger": "edit",
        "source": "review",
        "dest": "documents",
        "conditions": "edit_documents",
    },
    {"trigger": "restart", "source": "*", "dest": "welcome"},
    {"trigger": "ask_human", "source": "*", "dest": "human"},
    {"trigger": "ask_status", "source": "*", "dest": "status"},
]

# A saved state that this version no longer has goes back to the nearest one.
FALLBACK_OF = {
    "checklist": "review",
    "account": "provider",
    "pin": "provider",
    "evidence": "documents",
}

TYPE_LABELS = {
    "mobile": "Mobile",
    "landline": "Landline",
    "voip": "VoIP (internet phone)",
    "google_voice": "Google Voice",
    "toll_free": "Toll-free",
}

MESSAGING_LABELS = {
    "a2p_10dlc": "Yes, business texts on a registered 10DLC campaign",
    "toll_free_messaging": "Yes, texts from this toll-free number",
    "none": "No, calls only",
    "unknown": "I'm not sure",
}

EVIDENCE_OF = {
    "google_voice": ["google_voice_screenshot"],
    "toll_free": ["bill", "receipt", "portal_screenshot"],
    "landline": ["bill", "receipt", "portal_screenshot"],
    "voip": ["bill", "receipt", "portal_screenshot"],
    "mobile": ["bill"],
}

EVIDENCE_HINT = {
    "google_voice": (
        "Please upload a screenshot of your Google Voice settings page. A good one "
        "shows the number and the Google account e-mail on the same screen."
    ),
    "mobile": (
        "Please upload a recent bill or statement. A good one shows your name or "
        "business name, the billing address and the numbers you're moving."
    ),
    "other": (
        "Please upload your latest monthly bill showing the numbers. If your provider "
        "doesn't send bills, a purchase receipt or a screenshot of your account "
        "portal listing the numbers works too."
    ),
}


def choice(id_: str, label: str) -> dict:
    return {"id": id_, "label": label}


YES_NO = [choice("yes", "Yes"), choice("no", "No")]


class Intake:
    """The model the machine drives: the slots plus the messages of this turn."""

    def __init__(self, slots: dict):
        self.slots = slots
        self.out: list[dict] = []

    # Messages.
    def say(self, text: str, kind: str = "text") -> None:
        self.out.append({"kind": kind, "text": text})

    def after_step(self) -> None:
        self.ask()

    def ask(self) -> None:
        """Say the current step's question, as on arrival."""
        for text in prompt_lines(self.state, self.slots):
            self.say(text)

    # Conditions: they read only what the application wrote into the slots.
    @property
    def fields(self) -> dict:
        return self.slots.setdefault("fields", {})

    def wants_port(self) -> bool:
        return self.slots.get("intent") == "port"

    def wants_faq(self) -> bool:
        return self.slots.get("intent") == "faq"

    def has_rejection(self) -> bool:
        return bool(self.slots.get("correction"))

    def resubmitting(self) -> bool:
        return bool(self.slots.get("resubmitting"))

    def wants_status(self) -> bool:
        return self.slots.get("intent") == "status"

    def needs_confirmation(self) -> bool:
        return bool(self.slots.get("to_confirm"))

    def confirmed(self) -> bool:
        return bool(self.slots.get("confirmed"))

    def type_unknown(self) -> bool:
        return not self.fields.get("number_type")

    def none_eligible(self) -> bool:
        eligibility = self.slots.get("eligibility") or {}
        return "eligible" in eligibility and not eligibility["eligible"]

    def some_ineligible(self) -> bool:
        return bool((self.slots.get("eligibility") or {}).get("ineligible"))

    def sends_10dlc(self) -> bool:
        return self.fields.get("messaging_use") == "a2p_10dlc"

    def several_numbers(self) -> bool:
        return len(self.fields.get("numbers", [])) > 1 and not self.editing()

    def holds_one_number(self) -> bool:
        # A Google Voice account has a single number, so none can stay behind on it.
        return (
            self.fields.get("number_type") == "google_voice"
            and len(self.fields.get("numbers", [])) == 1
        )

    def on_several_accounts(self) -> bool:
        return bool(self.slots.get("several_accounts"))

    def is_partial(self) -> bool:
        return bool(self.fields.get("partial_port"))

    def btn_leaving(self) -> bool:
        return bool(self.slots.get("btn_leaving"))

    def editing(self) -> bool:
        return bool(self.slots.get("editing"))

    def starting_next_request(self) -> bool:
        return bool(self.slots.get("starting_next"))

    def next_request_needs_type(self) -> bool:
        return self.starting_next_request() and not self.fields.get("number_type")

    def edit_numbers(self) -> bool:
        return self.slots.get("edit") == "numbers"

    def edit_provider(self) -> bool:
        return self.slots.get("edit") == "provider"

    def edit_loa(self) -> bool:
        return self.slots.get("edit") == "loa_details"

    def edit_documents(self) -> bool:
        return self.slots.get("edit") == "documents"


def prompt_lines(state: str, slots: dict) -> list[str]:
    """What the assistant says on arriving at a state."""
    fields = slots.get("fields", {})
    number_type = fields.get("number_type")
    count = len(fields.get("numbers", []))
    them = "it" if count == 1 else "them"
    if state == "welcome":
        return [
            "Hi! I can help you bring your phone numbers over, answer porting "
            "questions, or check on a request you already sent. What would you like?"
        ]
    if state == "faq":
        return [
            "Sure, ask me anything about porting. When you're ready to start, "
            "choose “Port my numbers”."
        ]
    if state == "numbers":
        return [
            "Which numbers would you like to bring over? Type or paste them in any "
            "format, one or many, or upload a list (CSV or text)."
        ]
    if state == "numbers_confirm":
        listed = "; ".join(slots.get("to_confirm", []))
        return [f"Just to be sure, is this right: {listed}?"]
    if state == "number_type":
        listed = _listed_numbers(fields.get("numbers", []))
        if count == 1:
            return [f"What kind of number is {listed}?"]
        return [
            f"What kind of numbers are {listed}? If they differ, pick the kind most "
            "of them are; a number of another kind can go on its own request later."
        ]
    if state == "active":
        return [
            f"Is {'the number' if count == 1 else 'each number'} in service "
            "with your current provider today?"
        ]
    if state == "ineligible_some":
        return [
            *_ineligible_lines(slots),
            "The rest can move. Shall we carry on with those?",
        ]
    if state == "ineligible":
        return [
            *_ineligible_lines(slots),
            "You can try other numbers, ask me about "
            "the alternatives, or talk to a person on our team.",
        ]
    if state == "messaging_use":
        return [f"Do you send text messages from {them} today?"]
    if state == "campaign":
        return [
            "Your 10DLC registration doesn't travel with the number: after the move "
            "we link it to your brand and campaign again, which needs a short "
            "secondary review. If you know the brand and campaign IDs, add them here "
            "so we can prepare early; otherwise skip."
        ]
    if state == "provider":
        lines = [
            "Now the account the numbers are on today. Please enter the "
            "details exactly as your current provider has them."
        ]
        lines += slots.get("provider_help", [])
        return lines
    if state == "same_account":
        carrier = fields.get("carrier") or "that provider"
        which = "both numbers" if count == 2 else f"all {count} numbers"
        return [f"Are {which} on this one account with {carrier}?"]
    if state == "account_numbers":
        return [
            "Which of the numbers are on this account? Type or paste them; the "
            "others will go on a separate request for their own account."
        ]
    if state == "full_port":
        return [
            "Does that account have other numbers that will stay with your current "
            "provider? (If you're moving every number on it, answer no.)"
        ]
    if state == "remaining_numbers":
        return [
            "Which numbers will stay on the old account? Type or paste them in any "
            "format. If you're not sure of them all, skip this."
        ]
    if state == "remaining_action":
        return ["What should happen to the numbers that stay on the old account?"]
    if state == "new_btn":
        return [
            "The account's main (billing) number is moving with this request. "
            "Which number that stays should become the account's main number?"
        ]
    if state == "loa_details":
        return [
            "Next, the details for your Letter of Authorization. Use the name "
            "exactly as it's printed on your bill: carriers compare them letter "
            "by letter."
        ]
    if state == "documents":
        key = number_type if number_type in ("google_voice", "mobile") else "other"
        return [EVIDENCE_HINT[key]]
    if state == "csr":
        return [
            "Optional but helpful: a Customer Service Record (CSR) from your "
            "provider lets us catch mismatches before the carrier does. Upload "
            "it, or skip."
        ]
    if state == "review":
        return [
            "Here's everything for this request. Please check it:",
            *slots.get("review_lines", []),
            "Before signing, please confirm: nothing else is pending with your "
            "current provider (no other port or change), no unpaid balance is "
            "holding the account, and you'll keep the current service on until "
            "we confirm the move.",
        ]
    if state == "sign":
        return [slots.get("disclosure", "")]
    if state == "submitted":
        # Written by the application when it submitted, requests still to go named.
        return list(slots.get("submitted_lines", []))
    if state == "human":
        return [
            "Happy to bring in someone from our porting team. What e-mail "
            "address should they use to reach you?"
        ]
    if state == "correction":
        return [
            "We can fix this together. I'll load the request so you can change what's "
            "needed from the review, then sign it again; it goes straight back to our "
            "team."
        ]
    if state == "status":
        return [
            "To look up a request, enter its reference (it starts with PR-) "
            "and the e-mail address you used."
        ]
    return []


# A question names this many numbers at most, then counts the rest.
NAMED_NUMBERS = 5


def _listed_numbers(e164s: list[str]) -> str:
    """The numbers as a question names them: "A", "A and B", "A, B and 3 more"."""
    if not e164s:
        return "these"
    shown = [format_number(e) for e in e164s[:NAMED_NUMBERS]]
    rest = len(e164s) - len(shown)
    if rest:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def format_number(e164: str) -> str:
    """A number as people read it, the way `assistant.numbers` shows it."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code == 1:
        return phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)


def _ineligible_lines(slots: dict) -> list[str]:
    lines = []
    for item in (slots.get("eligibility") or {}).get("ineligible", []):
        lines.append(f"{item['display']}: {item['reason']}")
    alternatives = (slots.get("eligibility") or {}).get("alternatives", [])
    if alternatives:
        lines.append("What you can do instead: " + " ".join(alternatives))
    return lines


def input_for(state: str, slots: dict) -> dict:
    """The input the widget should offer at a state."""
    fields = slots.get("fields", {})
    suggested = slots.get("suggested", [])
    if state == "welcome":
        return _choices(
            "intent",
            [
                choice("port", "Port my numbers"),
                choice("faq", "Ask a question"),
                choice("status", "Check a request"),
                *suggested,
            ],
        )
    if state == "faq":
        return {
            "kind": "text",
            "field": "question",
            "choices": [
                choice("port", "Port my numbers"),
                choice("status", "Check a request"),
                *suggested,
            ],
        }
    if state == "numbers":
        return {"kind": "text", "field": "numbers", "accept": ["number_list"]}
    if state == "account_numbers":
        return {"kind": "text", "field": "numbers"}
    if state == "same_account":
        return _choices("same_account", YES_NO)
    if state in ("numbers_confirm", "active", "full_port", "ineligible_some"):
        field = {
            "numbers_confirm": "confirmed",
            "active": "active",
            "full_port": "partial_port",
            "ineligible_some": "continue",
        }[state]
        return _choices(field, YES_NO)
    if state == "ineligible":
        return _choices(
            "next",
            [
                choice("port", "Try other numbers"),
                choice("faq", "Ask about alternatives"),
                choice("human", "Talk to a person"),
            ],
        )
    if state == "number_type":
        ids = slots.get("type_choices") or [t for t in TYPE_LABELS if t != "toll_free"]
        return _choices("number_type", [choice(t, TYPE_LABELS[t]) for t in ids])
    if state == "messaging_use":
        ids = ["toll_free_messaging", "none", "unknown"]
        if fields.get("number_type") != "toll_free":
            ids = ["a2p_10dlc", "none", "unknown"]
        return _choices("messaging_use", [choice(i, MESSAGING_LABELS[i]) for i in ids])
    if state == "remaining_action":
        return _choices(
            "remaining_numbers_action",
            [
                choice("keep", "Keep them with the old provider"),
                choice("disconnect", "Disconnect them"),
            ],
        )
    if state == "remaining_numbers":
        return {
            "kind": "text",
            "field": "remaining_numbers",
            "choices": [choice("skip", "Skip")],
        }
    if state == "new_btn":
        return _new_btn_input(slots)
    if state == "campaign":
        return {"kind": "form", "form": state, "choices": [choice("skip", "Skip")]}
    if state in ("provider", "loa_details", "sign", "status"):
        return {"kind": "form", "form": state}
    if state == "documents":
        kinds = EVIDENCE_OF.get(fields.get("number_type"), ["bill"])
        upload = {"kind": "upload", "field": "documents", "accept": [*kinds, "csr"]}
        if slots.get("has_evidence"):
            upload["choices"] = [choice("done", "Continue")]
        elif slots.get("reusable"):
            upload["choices"] = [choice("reuse", "Use the documents I sent before")]
        return upload
    if state == "csr":
        return {
            "kind": "upload",
            "field": "documents",
            "accept": ["csr"],
            "choices": [choice("skip", "Skip")],
        }
    if state == "review":
        return _choices(
            "review",
            [
                choice("submit", "Everything's right, sign"),
                choice("edit_numbers", "Change numbers"),
                choice("edit_provider", "Change provider details"),
                choice("edit_loa", "Change authorization details"),
                choice("edit_documents", "Add documents"),
            ],
        )
    if state == "submitted":
        options = [
            choice("status", "Check status"),
            choice("port", "Port more numbers"),
        ]
        if slots.get("group", 0) + 1 < len(slots.get("groups", [])):
            options = [choice("next", "Start the next request"), *options]
        return _choices("next", options)
    if state == "human":
        # Back leaves the detour for the step the customer was at.
        return {
            "kind": "text",
            "field": "contact_email",
            "choices": [choice("back", "Back")],
        }
    if state == "correction":
        return _choices(
            "next",
            [
                choice("resubmit", "Fix it and send again"),
                choice("human", "Talk to a person"),
            ],
        )
    return {"kind": "none"}


def _new_btn_input(slots: dict) -> dict:
    """A pick-list of the numbers that stay when they are known, else a typed box."""
    staying = slots.get("fields", {}).get("remaining_numbers") or []
    offered = [c for c in slots.get("new_btn_choices", []) if c["id"] in staying]
    if offered:
        return _choices("new_btn", offered)
    return {"kind": "text", "field": "new_btn"}


def _choices(field: str, choices: list[dict]) -> dict:
    return {"kind": "choice", "field": field, "choices": choices}


INTAKE = Flow(
    name="intake",
    states=STATES,
    transitions=TRANSITIONS,
    initial="welcome",
    model_class=Intake,
    step_of=STEP_OF,
    steps=STEPS,
    fallback_of=FALLBACK_OF,
)
