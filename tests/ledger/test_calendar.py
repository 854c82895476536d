"""ledger.calendar.parse_instant, the one reading of a typed date: a bare date is Beijing midnight, a date-time
without an offset is Beijing time, an explicit offset is honoured, and anything else is refused by name.

The expected instants are computed by day arithmetic from the epoch, not by the datetime calls the parser uses."""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.accounting.factors import Period
from ledger.accounting import metered
from ledger.accounting.metered import period_bounds
from ledger.calendar import CHINA_STANDARD_TIME, InvalidDate, format_instant, local_day, midnight, parse_day, parse_instant

EPOCH = date(1970, 1, 1)
CST = 8 * 3600
DAYS = st.dates(min_value=date(1970, 1, 2), max_value=date(9999, 12, 31))
TIMES = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30, 23, 59, 59)).map(
    lambda moment: moment.replace(microsecond=0))
OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(lambda minutes: minutes * 60)


def naive_seconds(moment: datetime) -> int:
    """Seconds from 1970-01-01T00:00 to `moment`'s wall clock, counted as if it were UTC."""
    return (moment.date() - EPOCH).days * 86_400 + moment.hour * 3600 + moment.minute * 60 + moment.second


def offset_text(seconds: int) -> str:
    sign, minutes = ("+" if seconds >= 0 else "-"), abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@settings(max_examples=300, deadline=None)
@given(DAYS)
def test_a_date_is_its_midnight_in_china_standard_time(day: date) -> None:
    seconds = parse_instant(day.isoformat())
    assert seconds == (day - EPOCH).days * 86_400 - CST == midnight(day)
    assert local_day(seconds) == local_day(seconds + 86_399) == day != local_day(seconds - 1)
    assert format_instant(seconds) == f"{day.isoformat()} 00:00:00 +08:00"


@settings(max_examples=300, deadline=None)
@given(TIMES, st.sampled_from(["T", " "]))
def test_a_date_time_without_an_offset_is_china_standard_time(moment: datetime, separator: str) -> None:
    assert parse_instant(moment.isoformat(separator)) == naive_seconds(moment) - CST


@settings(max_examples=300, deadline=None)
@given(TIMES, OFFSETS)
def test_an_explicit_offset_is_honoured(moment: datetime, offset: int) -> None:
    expected = naive_seconds(moment) - offset
    text = moment.isoformat() + offset_text(offset)
    if expected < 0:
        with pytest.raises(InvalidDate, match="is before 1970-01-01T00:00:00Z"):
            parse_instant(text)
    else:
        assert parse_instant(text) == expected
    assert datetime.fromtimestamp(parse_instant(moment.isoformat() + "Z"), timezone.utc).replace(tzinfo=None) == moment


def test_year_boundaries_are_the_accounting_periods() -> None:
    assert (parse_instant("2024-01-01"), parse_instant("2025-01-01")) == period_bounds(Period.year(2024))
    assert (parse_instant("2024-01-01"), parse_instant("2025-01-01")) == (1_704_038_400, 1_735_660_800)
    assert parse_instant("2024-01-01T00:00:00+08:00") == parse_instant("2023-12-31T16:00:00Z") == 1_704_038_400
    assert parse_instant("2024-01-01T00:00:00+00:00") == 1_704_067_200  # the UTC new year, 8 hours later


LETTERS = st.text(alphabet=string.ascii_letters + string.punctuation + " ", max_size=30)


@settings(max_examples=300, deadline=None)
@given(LETTERS)
def test_text_without_a_date_is_refused_by_name(text: str) -> None:
    with pytest.raises(InvalidDate, match="is not an ISO 8601 date or date-time") as refused:
        parse_instant(text)
    assert refused.value.text == text and str(refused.value).startswith(repr(text))


@pytest.mark.parametrize("text, reason", [
    ("2024-02-30", "is not an ISO 8601 date or date-time"),
    ("2024-13-01", "is not an ISO 8601 date or date-time"),
    ("2024-01-01T25:00", "is not an ISO 8601 date or date-time"),
    ("01/01/2024", "is not an ISO 8601 date or date-time"),
    ("2024-01-01T00:00+24:00", "is not an ISO 8601 date or date-time"),
    ("2024-01-01T09:00:00.250", "has fractions of a second"),
    ("1970-01-01", "is before 1970-01-01T00:00:00Z"),  # Beijing midnight is 16:00 UTC the day before
    ("1969-12-31T23:59:59Z", "is before 1970-01-01T00:00:00Z"),
])
def test_impossible_and_unrepresentable_instants_are_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidDate, match=reason):
        parse_instant(text)


def test_the_first_representable_instants() -> None:
    assert parse_instant("1970-01-01T08:00") == parse_instant("1970-01-01T00:00Z") == 0
    assert parse_instant("1970-01-02") == 86_400 - CST


def test_a_day_is_a_calendar_day_only() -> None:
    assert parse_day("2024-02-29") == date(2024, 2, 29)
    for text in ("2023-02-29", "2024-02-29T00:00", "yesterday"):
        with pytest.raises(InvalidDate, match="is not a day written YYYY-MM-DD"):
            parse_day(text)


def test_the_accounting_reads_the_same_clock() -> None:
    assert metered.CHINA_STANDARD_TIME is CHINA_STANDARD_TIME
    assert CHINA_STANDARD_TIME.utcoffset(None) == timedelta(hours=8)
