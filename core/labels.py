"""Code labels: how a code reads to a person, beside the code."""

from enum import StrEnum


def choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    """Django field choices from an enum: (code, human label)."""
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum]
