"""NHS number checks: 10 digits whose last is the Modulus 11 check digit."""

import re

_SEPARATORS = re.compile(r"[\s-]")


def normalise(value: str) -> str:
    """Strip the spaces and dashes people type (``943 476 5919``)."""
    return _SEPARATORS.sub("", value or "")


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit, or None where the number can never be valid."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - (total % 11)
    if digit == 11:
        return 0
    if digit == 10:
        return None  # No valid NHS number has a remainder of 1.
    return digit


def problem(value: str) -> str | None:
    """Why ``value`` is not a valid NHS number, or None if it is."""
    digits = normalise(value)
    if not digits.isdigit() or len(digits) != 10:
        return "An NHS number is 10 digits."
    expected = check_digit(digits[:9])
    if expected is None or expected != int(digits[9]):
        return "This NHS number fails its Modulus 11 check digit: check it was typed correctly."
    return None


def is_valid(value: str) -> bool:
    return problem(value) is None
