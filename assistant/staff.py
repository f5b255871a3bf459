"""The porting team's area: sign-in, the request list, a request, its package."""

import functools
import hmac
import io
import logging
import re
import time
import zipfile
from datetime import date
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import holidays
import pyotp
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import session
from flask import url_for
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from assistant import delivery
from assistant.crypto import mask_field
from assistant.extensions import db
from assistant.extensions import limiter
from assistant.extensions import login_manager
from assistant.lifecycle import ALLOWED
from assistant.lifecycle import REASON_BY_CODE
from assistant.lifecycle import REJECTION_REASONS
from assistant.lifecycle import STAFF_STATUS_LABELS as STATUS_LABELS
from assistant.models import STATUSES
from assistant.models import AuditEvent
from assistant.models import Document
from assistant.models import PortRequest
from assistant.models import RequestNumber
from assistant.models import StaffUser
from assistant.models import StatusEvent
from assistant.models import utcnow
from assistant.numbers import format_number
from assistant.schedule import format_date
from assistant.submission import request_documents
from assistant.submission import status_lines
from flows.engine import mermaid
from flows.intake import INTAKE
from flows.intake import MESSAGING_LABELS
from flows.intake import TYPE_LABELS
from forms.intake import ACCOUNT_TYPES
from forms.staff import FilterForm
from forms.staff import LoginForm
from forms.staff import OtpForm
from forms.staff import StatusChangeForm
from forms.staff import choices

log = logging.getLogger(__name__)

bp = Blueprint("staff", __name__, url_prefix="/staff")

login_manager.login_view = "staff.login"
login_manager.login_message = "Please sign in to see the porting team's area."
login_manager.login_message_category = "info"

PAGE_SIZE = 50
OTP_PENDING_SECONDS = 300
OPEN_ENDPOINTS = {"staff.login", "staff.login_code"}
LOGIN_FAILED = "That e-mail and password don't match an active staff account."
# Checked when the e-mail is unknown, so a miss takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password")

# Every field of a porting request, in the order the team reads a request.
FIELD_LABELS = [
    ("business_name", "Business"),
    ("name_on_bill", "Name on bill"),
    ("number_type", "Number type"),
    ("active", "In service today"),
    ("messaging_use", "Messaging use"),
    ("tcr_brand_id", "TCR brand ID"),
    ("tcr_campaign_id", "TCR campaign ID"),
    ("vertical", "Vertical"),
    ("carrier", "Current provider"),
    ("account_type", "Account type"),
    ("partial_port", "Partial port"),
    ("remaining_numbers", "Numbers that stay on the old account"),
    ("remaining_numbers_action", "Numbers that stay are"),
    ("new_btn", "New billing number"),
    ("service_street", "Service street"),
    ("service_unit", "Unit"),
    ("service_city", "City"),
    ("service_state", "State"),
    ("service_zip", "ZIP"),
    ("authorized_name", "Authorized person"),
    ("authorized_title", "Title"),
    ("contact_email", "Contact e-mail"),
    ("contact_phone", "Contact phone"),
    ("requested_date", "Requested port date"),
]
# Rows about the numbers that stay, which apply to a partial port only.
PARTIAL_PORT_FIELDS = {"remaining_numbers", "remaining_numbers_action", "new_btn"}
ACCOUNT_TYPE_LABELS = {choice.value: choice.label for choice in ACCOUNT_TYPES}
SECRET_LABELS = [
    ("account_number", "Account number"),
    ("pin", "PIN / passcode"),
    ("btn", "Billing telephone number"),
]
HIDDEN_FIELDS = {"numbers", "masked", "account_number", "pin", "btn"}
# Fields the intake records only in some cases, shown after the others.
EXTRA_LABELS = {
    "carrier_refuses": "Provider refuses port-outs (customer says)",
    "no_pin": "Provider uses no PIN",
    "platform_locked": "Locked in another platform's messaging service",
}


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    # A disabled account loses its open sessions at their next request.
    if user is None or not user.active:
        return None
    # The session lives in the signed cookie, so a copy taken before sign-out
    # would still work: the server-side login record is what keeps it open.
    login_id = session.get("staff_login")
    if not isinstance(login_id, int) or not _login_open(user, login_id):
        return None
    return user


def _login_open(user: StaffUser, login_id: int) -> bool:
    """Whether this sign-in of this user exists and has not been signed out."""
    login = db.session.get(AuditEvent, login_id)
    if login is None or login.action != "login" or login.actor != user.email:
        return False
    ended = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "logout",
            AuditEvent.detail == _session_detail(login_id),
        )
    )
    return ended is None


def _session_detail(login_id: int) -> str:
    return f"session {login_id}"


@bp.before_request
def require_login():
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.after_request
def no_store(response):
    # Staff pages carry personal data: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _login_email_key() -> str:
    return "staff-login:" + (request.form.get("email") or "").strip().lower()[:254]


def _rate_login() -> str:
    return current_app.config["RATE_LOGIN"]


# Sign-in and sign-out.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_rate_login, methods=["POST"])
@limiter.limit(_rate_login, methods=["POST"], key_func=_login_email_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.requests"))
    form = LoginForm()
    if not form.validate_on_submit():
        return _login_page(form)

    email = form.email.data.strip().lower()
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    stored = user.password_hash if user else _DUMMY_HASH
    password_ok = check_password_hash(stored, form.password.data)
    if not (user and user.active and password_ok):
        log.info("staff login refused")
        form.password.errors.append(LOGIN_FAILED)
        return _login_page(form, 401)

    next_page = _safe_next(request.args.get("next"))
    if user.totp_secret:
        session.clear()
        session["otp_user"] = user.id
        session["otp_since"] = int(time.time())
        session["otp_next"] = next_page
        return redirect(url_for("staff.login_code"))
    return _finish_login(user, next_page, "password")


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_rate_login, methods=["POST"])
def login_code():
    user = _pending_user()
    if user is None:
        session.pop("otp_user", None)
        flash("Please sign in again.", "info")
        return redirect(url_for("staff.login"))
    form = OtpForm()
    if not form.validate_on_submit():
        return _code_page(form)

    timecode = _accepted_timecode(user.totp_secret, form.code.data.strip())
    if timecode is None or _code_used(user, timecode):
        log.info("staff one-time code refused for user %s", user.id)
        form.code.errors.append("That code didn't work. Enter the current one.")
        return _code_page(form, 401)
    return _finish_login(user, session.get("otp_next"), f"otp:{timecode}")


@bp.post("/logout")
def logout():
    _audit(None, "logout", _session_detail(session.get("staff_login")))
    db.session.commit()
    logout_user()
    session.clear()
    flash("You're signed out.", "info")
    return redirect(url_for("staff.login"))


def _login_page(form: LoginForm, status: int = 200):
    return render_template("staff/login.html", form=form), status


def _code_page(form: OtpForm, status: int = 200):
    return render_template("staff/code.html", form=form), status


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the staff area, never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/staff/"):
        return None
    return target


def _pending_user() -> StaffUser | None:
    user_id = session.get("otp_user")
    since = session.get("otp_since", 0)
    if not user_id or time.time() - since > OTP_PENDING_SECONDS:
        return None
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.active or not user.totp_secret:
        return None
    return user


def _accepted_timecode(secret: str, code: str) -> int | None:
    """The time step whose code this is: the current one or one step either side."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    for offset in (0, -1, 1):
        at = now + offset * totp.interval
        if hmac.compare_digest(totp.at(at), code):
            return int(at // totp.interval)
    return None


def _code_used(user: StaffUser, timecode: int) -> bool:
    """A code that already signed someone in can't be replayed."""
    found = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.actor == user.email,
            AuditEvent.action == "login",
            AuditEvent.detail == f"otp:{timecode}",
        )
    )
    return found is not None


def _finish_login(user: StaffUser, next_page: str | None, how: str):
    # A fresh session on every sign-in: nothing from before it carries over.
    session.clear()
    login = AuditEvent(actor=user.email, action="login", detail=how)
    db.session.add(login)
    db.session.flush()
    session["staff_login"] = login.id
    login_user(user)
    db.session.commit()
    log.info("staff user %s signed in", user.id)
    return redirect(_safe_next(next_page) or url_for("staff.requests"))


# The list of requests.
@bp.get("/")
def requests():
    form = FilterForm(request.args)
    form.status.choices = choices(
        [("", "Any status")] + [(status, STATUS_LABELS[status]) for status in STATUSES]
    )
    form.number_type.choices = choices([("", "Any type"), *TYPE_LABELS.items()])
    form.validate()
    page = max(request.args.get("page", 1, type=int) or 1, 1)

    query = _filtered(form)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(PortRequest.created_at.desc(), PortRequest.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "staff/list.html",
        form=form,
        rows=rows,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        args={k: v for k, v in request.args.items() if k != "page"},
        labels=STATUS_LABELS,
        types=TYPE_LABELS,
        now=utcnow(),
        format_number=format_number,
    )


def _filtered(form: FilterForm):
    query = select(PortRequest)
    if form.status.data in STATUSES:
        query = query.where(PortRequest.status == form.status.data)
    if form.number_type.data in TYPE_LABELS:
        query = query.where(PortRequest.number_type == form.number_type.data)
    if form.age.data and not form.age.errors:
        days = int(form.age.data)
        cutoff = utcnow() - timedelta(days=abs(days))
        if days > 0:
            query = query.where(PortRequest.created_at >= cutoff)
        else:
            query = query.where(PortRequest.created_at < cutoff)
    search = (form.q.data or "").strip()
    if search and not form.q.errors:
        matches = [
            PortRequest.business_name.icontains(search, autoescape=True),
            PortRequest.reference.icontains(search, autoescape=True),
        ]
        digits = re.sub(r"\D", "", search)
        if len(digits) >= 3:
            matches.append(
                PortRequest.numbers.any(
                    RequestNumber.e164.contains(digits, autoescape=True)
                )
            )
        query = query.where(or_(*matches))
    return query


# How the intake flows, drawn from the machine the chat runs.
@bp.get("/flows")
def flows():
    return render_template("staff/flows.html", flows=_flow_tables())


@functools.cache
def _flow_tables() -> list[dict]:
    # Drawing the diagram builds a machine of its own: once per process is enough.
    return [_flow_table(INTAKE)]


def _listed(names) -> list[str]:
    # transitions takes one condition name as well as a list of them.
    if not names:
        return []
    return [names] if isinstance(names, str) else list(names)


def _flow_table(flow) -> dict:
    """A flow's steps, each state's ways on, and its Mermaid diagram."""
    labels = dict(flow.steps)
    ways_on: dict[str, list[dict]] = {state: [] for state in flow.states}
    from_anywhere = []
    for transition in flow.transitions:
        way = {
            "trigger": transition["trigger"],
            "dest": transition["dest"],
            "when": _listed(transition.get("conditions")),
            "unless": _listed(transition.get("unless")),
        }
        sources = transition["source"]
        if sources == "*":
            from_anywhere.append(way)
            continue
        for source in [sources] if isinstance(sources, str) else sources:
            ways_on[source].append(way)
    states = [
        {"name": state, "step": labels[flow.step_of[state]], "ways_on": ways_on[state]}
        for state in flow.states
    ]
    return {
        "name": flow.name,
        "states": states,
        "from_anywhere": from_anywhere,
        "mermaid": mermaid(flow),
    }


# One request.
@bp.get("/requests/<reference>")
def detail(reference: str):
    port_request = _request_or_404(reference)
    return _detail_page(port_request, _status_form(port_request))


@bp.post("/requests/<reference>/reveal")
def reveal(reference: str):
    port_request = _request_or_404(reference)
    shown = [name for name, _ in SECRET_LABELS if port_request.secrets.get(name)]
    _audit(port_request, "reveal", ", ".join(shown) or "nothing to reveal")
    db.session.commit()
    log.info(
        "staff user %s revealed secrets of request %s", current_user.id, port_request.id
    )
    return _detail_page(port_request, _status_form(port_request), revealed=True)


@bp.post("/requests/<reference>/status")
def change_status(reference: str):
    port_request = _request_or_404(reference)
    form = _status_form(port_request, formdata=request.form)
    if form.current.data != port_request.status:
        flash(
            "Someone changed this request's status while you were looking; "
            "check the history below and try again.",
            "error",
        )
        return _detail_page(port_request, _status_form(port_request), status=409)
    if not form.validate_on_submit() or not _foc_date_bookable(form, port_request):
        return _detail_page(port_request, form, status=400)

    new = form.status.data
    note = (form.note.data or "").strip() or None
    rejected = new == "rejected"
    earlier_date = port_request.foc_date if new == port_request.status else None
    values = {
        "status": new,
        "updated_at": utcnow(),
        "rejection_code": form.reason.data if rejected else None,
        "rejection_note": note if rejected else None,
    }
    if new == "foc_confirmed":
        values["foc_date"] = form.foc_date.data.isoformat()
    # Compare and set: of two staff changing the status at once, one wins; of
    # two moving a confirmed date at once, too.
    changed = db.session.execute(
        update(PortRequest)
        .where(PortRequest.id == port_request.id)
        .where(PortRequest.status == port_request.status)
        .where(PortRequest.foc_date.is_not_distinct_from(port_request.foc_date))
        .values(**values)
    )
    if changed.rowcount != 1:
        db.session.rollback()
        flash(
            "Someone else changed this request first; check it and try again.", "error"
        )
        return redirect(url_for("staff.detail", reference=port_request.reference))

    event = StatusEvent(
        request_id=port_request.id,
        status=new,
        reason_code=values["rejection_code"],
        note=note,
        foc_date=values.get("foc_date"),
        actor=current_user.email,
    )
    db.session.add(event)
    db.session.flush()
    db.session.refresh(port_request)
    delivery.queue_status_change(
        port_request,
        event.id,
        status_lines(port_request.reference, port_request.contact_email),
        earlier_date=earlier_date,
    )
    db.session.commit()
    log.info(
        "staff user %s moved request %s to %s", current_user.id, port_request.id, new
    )
    delivery.send_after_commit()

    done = f"Status changed to “{STATUS_LABELS[new]}”."
    if earlier_date:
        done = f"Port date moved to {format_date(form.foc_date.data)}."
    flash(f"{done} The customer has been e-mailed.", "success")
    return redirect(url_for("staff.detail", reference=port_request.reference))


@bp.get("/requests/<reference>/documents/<document_id>")
def document(reference: str, document_id: str):
    port_request = _request_or_404(reference)
    found = db.session.scalar(
        select(Document).where(
            Document.id == document_id,
            Document.conversation_id == port_request.conversation_id,
            Document.group_index == port_request.group_index,
        )
    )
    if found is None or found.data is None:
        abort(404)
    _audit(port_request, "download", f"document {found.id}")
    db.session.commit()
    return send_file(
        io.BytesIO(found.content),
        mimetype=found.media_type or "application/octet-stream",
        as_attachment=True,
        download_name=delivery.safe_filename(found.filename, set()),
    )


@bp.get("/requests/<reference>/package.zip")
def package(reference: str):
    port_request = _request_or_404(reference)
    documents = request_documents(port_request)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in delivery.package_files(port_request, documents):
            archive.writestr(file.filename, file.data)
    _audit(port_request, "download", "package")
    db.session.commit()
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{port_request.reference}.zip",
    )


def _foc_date_bookable(form: StatusChangeForm, port_request: PortRequest) -> bool:
    """A confirmed port date is a business day, today or later in the provider's
    time zone, and differs from the date already confirmed."""
    if form.status.data != "foc_confirmed":
        return True
    problem = _foc_date_problem(form.foc_date.data, port_request)
    if problem:
        form.foc_date.errors.append(problem)
    return not problem


def _foc_date_problem(day: date, port_request: PortRequest) -> str | None:
    today = _today()
    named = f"The confirmed port date {day.isoformat()} ({format_date(day)})"
    ask = "Enter the FOC date from the carrier's confirmation."
    if day < today:
        return (
            f"The confirmed port date {day.isoformat()} is before today "
            f"({today.isoformat()}, {current_app.config['TIMEZONE']}). {ask}"
        )
    if day.weekday() >= 5:
        return f"{named} is a {day:%A}; carriers don't port on weekends. {ask}"
    holiday = holidays.country_holidays("US", years=day.year).get(day)
    if holiday:
        return (
            f"{named} is {holiday}, a US federal holiday; carriers don't port on "
            f"holidays. {ask}"
        )
    if port_request.status == "foc_confirmed" and port_request.foc_date == (
        day.isoformat()
    ):
        return f"{named} is already the confirmed date. Enter the new date to move it."
    return None


def _today() -> date:
    from assistant.steps import schedule_now

    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return schedule_now().astimezone(zone).date()


def _error_summary(form) -> list[dict]:
    """Every field error of the form, each linking to its field."""
    return [
        {"target": item.id, "message": f"{item.label.text}: {message}"}
        for item in form
        for message in item.errors
        if item.type not in ("CSRFTokenField", "HiddenField")
    ]


def _request_or_404(reference: str) -> PortRequest:
    found = db.session.scalar(
        select(PortRequest).where(PortRequest.reference == reference.upper())
    )
    if found is None:
        abort(404)
    return found


def _status_form(port_request: PortRequest, formdata=None) -> StatusChangeForm:
    form = StatusChangeForm(formdata=formdata)
    form.status.choices = choices(
        (status, _choice_label(status, port_request.status))
        for status in ALLOWED[port_request.status]
    )
    form.reason.choices = choices(
        [("", "Not a rejection")]
        + [(reason.code, reason.label) for reason in REJECTION_REASONS]
    )
    if formdata is None:
        form.current.data = port_request.status
    return form


def _choice_label(status: str, current: str) -> str:
    if status == current == "foc_confirmed":
        return "Port date confirmed (FOC): a new date"
    return STATUS_LABELS[status]


def _detail_page(port_request, form, revealed: bool = False, status: int = 200):
    secrets = port_request.secrets
    shown = {
        name: secrets.get(name) if revealed else mask_field(name, secrets.get(name))
        for name, _ in SECRET_LABELS
    }
    fields = port_request.fields
    extra = sorted(set(fields) - HIDDEN_FIELDS - {key for key, _ in FIELD_LABELS})
    audits = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.request_id == port_request.id)
        .order_by(AuditEvent.id.desc())
        .limit(50)
    ).all()
    page = render_template(
        "staff/detail.html",
        r=port_request,
        form=form,
        field_rows=[
            (label, _shown(key, fields.get(key)))
            for key, label in FIELD_LABELS
            if not (key in PARTIAL_PORT_FIELDS and not fields.get("partial_port"))
        ]
        + [(_extra_label(key), _shown(key, fields.get(key))) for key in extra],
        secret_rows=[(label, shown[name]) for name, label in SECRET_LABELS],
        has_secrets=any(secrets.values()),
        revealed=revealed,
        documents=request_documents(port_request),
        audits=audits,
        labels=STATUS_LABELS,
        reasons=REASON_BY_CODE,
        format_number=format_number,
        summary=_error_summary(form),
    )
    return page, status


def _extra_label(key: str) -> str:
    return EXTRA_LABELS.get(key) or key.replace("_", " ").capitalize()


def _shown(key: str, value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "number_type":
        return TYPE_LABELS.get(value, value)
    if key == "messaging_use":
        return MESSAGING_LABELS.get(value, value)
    if key in ("new_btn", "contact_phone") and str(value).startswith("+"):
        return format_number(value)
    if key == "account_type":
        return ACCOUNT_TYPE_LABELS.get(value, str(value))
    if key == "remaining_numbers_action":
        return {"keep": "kept in service", "disconnect": "disconnected"}.get(
            value, str(value)
        )
    if key == "remaining_numbers" and isinstance(value, list):
        return ", ".join(format_number(number) for number in value)
    if isinstance(value, list | dict):
        return ", ".join(str(item) for item in value)
    return str(value)


def _audit(port_request: PortRequest | None, action: str, detail: str = "") -> None:
    db.session.add(
        AuditEvent(
            request_id=port_request.id if port_request else None,
            actor=current_user.email,
            action=action,
            detail=detail or None,
        )
    )
