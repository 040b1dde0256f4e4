"""NCSC-style password rules: length (12 by default) and Django's deny list
of common passwords, nothing similar to the account's own names, and no
composition rules. Weak passwords are refused with the reason named."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tests.accounts.conftest import sign_in_page
from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Summer2026", "This password is too short. It must contain at least 12 characters."),
        ("Tr0ub4dor&3", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        ("qwertyuiop12", "This password is too common."),
        ("coordinator2026", "The password is too similar to the username."),
    ],
)
def test_weak_passwords_are_refused_by_name(world, password, reason):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, world.coordinator)
    assert reason in refused.value.messages


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "alllowercaseletters",  # no rule asks for digits, capitals or symbols
        "4 words from a book",
    ],
)
def test_long_passwords_need_no_particular_characters(world, password):
    validate_password(password, world.coordinator)


def test_the_password_page_refuses_a_weak_password_and_says_why(world):
    browser = Client()
    sign_in_page(browser, "referrer")
    response = browser.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "Summer2026", "new_password2": "Summer2026"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    world.referrer.refresh_from_db()
    assert world.referrer.check_password(PASSWORD)


def test_the_rules_are_length_the_deny_list_and_similarity_only():
    names = [v["NAME"].rsplit(".", 1)[1] for v in django_settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
    ]
    assert django_settings.AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"] == {"min_length": 12}


def test_the_demo_password_follows_the_length_rule(db, monkeypatch):
    monkeypatch.setenv("MSCC_DEMO_PASSWORD", "Summer2026")
    with pytest.raises(CommandError, match="12"):
        call_command("seed_demo")
