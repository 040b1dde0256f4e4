"""``check --deploy`` warns (and CI fails) on a production setting that
weakens sign-in."""

import pytest

from accounts.checks import sign_in_checks


def ids(**_: object) -> list[str]:
    return [w.id for w in sign_in_checks(None)]


def test_production_defaults_pass(settings):
    settings.MSCC_REQUIRE_2FA = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    settings.MSCC_TRUSTED_PROXIES = ["10.0.0.5"]
    assert ids() == []


@pytest.mark.parametrize(
    ("setting", "value", "warning"),
    [
        ("MSCC_REQUIRE_2FA", False, "accounts.W001"),
        (
            "CACHES",
            {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            "accounts.W002",
        ),
        ("MSCC_TRUSTED_PROXIES", ["0.0.0.0/0"], "accounts.W003"),
        ("MSCC_PASSWORD_MIN_LENGTH", 8, "accounts.W004"),
    ],
)
def test_a_weakening_setting_is_a_warning(settings, setting, value, warning):
    settings.MSCC_REQUIRE_2FA = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    setattr(settings, setting, value)
    assert ids() == [warning]
