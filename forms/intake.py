"""Forms of the intake steps; the chat shows them as cards, the wizard as pages."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import EmailField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import Regexp
from wtforms.validators import ValidationError

from forms.validators import Email
from forms.validators import NotPOBox
from forms.validators import USState
from forms.validators import USZip

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


class CampaignForm(FlaskForm):
    tcr_brand_id = StringField(
        "Brand ID (starts with B)",
        validators=[
            Optional(),
            Length(max=20),
            Regexp(
                r"^[A-Za-z0-9]+$",
                message="A brand ID has only letters and digits, like BXXXXXX.",
            ),
        ],
    )
    tcr_campaign_id = StringField(
        "Campaign ID (starts with C)",
        validators=[
            Optional(),
            Length(max=20),
            Regexp(
                r"^[A-Za-z0-9]+$",
                message="A campaign ID has only letters and digits, like CXXXXXX.",
            ),
        ],
    )
    vertical = SelectField("Industry", choices=VERTICALS, default="other")


class ProviderForm(FlaskForm):
    carrier = StringField(
        "Current provider",
        validators=[_required("your current provider's name"), Length(max=100)],
    )
    account_type = SelectField(
        "Account type", choices=ACCOUNT_TYPES, default="business"
    )
    account_number = StringField(
        "Account number",
        validators=[_required("the account number from your bill"), Length(max=40)],
    )
    pin = StringField(
        "Account or transfer PIN",
        validators=[Length(max=20)],
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
        validators=[Optional(), Length(max=30)],
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
            Length(max=100),
        ],
    )
    business_name = StringField(
        "Business name", validators=[_required("your business name"), Length(max=100)]
    )
    authorized_name = StringField(
        "Authorized person",
        validators=[_required("the name of the person who may sign"), Length(max=100)],
        description="The person your current provider has on file for the account.",
    )
    authorized_title = StringField(
        "Their title", validators=[_required("their title"), Length(max=60)]
    )
    service_street = StringField(
        "Service street address",
        validators=[
            _required("the street address where the service is"),
            Length(max=120),
            NotPOBox(),
        ],
    )
    service_unit = StringField(
        "Suite or unit", validators=[Optional(), Length(max=30), NotPOBox()]
    )
    service_city = StringField(
        "City", validators=[_required("the city"), Length(max=60)]
    )
    service_state = StringField("State", validators=[_required("the state"), USState()])
    service_zip = StringField(
        "ZIP code", validators=[_required("the ZIP code"), USZip()]
    )
    contact_email = EmailField(
        "Contact e-mail", validators=[_required("an e-mail address"), Email()]
    )
    contact_phone = TelField("Contact phone", validators=[Optional(), Length(max=30)])
    requested_date = DateField(
        "Wished port date (optional)",
        validators=[Optional()],
        description="A business day at least a week out; leave empty for the "
        "earliest date.",
    )


class SignForm(FlaskForm):
    signature_name = StringField(
        "Type your full name to sign",
        validators=[_required("your full name"), Length(max=100)],
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
        validators=[_required("the reference from your confirmation"), Length(max=20)],
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
