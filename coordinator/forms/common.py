"""What both kinds of form share: the key of a form's general errors, the
reading of a datetime-local input, and the messages of a serializer error.
"""

from datetime import datetime
from typing import Any

from django.utils import timezone

from core.errors import NON_FIELD

__all__ = ["NON_FIELD", "local_time_to_iso"]


def local_time_to_iso(value: str) -> str:
    """A datetime-local value (UK wall-clock time) as ISO 8601 with its offset.

    An ambiguous time (the hour repeated when the clocks go back) is read as
    the first of the two, BST: the earlier instant, so a clock started from it
    is never given extra time. Anything that is not a datetime-local value is
    passed on unchanged for the serializer to refuse.
    """
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return value
    if naive.tzinfo is not None:
        return value
    aware = naive.replace(tzinfo=timezone.get_default_timezone(), fold=0)
    return aware.isoformat()


def _messages(value: Any) -> list[str]:
    """Every message in a serializer error value (a list, or a dict of list items)."""
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _messages(v)]
    return [str(value)]
