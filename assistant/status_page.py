"""The customer's status page: reference plus e-mail shows where the request stands."""

import logging

from flask import Blueprint
from flask import current_app
from flask import render_template

from assistant.extensions import limiter
from assistant.lifecycle import REASON_BY_CODE
from assistant.lifecycle import STATUS_LABELS
from assistant.lifecycle import STATUS_NEXT
from assistant.numbers import format_number
from assistant.submission import find_request
from assistant.submission import port_date_words
from forms.intake import StatusForm

log = logging.getLogger(__name__)

bp = Blueprint("status_page", __name__)

NOT_FOUND = (
    "We couldn't find a request with that reference and e-mail address. Please "
    "check both against your confirmation e-mail and try again."
)


def _rate_status() -> str:
    return current_app.config["RATE_STATUS"]


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(_rate_status, methods=["POST"])
def status():
    form = StatusForm()
    if not form.validate_on_submit():
        return _page(form, status=400 if form.errors else 200)

    found = find_request(form.reference.data, form.contact_email.data)
    if found is None:
        log.info("status look-up: no match")
        return _page(form, not_found=NOT_FOUND, status=404)

    reason = REASON_BY_CODE.get(found.rejection_code or "")
    page = render_template(
        "status/result.html",
        r=found,
        label=STATUS_LABELS[found.status],
        next_step=STATUS_NEXT[found.status],
        reason=reason if found.status == "rejected" else None,
        note=found.rejection_note if found.status == "rejected" else None,
        history=[
            {
                "when": event.created_at,
                "what": STATUS_LABELS[event.status],
                "port_date": port_date_words(event.foc_date) if event.foc_date else "",
                "note": event.note or "",
            }
            for event in found.events
        ],
        numbers=[format_number(e164) for e164 in found.e164s],
        port_date=port_date_words,
    )
    return _no_store(page)


def _page(form, not_found: str | None = None, status: int = 200):
    page = render_template("status/lookup.html", form=form, not_found=not_found)
    return _no_store(page, status)


def _no_store(page: str, status: int = 200):
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response
