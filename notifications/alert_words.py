"""What an escalation says, in words: pure functions, no Django.

A title says what the step is and how the clock stands when it is sent:
"MRI due in 2 h 59 min" for a warning, "MRI overdue by 1 h" once the due time
has passed, "MRI due now" at the due time itself. A warning is never called
overdue unless the clock really is (a warning sent late, e.g. after an outage,
says the truth about the clock). Times are UK local time with the zone
("03:40 GMT, Sat 28 Nov 2026"), whatever the server's zone.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
# Within a minute either side of the due time the clock is "due now".
NOW_WINDOW = timedelta(minutes=1)


def duration_words(delta: timedelta) -> str:
    """A positive span in days, hours and minutes, rounded down to the minute:
    "45 min", "1 h", "2 h 59 min", "6 d 23 h"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def uk_time(value: datetime) -> str:
    """``03:40 GMT, Sat 28 Nov 2026``: UK local time with its zone."""
    if value.tzinfo is None:
        raise ValueError("A naive time has no place in a message.")
    local = value.astimezone(UK)
    return f"{local:%H:%M} {local.tzname()}, {local:%a} {local.day} {local:%b %Y}"


def clock_state(label: str, due_at: datetime, now: datetime) -> str:
    """ "MRI due in 2 h 59 min", "MRI due now" or "MRI overdue by 1 h"."""
    left = due_at - now
    if abs(left) < NOW_WINDOW:
        return f"{label} due now"
    if left > timedelta(0):
        return f"{label} due in {duration_words(left)}"
    return f"{label} overdue by {duration_words(-left)}"


def step_words(when: str, fraction: float | None, delay: timedelta | None) -> str:
    """The policy step in words: "a warning, with 25% of the target left",
    "at the due time", "30 min after the due time"."""
    if when == "warning" and fraction is not None:
        return f"a warning, with {fraction:.0%} of the target left"
    if when == "after_due" and delay is not None:
        return f"{duration_words(delay)} after the due time"
    return "at the due time"
