import io
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assistant.extensions import db
from assistant.models import PortRequest
from forms.intake import CONSENT_MESSAGE
from tests.intake_data import LOA_DETAILS
from tests.intake_data import PROVIDER
from tests.intake_data import run_to_review

SIGNER = "Jane Doe"


def to_sign(chat) -> None:
    run_to_review(chat)
    chat.choose("submit")
    assert chat.state == "sign", chat.last


def to_active(chat) -> None:
    chat.choose("port")
    chat.text("(415) 867-5309")
    chat.choose("mobile")
    assert chat.state == "active", chat.last


def requests_of(app, chat) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(PortRequest)
            .where(PortRequest.conversation_id == chat.id)
        )


@pytest.mark.parametrize("consent", [[1, 2], 2, "maybe", "", 1.5, False, "no"])
def test_sign_refuses_a_consent_that_is_not_a_clear_yes(chat, app, consent):
    to_sign(chat)

    body = chat.form(signature_name=SIGNER, signature_consent=consent)

    assert body["state"] == "sign"
    assert body["errors"]["signature_consent"] == [CONSENT_MESSAGE]
    assert body["reference"] is None
    assert requests_of(app, chat) == 0


def test_sign_refuses_an_object_as_consent_with_a_400(chat):
    to_sign(chat)

    body = chat.form(400, signature_name=SIGNER, signature_consent={"a": 1})

    assert body["error"]["code"] == "bad_request"
    assert chat.state == "sign"


@pytest.mark.parametrize("consent", [True, "yes", "true", "on", "y", "1", 1, "Yes"])
def test_sign_takes_a_clear_yes_as_consent(chat, consent):
    to_sign(chat)

    body = chat.form(signature_name=SIGNER, signature_consent=consent)

    assert body["state"] == "submitted"
    assert body["reference"].startswith("PR-")


@pytest.mark.parametrize("value", [[1, 2], "maybe", 2])
def test_provider_checkbox_with_an_unclear_value_is_refused(chat, value):
    to_active(chat)
    chat.choose("yes")
    chat.choose("none")

    body = chat.form(**PROVIDER, carrier_refuses=value)

    assert body["state"] == "provider"
    assert body["errors"] == {
        "carrier_refuses": ["Please tick the box, or leave it unticked."]
    }


@pytest.mark.parametrize(
    "numbers", [["4158675309", 4158675310], ["(415) 867-5309", "415-867-5310"]]
)
def test_a_list_of_numbers_is_read_one_item_a_line(chat, numbers):
    chat.choose("port")

    body = chat.form(numbers=numbers)

    said = chat.said()
    assert "We found 2 numbers." in said
    assert "(" + "'" not in said
    assert body["state"] == "number_type"


@pytest.mark.parametrize("value", ["maybe", 2, [1, 2]])
def test_a_choice_step_form_with_an_unknown_value_is_a_400_naming_the_answers(
    chat, value
):
    to_active(chat)

    body = chat.post({"form": {"active": value}}, 400)

    assert body["error"] == {
        "code": "bad_request",
        "message": "That answer isn't one this question takes. Please pick one "
        "of: Yes, No.",
    }
    assert chat.state == "active"


@pytest.mark.parametrize("value", ["yes", True, "Yes"])
def test_a_choice_step_takes_a_form_keyed_by_its_field(chat, value):
    to_active(chat)

    body = chat.post({"form": {"active": value}})

    assert body["state"] == "messaging_use"


def test_the_welcome_menu_takes_a_form_keyed_by_its_field(chat):
    body = chat.post({"form": {"intent": "port"}})

    assert body["state"] == "numbers"


def test_submitting_again_returns_the_same_reference_and_files_nothing_new(chat, app):
    to_sign(chat)
    reference = chat.form(signature_name=SIGNER, signature_consent=True)["reference"]
    outbox = Path(app.config["OUTBOX_DIR"])
    sent = sorted(outbox.iterdir())
    assert sent

    again = chat.choose("submit")
    signed_again = chat.form(signature_name=SIGNER, signature_consent=True)

    for body in (again, signed_again):
        assert body["state"] == "submitted"
        assert body["reference"] == reference
        assert (
            f"already sent, with reference {reference}" in body["messages"][0]["text"]
        )
    assert requests_of(app, chat) == 1
    assert sorted(outbox.iterdir()) == sent


def test_a_wrong_email_at_the_status_look_up_keeps_both_values(chat):
    chat.choose("status")

    body = chat.form(reference="PR-UU6CCWAR", contact_email="wrong@example.com")

    assert body["state"] == "status"
    assert "couldn't find a request with that reference and e-mail" in chat.said()
    values = {f["name"]: f["value"] for f in body["input"]["fields"]}
    assert values == {"reference": "PR-UU6CCWAR", "contact_email": "wrong@example.com"}


def test_a_refused_billing_number_comes_back_as_typed_and_secrets_stay_masked(chat):
    to_active(chat)
    chat.choose("yes")
    chat.choose("none")

    body = chat.form(**PROVIDER, btn="555")

    assert list(body["errors"]) == ["btn"]
    values = {f["name"]: f["value"] for f in body["input"]["fields"]}
    assert values["btn"] == "555"
    assert values["account_number"] == "•••••••••09"
    assert values["pin"] == "••••"


def test_a_lone_surrogate_is_said_to_be_unreadable(chat):
    body = chat.post({"text": "\ud800"}, 400)

    assert body["error"]["message"] == (
        "We couldn't read the characters in that message. Please type it again."
    )


def test_an_unknown_document_kind_is_named_in_words(chat, client):
    response = client.post(
        f"/api/conversations/{chat.id}/documents",
        data={"kind": "selfie", "file": (io.BytesIO(b"x"), "a.pdf")},
        headers=chat.headers,
        content_type="multipart/form-data",
    )

    message = response.get_json()["error"]["message"]
    assert response.status_code == 400
    assert "google_voice_screenshot" not in message
    assert "a screenshot of your Google Voice settings" in message


def test_a_document_the_step_does_not_take_names_the_one_it_does(chat, client):
    to_active(chat)
    chat.choose("yes")
    chat.choose("none")
    chat.form(**PROVIDER)
    chat.choose("no")
    chat.form(**LOA_DETAILS)
    assert chat.state == "documents", chat.last

    response = client.post(
        f"/api/conversations/{chat.id}/documents",
        data={"kind": "google_voice_screenshot", "file": (io.BytesIO(b"x"), "a.png")},
        headers=chat.headers,
        content_type="multipart/form-data",
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == (
        "This step takes a bill (or statement) or a Customer Service Record (CSR), "
        "so that document can't be used here. Please send one of those instead."
    )
