from datetime import UTC
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.schedule import add_business_days
from assistant.schedule import check_requested_date
from assistant.schedule import earliest_port_date
from assistant.schedule import format_date
from assistant.schedule import is_business_day
from assistant.schedule import latest_port_date
from assistant.schedule import port_window
from assistant.schedule import rejected_window_note

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 11, 25), True),  # Wednesday before Thanksgiving
        (date(2026, 11, 26), False),  # Thanksgiving Day
        (date(2026, 11, 27), True),  # the Friday after is not a federal holiday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 12, 24), True),  # Christmas Eve is a working day
        (date(2026, 12, 25), False),  # Christmas Day, a Friday
        (date(2027, 1, 1), False),  # New Year's Day
        (date(2026, 7, 3), False),  # Independence Day observed on the Friday
        (date(2026, 6, 19), False),  # Juneteenth
        (date(2026, 10, 12), False),  # Columbus Day
        (date(2027, 12, 24), False),  # Christmas 2027 is a Saturday, observed Friday
        (date(2027, 12, 31), False),  # New Year 2028 is a Saturday, observed Friday
    ],
)
def test_business_days_skip_weekends_and_us_federal_holidays(day, business):
    assert is_business_day(day) is business


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 25), 0, date(2026, 11, 25)),
        (date(2026, 11, 25), 1, date(2026, 11, 27)),
        (date(2026, 11, 25), 2, date(2026, 11, 30)),
        (date(2026, 11, 25), 5, date(2026, 12, 3)),
        (date(2026, 12, 23), 2, date(2026, 12, 28)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),
        (date(2026, 12, 28), -1, date(2026, 12, 24)),
        (date(2026, 11, 28), 1, date(2026, 11, 30)),
    ],
)
def test_add_business_days_across_holidays_weekends_and_a_new_year(start, n, expected):
    assert add_business_days(start, n) == expected


@pytest.mark.parametrize(
    ("submitted_at", "toll_free", "window"),
    [
        # Wednesday before Thanksgiving, before the cut-off: Thursday and the
        # weekend are skipped, so day 1 is Friday the 27th.
        (
            datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK),
            False,
            (date(2026, 12, 3), date(2026, 12, 17)),
        ),
        (
            datetime(2026, 11, 25, 10, 0, tzinfo=NEW_YORK),
            True,
            (date(2026, 12, 1), date(2026, 12, 17)),
        ),
        # After the cut-off it counts from Friday the 27th instead.
        (
            datetime(2026, 11, 25, 17, 0, tzinfo=NEW_YORK),
            False,
            (date(2026, 12, 4), date(2026, 12, 18)),
        ),
        # Friday after the cut-off counts from Monday the 21st; Christmas
        # (a Friday) and New Year's Day are skipped.
        (
            datetime(2026, 12, 18, 18, 30, tzinfo=NEW_YORK),
            False,
            (date(2026, 12, 29), date(2027, 1, 13)),
        ),
        (
            datetime(2026, 12, 18, 16, 59, tzinfo=NEW_YORK),
            False,
            (date(2026, 12, 28), date(2027, 1, 12)),
        ),
        # A Saturday request counts from Monday.
        (
            datetime(2026, 12, 19, 9, 0, tzinfo=NEW_YORK),
            False,
            (date(2026, 12, 29), date(2027, 1, 13)),
        ),
        # Submitted on Thanksgiving itself: counts from Friday the 27th.
        (
            datetime(2026, 11, 26, 9, 0, tzinfo=NEW_YORK),
            True,
            (date(2026, 12, 2), date(2026, 12, 18)),
        ),
    ],
)
def test_port_window_counts_business_days_from_the_right_day(
    submitted_at, toll_free, window
):
    assert port_window(submitted_at, toll_free=toll_free) == window


@pytest.mark.parametrize(
    ("submitted_at", "window"),
    [
        # 21:30 UTC is 16:30 in New York: before the cut-off.
        (
            datetime(2026, 12, 18, 21, 30, tzinfo=UTC),
            (date(2026, 12, 28), date(2027, 1, 12)),
        ),
        # 22:30 UTC is 17:30 in New York: after it.
        (
            datetime(2026, 12, 18, 22, 30, tzinfo=UTC),
            (date(2026, 12, 29), date(2027, 1, 13)),
        ),
        # A naive time is read as UTC.
        (datetime(2026, 12, 18, 22, 30), (date(2026, 12, 29), date(2027, 1, 13))),
    ],
)
def test_the_cut_off_is_read_in_the_providers_time_zone(submitted_at, window):
    assert port_window(submitted_at, toll_free=False) == window


def test_the_time_zone_and_cut_off_are_configurable():
    # 16:30 in Los Angeles is after a 16:00 cut-off there, though New York
    # has long closed by then too.
    submitted_at = datetime(2026, 12, 17, 16, 30, tzinfo=LOS_ANGELES)

    window = port_window(
        submitted_at,
        toll_free=False,
        tz="America/Los_Angeles",
        cutoff_hour=16,
        min_days=2,
        max_days=4,
    )

    assert window == (date(2026, 12, 22), date(2026, 12, 24))


def test_earliest_port_date_across_thanksgiving():
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)

    assert earliest_port_date(now) == date(2026, 12, 3)
    assert earliest_port_date(now, min_business_days=7) == date(2026, 12, 7)


def test_latest_port_date_steps_back_to_a_business_day():
    # 30 days after Wednesday November 25 is Friday Christmas Day.
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)

    assert latest_port_date(now) == date(2026, 12, 24)


NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wished", "message"),
    [
        (date(2026, 12, 3), None),
        (date(2026, 12, 24), None),
        (
            date(2026, 12, 2),
            "Wednesday, December 2, 2026 is sooner than we can manage: the earliest "
            "date we can ask for is Thursday, December 3, 2026.",
        ),
        (
            date(2026, 11, 25),
            "Wednesday, November 25, 2026 is sooner than we can manage: the earliest "
            "date we can ask for is Thursday, December 3, 2026.",
        ),
        (
            date(2026, 11, 24),
            "Tuesday, November 24, 2026 is already in the past. Please pick a "
            "business day from Thursday, December 3, 2026 on, or leave it empty "
            "for the earliest date.",
        ),
        (
            date(2026, 11, 20),
            "Friday, November 20, 2026 is already in the past. Please pick a "
            "business day from Thursday, December 3, 2026 on, or leave it empty "
            "for the earliest date.",
        ),
        (
            date(2026, 12, 28),
            "Monday, December 28, 2026 is further out than we can book: please pick "
            "a date up to Thursday, December 24, 2026.",
        ),
        (
            date(2026, 12, 5),
            "December 5, 2026 is a Saturday, and ports only happen on "
            "business days. How about Monday, December 7, 2026?",
        ),
        (
            date(2026, 12, 6),
            "December 6, 2026 is a Sunday, and ports only happen on business days. "
            "How about Monday, December 7, 2026?",
        ),
        (
            date(2026, 12, 25),
            "Friday, December 25, 2026 is further out than we can book: please pick "
            "a date up to Thursday, December 24, 2026.",
        ),
    ],
)
def test_a_wished_port_date_is_checked_with_a_sentence_naming_the_fix(wished, message):
    assert check_requested_date(wished, NOW) == message


def test_a_day_is_past_only_once_it_has_ended_in_the_providers_time_zone():
    # 03:00 UTC on the 26th is still the evening of the 25th in New York.
    late_evening = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)

    assert check_requested_date(date(2026, 11, 25), late_evening) == (
        "Wednesday, November 25, 2026 is sooner than we can manage: the earliest "
        "date we can ask for is Friday, December 4, 2026."
    )
    assert check_requested_date(date(2026, 11, 25), late_evening, tz="UTC") == (
        "Wednesday, November 25, 2026 is already in the past. Please pick a "
        "business day from Friday, December 4, 2026 on, or leave it empty for "
        "the earliest date."
    )


def test_a_wished_date_on_a_holiday_names_the_holiday():
    now = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)

    message = check_requested_date(date(2026, 12, 25), now)

    assert message == (
        "Friday, December 25, 2026 is Christmas Day, when ports don't happen. How "
        "about Monday, December 28, 2026?"
    )


def test_a_wished_date_on_an_observed_holiday_names_it():
    now = datetime(2027, 6, 1, 15, 0, tzinfo=UTC)

    message = check_requested_date(date(2027, 6, 18), now)

    assert message == (
        "Friday, June 18, 2027 is Juneteenth National Independence Day (observed), "
        "when ports don't happen. How about Monday, June 21, 2027?"
    )


def test_the_wished_date_limits_are_configurable():
    assert check_requested_date(date(2026, 12, 1), NOW, min_business_days=3) is None
    assert check_requested_date(date(2026, 12, 10), NOW, max_days=14) == (
        "Thursday, December 10, 2026 is further out than we can book: please pick a "
        "date up to Wednesday, December 9, 2026."
    )


def test_format_date_reads_like_a_person_would_say_it():
    assert format_date(date(2027, 1, 4)) == "Monday, January 4, 2027"


def test_the_rejected_window_note_gives_four_weeks_and_the_next_step():
    assert rejected_window_note() == (
        "If the current provider turns down the first request, the move can take "
        "4 weeks or more: we'll tell you what they need and send it again."
    )
