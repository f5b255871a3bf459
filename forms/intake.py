"""Forms of the intake steps; the chat shows them as cards, the wizard as pages."""

import re
from datetime import date

import wtforms
from flask_wtf import FlaskForm
from wtforms import BooleanField
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

DATE_MESSAGE = "Please give the date as YYYY-MM-DD, for example 2027-01-15."
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")

FALSE_VALUES = (False, "false", "", "no", "n", "0", "off")

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
            raise ValueError(DATE_MESSAGE) from error


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
    no_pin = BooleanField("My provider doesn't use a PIN", false_values=FALSE_VALUES)
    platform_locked = BooleanField(
        "The number sits in a messaging service or sub-account on another platform",
        false_values=FALSE_VALUES,
    )
    carrier_refuses = BooleanField(
        "My provider has said it won't release the number",
        false_values=FALSE_VALUES,
    )
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
        validators=[
            InputRequired(
                message="Please tick the box to agree to sign electronically."
            )
        ],
        false_values=FALSE_VALUES,
    )

    def validate_signature_consent(self, field) -> None:
        if not field.data:
            raise ValidationError(
                "Please tick the box to agree to sign electronically."
            )


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
