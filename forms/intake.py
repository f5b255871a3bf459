"""Forms of the intake steps; the chat shows them as cards, the wizard as pages."""

import re
from datetime import date

import wtforms
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms import StringField
from wtforms import TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from forms.validators import Email
from forms.validators import NotPOBox
from forms.validators import Phone
from forms.validators import StreetName
from forms.validators import TCRId
from forms.validators import USState
from forms.validators import USZip

DATE_MESSAGE = (
    "Please give the date as YYYY-MM-DD, for example {earliest}; the latest date "
    "we can book is {latest}."
)
NOT_A_DATE_MESSAGE = (
    "{problem}, so that isn't a real date. Please pick a day from {earliest} to "
    "{latest}, written as YYYY-MM-DD."
)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def date_message(text: str) -> str:
    """The sentence for a wished date we can't read, with dates that can be booked."""
    from assistant.schedule import bookable_dates

    earliest, latest = bookable_dates(**_schedule_settings())
    shown = {"earliest": earliest.isoformat(), "latest": latest.isoformat()}
    us = _US_DATE.fullmatch(text)
    iso = _ISO_DATE.fullmatch(text)
    if us or iso:
        month, day, year = (
            us.groups() if us else (iso.group(2), iso.group(3), iso.group(1))
        )
        problem = _impossible_part(int(year), int(month), int(day))
        if problem:
            return NOT_A_DATE_MESSAGE.format(problem=problem, **shown)
    return DATE_MESSAGE.format(**shown)


def _impossible_part(year: int, month: int, day: int) -> str | None:
    """What makes a year, month and day not a calendar date, said plainly."""
    import calendar

    if not 1 <= month <= 12:
        return f"There's no month {month}"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        # Only February's length depends on the year, so only then is it named.
        which = f"February {year}" if month == 2 and day == 29 else None
        return f"{which or calendar.month_name[month]} has no {_ordinal(day)} day"
    return None


def _ordinal(n: int) -> str:
    if 11 <= n % 100 <= 13:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _schedule_settings() -> dict:
    """Now and the booking rules as the running application has them."""
    from datetime import UTC
    from datetime import datetime

    from flask import current_app

    config = current_app.config
    override = config.get("NOW")
    return {
        "now": override() if callable(override) else datetime.now(UTC),
        "tz": config["TIMEZONE"],
        "cutoff_hour": config["CUTOFF_HOUR"],
        "min_business_days": config["MIN_PORT_BUSINESS_DAYS"],
    }


FALSE_VALUES = (False, "false", "", "no", "n", "0", "off")
# Only these count as a ticked box: the checkbox's own "y" and the usual yes words.
TRUE_VALUES = ("true", "yes", "y", "on", "1")
UNCLEAR_BOX_MESSAGE = "Please tick the box, or leave it unticked."
CONSENT_MESSAGE = "Please tick the box to agree to sign electronically."

ACCOUNT_TYPES = [
    SelectChoice("business", "Business"),
    SelectChoice("residential", "Residential"),
]
VERTICALS = [
    SelectChoice("other", "Other"),
    SelectChoice("financial", "Financial services"),
    SelectChoice("political", "Political"),
]


def _required(what: str) -> DataRequired:
    return DataRequired(message=f"Please enter {what}.")


def _at_most(what: str, limit: int) -> Length:
    return Length(
        max=limit,
        message=f"Please keep {what} to {limit} characters or fewer.",
    )


# Named like the WTForms classes on purpose: the chat and the wizard tell field
# kinds apart by class name, and only the customer-facing sentences differ.
class SelectField(wtforms.SelectField):
    """A select whose refusal of an unknown value names the field kindly."""

    def pre_validate(self, form) -> None:
        if self.data not in {value for value, *_ in self.iter_choices()}:
            options = ", ".join(c.label for c in self.choices)
            raise ValidationError(
                f"Please choose the {self.label.text.lower()} from the list: {options}."
            )


class BooleanField(wtforms.BooleanField):
    """A checkbox that counts only a clear yes as ticked and refuses unclear values.

    WTForms ticks the box for any value that isn't a known "no", so a stray list
    or a "maybe" would pass as consent; here those are refused with a sentence.
    """

    def __init__(self, label=None, validators=None, unclear_message=None, **kwargs):
        kwargs.setdefault("false_values", FALSE_VALUES)
        super().__init__(label, validators, **kwargs)
        self.unclear_message = unclear_message or UNCLEAR_BOX_MESSAGE

    def process_formdata(self, valuelist) -> None:
        self.data = False
        if not valuelist:
            return
        said = valuelist[0].strip().lower() if len(valuelist) == 1 else None
        if said in TRUE_VALUES:
            self.data = True
        elif said not in self.false_values:
            raise ValueError(self.unclear_message)


class DateField(wtforms.DateField):
    """A date as YYYY-MM-DD, or as US month/day/year, with our own sentence."""

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        if not text:
            self.data = None
            return
        us = _US_DATE.fullmatch(text)
        try:
            if us:
                month, day, year = (int(part) for part in us.groups())
                self.data = date(year, month, day)
            else:
                self.data = date.fromisoformat(text)
        except ValueError as error:
            self.data = None
            raise ValueError(date_message(text)) from error


class CampaignForm(FlaskForm):
    tcr_brand_id = StringField(
        "Brand ID (starts with B)",
        validators=[
            Optional(),
            TCRId("B", "brand"),
        ],
    )
    tcr_campaign_id = StringField(
        "Campaign ID (starts with C)",
        validators=[
            Optional(),
            TCRId("C", "campaign"),
        ],
    )
    vertical = SelectField("Industry", choices=VERTICALS, default="other")


class ProviderForm(FlaskForm):
    carrier = StringField(
        "Current provider",
        validators=[
            _required("your current provider's name"),
            _at_most("the provider's name", 100),
        ],
    )
    account_type = SelectField(
        "Account type", choices=ACCOUNT_TYPES, default="business"
    )
    account_number = StringField(
        "Account number",
        validators=[
            _required("the account number from your bill"),
            _at_most("the account number", 40),
        ],
    )
    pin = StringField(
        "Account or transfer PIN",
        validators=[_at_most("the PIN", 20)],
        description="Leave empty only if your provider doesn't use one.",
    )
    no_pin = BooleanField("My provider doesn't use a PIN")
    platform_locked = BooleanField(
        "The number sits in a messaging service or sub-account on another platform"
    )
    carrier_refuses = BooleanField("My provider has said it won't release the number")
    btn = TelField(
        "Main (billing) number on the account",
        validators=[Optional(), _at_most("the billing number", 30), Phone()],
        description="Optional: the number the account is billed under.",
    )

    def validate_pin(self, field) -> None:
        if not field.data and not self.no_pin.data:
            raise ValidationError(
                "Please enter the PIN, or tick the box if your provider doesn't "
                "use one."
            )


class LoaDetailsForm(FlaskForm):
    name_on_bill = StringField(
        "Name exactly as on your bill",
        validators=[
            _required("the name as it's printed on your bill"),
            _at_most("the name on the bill", 100),
        ],
    )
    business_name = StringField(
        "Business name",
        validators=[
            _required("your business name"),
            _at_most("the business name", 100),
        ],
    )
    authorized_name = StringField(
        "Authorized person",
        validators=[
            _required("the name of the person who may sign"),
            _at_most("the authorized person's name", 100),
        ],
        description="The person your current provider has on file for the account.",
    )
    authorized_title = StringField(
        "Their title", validators=[_required("their title"), _at_most("the title", 60)]
    )
    service_street = StringField(
        "Service street address",
        validators=[
            _required("the street address where the service is"),
            _at_most("the street address", 120),
            NotPOBox(),
            StreetName(),
        ],
    )
    service_unit = StringField(
        "Suite or unit",
        validators=[Optional(), _at_most("the suite or unit", 30), NotPOBox()],
    )
    service_city = StringField(
        "City", validators=[_required("the city"), _at_most("the city", 60)]
    )
    service_state = StringField("State", validators=[_required("the state"), USState()])
    service_zip = StringField(
        "ZIP code", validators=[_required("the ZIP code"), USZip()]
    )
    contact_email = EmailField(
        "Contact e-mail", validators=[_required("an e-mail address"), Email()]
    )
    contact_phone = TelField(
        "Contact phone",
        validators=[Optional(), _at_most("the contact phone", 30), Phone()],
    )
    requested_date = DateField(
        "Wished port date (optional)",
        validators=[Optional()],
        description="A business day at least a week out; leave empty for the "
        "earliest date.",
    )


class SignForm(FlaskForm):
    signature_name = StringField(
        "Type your full name to sign",
        validators=[_required("your full name"), _at_most("your name", 100)],
    )
    signature_consent = BooleanField(
        "I agree to sign this Letter of Authorization electronically",
        validators=[InputRequired(message=CONSENT_MESSAGE)],
        unclear_message=CONSENT_MESSAGE,
    )

    def validate_signature_consent(self, field) -> None:
        # An unclear value already carries the same sentence from reading it.
        if not field.data and not field.errors:
            raise ValidationError(CONSENT_MESSAGE)


class StatusForm(FlaskForm):
    reference = StringField(
        "Reference",
        validators=[
            _required("the reference from your confirmation"),
            _at_most("the reference", 20),
        ],
    )
    contact_email = EmailField(
        "E-mail address", validators=[_required("the e-mail address you used"), Email()]
    )


STEP_FORMS = {
    "campaign": CampaignForm,
    "provider": ProviderForm,
    "loa_details": LoaDetailsForm,
    "sign": SignForm,
    "status": StatusForm,
}
