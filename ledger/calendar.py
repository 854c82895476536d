"""The ledger's calendar: China Standard Time (UTC+08:00), the compound's clock.

Accounting periods (ledger.accounting.metered.period_bounds), Period.year, the web forms (api/static/app/
writeforms.js beijingMidnight) and the CLI all count days from Beijing midnight, so a date typed anywhere
names the same instant. `parse_instant` is the one place a date or date-time written by a person becomes
unix seconds: without an offset it is read as China Standard Time; an explicit offset (`+00:00`, `Z`,
`-05:00`…) is honoured as written.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA_STANDARD_TIME = timezone(timedelta(hours=8))
DATE_HELP = "dates are China Standard Time (UTC+08:00) unless an offset is given"
EXAMPLES = "2024-01-01, 2024-01-01T09:30 or 2024-01-01T09:30+00:00"


class InvalidDate(ValueError):
    """A date or date-time a person wrote that names no whole-second instant since 1970."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r} {reason}")
        self.text = text
        self.reason = reason


def parse_instant(text: str) -> int:
    """An ISO 8601 date or date-time as unix seconds: a bare date is its midnight, China Standard Time; a
    date-time without an offset is China Standard Time; one with an offset is the instant it names.

    Refuses (InvalidDate) text that is no ISO date, fractions of a second (the chain keeps whole seconds)
    and instants before 1970-01-01T00:00Z (unix seconds are unsigned on chain and in the API)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidDate(text, f"is not an ISO 8601 date or date-time (e.g. {EXAMPLES})") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_STANDARD_TIME)
    if moment.microsecond:
        raise InvalidDate(text, "has fractions of a second")
    seconds = int(moment.timestamp())
    if seconds < 0:
        raise InvalidDate(text, "is before 1970-01-01T00:00:00Z")
    return seconds


def parse_day(text: str) -> date:
    """A calendar day written YYYY-MM-DD (the days of an accounting Period, counted in China Standard Time)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidDate(text, "is not a day written YYYY-MM-DD (e.g. 2024-01-01)") from None


def midnight(day: date) -> int:
    """Unix seconds of `day`'s first instant, China Standard Time."""
    return int(datetime(day.year, day.month, day.day, tzinfo=CHINA_STANDARD_TIME).timestamp())


def local_day(seconds: int) -> date:
    """The calendar day (China Standard Time) an instant falls on."""
    return datetime.fromtimestamp(seconds, CHINA_STANDARD_TIME).date()


def format_instant(seconds: int) -> str:
    """An instant as people read it here: `2024-06-01 09:00:00 +08:00`."""
    return datetime.fromtimestamp(seconds, CHINA_STANDARD_TIME).strftime("%Y-%m-%d %H:%M:%S +08:00")
