"""The statuses a porting request moves through, and the carriers' rejection reasons."""

from dataclasses import dataclass

STATUS_LABELS = {
    "submitted": "Submitted",
    "in_review": "In review by our porting team",
    "sent_to_carrier": "Sent to your current provider",
    "foc_confirmed": "Port date confirmed",
    "completed": "Completed",
    "rejected": "Needs a correction",
    "cancelled": "Cancelled",
    "abandoned": "Not finished",
}
# The same statuses as the porting team reads them.
STAFF_STATUS_LABELS = {
    "submitted": "Submitted",
    "in_review": "In review",
    "sent_to_carrier": "Sent to carrier",
    "foc_confirmed": "Port date confirmed (FOC)",
    "completed": "Completed",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
    "abandoned": "Abandoned",
}

STATUS_NEXT = {
    "submitted": "We'll check your request within one business day. Nothing to do "
    "for now; keep your current service on.",
    "in_review": "Our team is checking your documents. We'll write if anything is "
    "missing; keep your current service on.",
    "sent_to_carrier": "Your current provider is reviewing the request, which usually "
    "takes 5 to 15 business days. Keep your current service on.",
    "foc_confirmed": "The move is scheduled. Keep your current service on until we "
    "confirm the number works with us.",
    "completed": "Your numbers are live with us. You can now cancel the old service "
    "for them.",
    "rejected": "Your current provider sent the request back. Fix the detail below "
    "and send the corrected request, from the chat or the step-by-step pages.",
    "cancelled": "This request was cancelled. Start a new one in the chat whenever "
    "you're ready.",
}

# The end of a status e-mail's subject, "Your porting request PR-…: …".
STATUS_SUBJECTS = {
    "submitted": "received again",
    "in_review": "in review",
    "sent_to_carrier": "sent to your current provider",
    "foc_confirmed": "port date confirmed",
    "completed": "completed",
    "rejected": "needs a correction",
    "cancelled": "cancelled",
}
REDATED_SUBJECT = "new port date"

# Which statuses can follow which.
ALLOWED = {
    "submitted": ("in_review", "rejected", "cancelled"),
    "in_review": ("sent_to_carrier", "rejected", "cancelled"),
    "sent_to_carrier": ("foc_confirmed", "rejected", "cancelled"),
    # A confirmed request may be confirmed again when the carrier moves the date.
    "foc_confirmed": ("foc_confirmed", "completed", "rejected", "cancelled"),
    # The customer's corrected resubmission brings a rejected request back.
    "rejected": ("submitted", "in_review", "cancelled"),
    "completed": (),
    "cancelled": (),
}


@dataclass(frozen=True)
class RejectionReason:
    code: str
    label: str  # staff-facing, precise
    guidance: str  # customer-facing: exactly what to fix


REJECTION_REASONS = [
    RejectionReason(
        "name_mismatch",
        "Business or end-user name does not match the losing carrier's records",
        "The name on the request must match your current provider's records letter "
        "for letter. Copy it from your latest bill and send the corrected request.",
    ),
    RejectionReason(
        "authorized_person",
        "Authorized person is not on the account",
        "The person who signs must be the one your current provider has on file. Ask "
        "them to sign, or have your provider add you, then send it again.",
    ),
    RejectionReason(
        "service_address",
        "Service address or ZIP does not match",
        "The service address must match the one your current provider has for the "
        "account, including the ZIP code. Check your bill or ask them, then correct "
        "it.",
    ),
    RejectionReason(
        "account_number",
        "Account number incorrect",
        "The account number didn't match. Copy it from your latest bill or your "
        "provider's online account and send the corrected request.",
    ),
    RejectionReason(
        "pin",
        "PIN or passcode wrong or expired",
        "The PIN didn't work or has expired. Ask your current provider for a fresh "
        "transfer PIN and send it with the corrected request soon after.",
    ),
    RejectionReason(
        "btn",
        "Billing telephone number incorrect",
        "The account's main (billing) number didn't match. Check it on your bill and "
        "correct it.",
    ),
    RejectionReason(
        "btn_partial",
        "Billing number leaving on a partial port without a new one",
        "The account's main number is moving while others stay. Tell us which staying "
        "number should become the new main number.",
    ),
    RejectionReason(
        "number_not_on_account",
        "Number not on that account",
        "One of the numbers isn't on this account. Check which account each number is "
        "on; numbers on other accounts need their own request.",
    ),
    RejectionReason(
        "number_inactive",
        "Number inactive or disconnected",
        "A number isn't in service with your current provider. Make sure it's active "
        "before we try again.",
    ),
    RejectionReason(
        "pending_order",
        "Order pending at the losing carrier",
        "Another change is still open on your account. Ask your current provider to "
        "finish or cancel it, then we'll send the request again.",
    ),
    RejectionReason(
        "port_lock",
        "Port-out lock or freeze on the account",
        "Your account has a port-out lock. Ask your current provider to lift it, then "
        "let us know so we can send the request again.",
    ),
    RejectionReason(
        "special_features",
        "Special line features (hunt group, DSL, alarm) block the port",
        "The line has features that must be removed first (such as a hunt group or "
        "alarm line). Ask your current provider to remove them, then let us know.",
    ),
    RejectionReason(
        "not_portable",
        "Number not portable",
        "This number can't be moved to us. Talk to our team about a new local or "
        "toll-free number instead.",
    ),
    RejectionReason(
        "loa_invalid",
        "LOA missing, unsigned or older than 30 days",
        "The carrier needs a freshly signed authorization. Please sign it again in "
        "the chat.",
    ),
    RejectionReason(
        "date_refused",
        "Requested date refused",
        "The date you asked for wasn't possible. Pick another date or leave it open "
        "for the earliest one.",
    ),
    RejectionReason(
        "other",
        "Other (see note)",
        "Your current provider sent the request back. See the note below for what to "
        "correct.",
    ),
]

REASON_BY_CODE = {reason.code: reason for reason in REJECTION_REASONS}


def can_move(current: str, new: str) -> bool:
    return new in ALLOWED.get(current, ())
