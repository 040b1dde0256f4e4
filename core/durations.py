"""Durations as a service admin reads and types them: hours and minutes.

"24 h", "1 h 30 min", "90 min", "7 d" rather than Python's "1 day, 0:00:00"
or Django's "1 00:00:00". Plain Python (no Django), so the admin forms of
pathways and notifications, and anything else, read and write one format.

``parse`` also reads the older clock formats ("00:30:00", "1 00:00:00",
"08:00"), so a value copied from elsewhere is still understood.
"""

import re
from datetime import timedelta

# Spelled out in every error, so the admin sees what is accepted.
EXAMPLES = "24 h, 1 h 30 min or 90 min"

_UNITS = {
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
# Django's duration_string ("1 00:30:00", "00:30:00") and "hh:mm".
_CLOCK = re.compile(r"(?:(\d+)\s+(?:days?,?\s*)?)?(\d{1,3}):(\d{2})(?::(\d{2}))?")


class DurationProblem(ValueError):
    """Text that is not a duration; the message says what to type instead."""


def parse(text: str) -> timedelta | None:
    """``text`` as a duration; None for blank. Whole minutes only; never
    negative (a negative wait is always a typo)."""
    cleaned = text.strip().lower().replace(",", " ")
    if not cleaned:
        return None
    if cleaned.startswith("-"):
        raise DurationProblem(f"A time cannot be negative. Write it like {EXAMPLES}.")
    clock = _CLOCK.fullmatch(cleaned)
    if clock:
        days, hours, minutes, seconds = (int(g) if g else 0 for g in clock.groups())
        if minutes > 59 or seconds > 59:
            raise DurationProblem(f"Minutes go up to 59. Write it like {EXAMPLES}.")
        total = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    else:
        compact = re.sub(r"\s+", " ", cleaned)
        parts = _PART.findall(compact)
        if re.fullmatch(r"\d+(?:\.\d+)?", compact):
            raise DurationProblem(
                f"“{compact}” has no unit: write {compact} h or {compact} min, like {EXAMPLES}."
            )
        if not parts or _PART.sub("", compact).strip() or any(u not in _UNITS for _, u in parts):
            raise DurationProblem(
                f"Write the time in days (d), hours (h) and minutes (min), like {EXAMPLES}."
            )
        total = timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))
    if total.total_seconds() % 60:
        raise DurationProblem(f"Give the time in whole minutes, like {EXAMPLES}.")
    return total


def hours_minutes(value: timedelta) -> str:
    """``value`` in hours and minutes: "30 min", "1 h 30 min", "24 h", "48 h";
    whole days from 3 days up ("7 d"), as NG234 says "7 days"."""
    seconds = int(value.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds >= 3 * 86400 and seconds % 86400 == 0:
        return f"{sign}{seconds // 86400} d"
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    parts += [f"{rest} s"] * bool(rest)
    return sign + (" ".join(parts) or "0 min")
