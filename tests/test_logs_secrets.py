import logging
import re

import pytest
from sqlalchemy import text

from tests.conftest import Chat
from tests.staff_fixtures import add_staff_user
from tests.staff_fixtures import change_status
from tests.staff_fixtures import sign_in
from tests.test_security_secrets import leaked
from tests.test_security_secrets import submit_intake
from tests.test_wizard import Wizard
from tests.test_wizard import walk

FORMATTER = logging.Formatter("%(name)s %(levelname)s %(message)s")
# The ported number, however a line might write it: E.164, digits, or typed.
PORTED_NUMBER = re.compile(r"(?<!\d)1?4158675309(?!\d)")
# Lines only the uploaded bill prints (tests.docgen.Bill): its text never goes to a log.
BILL_TEXT = re.compile(r"Monthly statement|Total due|\$34\.98|881233450091")


class Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(FORMATTER.format(record))


@pytest.fixture
def every_log_line():
    """Every logger at DEBUG, enabled and propagating, into one list of lines."""
    handler = Everything()
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(lg, lg.level, lg.disabled, lg.propagate) for lg in loggers]
    root.addHandler(handler)
    yield handler.lines, loggers
    root.removeHandler(handler)
    for logger, level, disabled, propagate in saved:
        logger.setLevel(level)
        logger.disabled, logger.propagate = disabled, propagate


def open_every_logger(loggers) -> None:
    known = logging.root.manager.loggerDict.values()
    for logger in [*loggers, *[lg for lg in known if isinstance(lg, logging.Logger)]]:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        logger.propagate = logger is not logging.getLogger()


def reveals(line: str) -> list[str]:
    found = leaked(line)
    digits = re.sub(r"[\s().\-+]", "", line)
    if PORTED_NUMBER.search(digits):
        found.append("ported number")
    if BILL_TEXT.search(line) or BILL_TEXT.search(digits):
        found.append("document text")
    return found


def test_the_log_searcher_finds_the_number_in_every_common_format():
    for line in (
        "+14158675309",
        "(415) 867-5309",
        "415.867.5309",
        "numbers ['+14158675309']",
    ):
        assert reveals(line) == ["ported number"], line
    assert reveals("text: Monthly statement - March 2025") == ["document text"]
    assert reveals("acct 8812 3345 0091") == ["document text"]
    assert reveals("conversation 5f0c8e7a started at 14:58:09") == []


def test_a_whole_intake_logs_no_number_pin_account_or_billing_number(
    any_db_app, every_log_line
):
    lines, loggers = every_log_line
    open_every_logger(loggers)
    chat = Chat(any_db_app.test_client())

    reference = submit_intake(chat)
    chat.text("what happens next?")
    chat.choose("start_over")

    assert reference
    # The capture really saw the app and the database at work.
    assert any(line.startswith("assistant.") for line in lines)
    assert any(line.startswith("sqlalchemy.engine") for line in lines)
    leaks = [(reveals(line), line[:300]) for line in lines if reveals(line)]
    assert leaks == []


def test_a_refused_provider_form_logs_no_secret(any_db_app, every_log_line):
    lines, loggers = every_log_line
    open_every_logger(loggers)
    chat = Chat(any_db_app.test_client())
    chat.choose("port")
    chat.text("415 867 5309")
    chat.choose("mobile")
    chat.choose("yes")
    chat.choose("none")

    chat.form(carrier="", account_number="88123345009", pin="4821", btn="4155550199")
    chat.post({"form": {"pin": {"nested": "4821"}}}, status=400)

    assert any(line.startswith("assistant.") for line in lines)
    assert [line[:300] for line in lines if reveals(line)] == []


def test_a_database_error_during_submission_logs_no_number_or_secret(
    any_db_app, every_log_line, monkeypatch
):
    from assistant import delivery
    from assistant.extensions import db
    from tests.test_security_secrets import walk_to_review

    lines, loggers = every_log_line
    chat = Chat(any_db_app.test_client())
    walk_to_review(chat)
    chat.choose("submit")

    def query_a_missing_table(request, documents):
        # A database error whose statement carries the number as a bound value.
        db.session.execute(
            text("SELECT 1 FROM no_such_table WHERE e164 = :number"),
            {"number": request.e164s[0]},
        )

    monkeypatch.setattr(delivery, "queue_submission", query_a_missing_table)
    open_every_logger(loggers)
    chat.form(signature_name="Jane Doe", signature_consent=True, status=500)

    errors = [line for line in lines if "no_such_table" in line]
    assert errors, "the database error was not logged"
    assert [line[:300] for line in lines if reveals(line)] == []


def test_a_wizard_intake_and_the_staffs_work_on_it_log_no_secret(
    any_db_app, every_log_line
):
    lines, loggers = every_log_line
    open_every_logger(loggers)
    wizard = Wizard(any_db_app.test_client())
    walk(wizard, "review")
    wizard.choose("submit")
    wizard.form(signature_name="Jane Doe", signature_consent="y")
    reference = re.search(r"PR-[A-Z0-9]+", wizard.html).group(0)
    with any_db_app.app_context():
        add_staff_user()
    staff = any_db_app.test_client()

    sign_in(staff)
    staff.get("/staff/?q=8675309")
    staff.get(f"/staff/requests/{reference}")
    revealed = staff.post(f"/staff/requests/{reference}/reveal")
    change_status(staff, reference, "submitted", "rejected", reason="pin")
    staff.post("/staff/logout")

    assert "4821" in revealed.get_data(as_text=True)
    assert any("revealed secrets" in line for line in lines)
    assert any("moved request" in line for line in lines)
    assert [line[:300] for line in lines if reveals(line)] == []
