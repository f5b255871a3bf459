"""Forms of the porting team's area: login, one-time code, filters, status changes.

Choices that come from the application (statuses, rejection reasons) are set by
the view, so this module stays free of `assistant` imports.
"""

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms import EmailField
from wtforms import HiddenField
from wtforms import PasswordField
from wtforms import SearchField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import Regexp


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


AGES = choices(
    [
        ("", "Any age"),
        ("1", "Submitted in the last day"),
        ("7", "Submitted in the last 7 days"),
        ("-7", "Waiting more than 7 days"),
        ("-30", "Waiting more than 30 days"),
    ]
)


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail", validators=[DataRequired("Enter your e-mail."), Length(max=254)]
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=200)],
    )


class OtpForm(FlaskForm):
    code = StringField(
        "One-time code from your authenticator app",
        validators=[
            DataRequired("Enter the 6-digit code."),
            Regexp(r"^\s*\d{6}\s*$", message="The code has 6 digits."),
        ],
    )


class FilterForm(FlaskForm):
    """The request list's filters; read from the query string, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField("Status", validators=[Optional()], validate_choice=False)
    number_type = SelectField(
        "Number type", validators=[Optional()], validate_choice=False
    )
    age = SelectField("Age", choices=AGES, validators=[Optional()])
    q = SearchField(
        "Number, business or reference", validators=[Optional(), Length(max=100)]
    )


class StatusChangeForm(FlaskForm):
    current = HiddenField()
    status = SelectField("New status", validators=[DataRequired("Pick a status.")])
    reason = SelectField("Rejection reason", validators=[Optional()])
    note = TextAreaField(
        "Note to the customer (shown on their status page and in the e-mail)",
        validators=[Optional(), Length(max=2000)],
    )
    foc_date = DateField("Confirmed port date (FOC)", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        """The field checks, then what one status needs from the other fields."""
        valid = super().validate(extra_validators)
        status = self.status.data
        if status == "rejected" and not self.reason.data:
            self.reason.errors.append("A rejection needs the carrier's reason.")
        note = (self.note.data or "").strip()
        if status == "rejected" and self.reason.data == "other" and not note:
            self.note.errors.append("Reason 'Other' needs a note saying what to fix.")
        if status == "foc_confirmed" and not self.foc_date.data:
            self.foc_date.errors.append("Enter the port date the carrier confirmed.")
        return valid and not (
            self.reason.errors or self.note.errors or self.foc_date.errors
        )
