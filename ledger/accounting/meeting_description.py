"""A meeting's description file (JSON or TOML, parsed with Decimal numbers) → `Meeting`.

Every refusal is an InvalidMeeting naming the field (`participants[1].distance_km`), so a person can fix
the file; the rules the meeting itself must satisfy (units, modes, which offsets) live in `Meeting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ledger.accounting.meeting import MODE_ALIASES, InvalidMeeting, Meeting, Participant
from ledger.accounting.quantities import Quantity


def meeting_from_document(document: Mapping[str, object]) -> Meeting:
    """A Meeting from a parsed JSON/TOML description (numbers as Decimal or int; floats refused):

        room = 6                       # OrganizationRegistry ROOM node id
        title = "Quarterly review"
        start = "2022-03-01T10:00:00+08:00"   # ISO 8601 with an offset; end likewise, [start, end)
        end = "2022-03-01T12:00:00+08:00"
        sheets = 40
        [[participants]]
        name = "Li"; mode = "metro"; distance_km = "12"; green = ["green_travel"]

    InvalidMeeting names the field (e.g. `participants[1].distance_km`) of any entry it cannot use.
    """
    if not isinstance(document, Mapping):
        raise InvalidMeeting("(file)", "a meeting description is a JSON object or TOML table")
    known = {"room", "title", "start", "end", "sheets", "participants"}
    for key in document:
        if key not in known:
            raise InvalidMeeting(str(key), f"unknown field (known: {', '.join(sorted(known))})")
    room = _integer(document, "room", "room")
    title = _text(document.get("title", ""), "title", allow_empty=True)
    start, end = _instant(document, "start"), _instant(document, "end")
    sheets = Quantity(_number(document.get("sheets", 0), "sheets"), "sheet")
    raw = document.get("participants", [])
    if not isinstance(raw, list):
        raise InvalidMeeting("participants", "must be a list")
    participants = tuple(_participant(entry, f"participants[{i}]") for i, entry in enumerate(raw))
    return Meeting(room, start, end, title, sheets, participants)


def _participant(entry: object, where: str) -> Participant:
    if not isinstance(entry, Mapping):
        raise InvalidMeeting(where, "must be an object with name, mode and distance_km")
    known = {"name", "mode", "distance_km", "green"}
    for key in entry:
        if key not in known:
            raise InvalidMeeting(f"{where}.{key}", f"unknown field (known: {', '.join(sorted(known))})")
    name = _text(entry.get("name"), f"{where}.name")
    mode = _text(entry.get("mode"), f"{where}.mode")
    if "distance_km" not in entry:
        raise InvalidMeeting(f"{where}.distance_km", "missing (km travelled there and back)")
    distance = _number(entry["distance_km"], f"{where}.distance_km")
    green = entry.get("green", [])
    if not isinstance(green, list) or not all(isinstance(g, str) for g in green):
        raise InvalidMeeting(f"{where}.green", "must be a list of behaviour names")
    return Participant(name, MODE_ALIASES.get(mode, mode), Quantity(distance, "km"), tuple(green))


def _integer(document: Mapping[str, object], key: str, where: str) -> int:
    value = document.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidMeeting(where, f"must be a positive integer node id, got {value!r}")
    return value


def _text(value: object, where: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise InvalidMeeting(where, f"must be a non-empty string, got {value!r}")
    return value


def _number(value: object, where: str) -> Decimal:
    if isinstance(value, float):
        raise InvalidMeeting(where, f"floats are not accepted ({value!r}); write the number as a string or parse with Decimal")
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise InvalidMeeting(where, f"must be a number, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise InvalidMeeting(where, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidMeeting(where, f"{value!r} is not finite")
    return number


def _instant(document: Mapping[str, object], key: str) -> int:
    value = document.get(key)
    if isinstance(value, datetime):  # TOML offset date-times arrive parsed
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidMeeting(key, f"{value!r} is not an ISO 8601 date-time") from None
    else:
        raise InvalidMeeting(key, f"must be an ISO 8601 date-time with an offset, got {value!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidMeeting(key, f"{value!r} has no UTC offset (write e.g. +08:00)")
    seconds = moment.timestamp()
    if seconds != int(seconds):
        raise InvalidMeeting(key, f"{value!r} has fractions of a second")
    return int(seconds)
