import pytest

from referrals import nhs_number


@pytest.mark.parametrize("value", ["9990000018", "999 001 2385", "999-002-4758", "9434765919"])
def test_valid_numbers(value):
    assert nhs_number.is_valid(value)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "10 digits"),
        ("999000001", "10 digits"),
        ("99900000180", "10 digits"),
        ("99900000AB", "10 digits"),
        ("9990000017", "Modulus 11"),  # wrong check digit
        ("9990000010", "Modulus 11"),
    ],
)
def test_invalid_numbers_say_why(value, why):
    assert why in nhs_number.problem(value)


def test_a_remainder_of_one_can_never_be_valid():
    # 10 * 1 = 10 -> check digit would be 10: no valid number.
    stem = next(
        str(n) for n in range(100_000_000, 100_001_000) if nhs_number.check_digit(str(n)) is None
    )
    assert all(not nhs_number.is_valid(stem + str(d)) for d in range(10))
