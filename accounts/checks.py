"""Deployment checks (``manage.py check --deploy``) for sign-in: a
production setting that weakens it is a warning, and CI fails on warnings."""

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

from core.client_address import trusted_networks

_PROCESS_LOCAL = "django.core.cache.backends.locmem.LocMemCache"


@register(Tags.security, deploy=True)
def sign_in_checks(app_configs: Any, **kwargs: Any) -> list[Warning]:
    warnings = []
    if not settings.MSCC_REQUIRE_2FA:
        warnings.append(
            Warning(
                "MSCC_REQUIRE_2FA is off: staff sign in with a password alone.",
                hint="Unset MSCC_REQUIRE_2FA (it defaults to on when DEBUG is off).",
                id="accounts.W001",
            )
        )
    if settings.CACHES["default"]["BACKEND"] == _PROCESS_LOCAL:
        warnings.append(
            Warning(
                "The default cache is process memory: each worker counts sign-in attempts "
                "on its own.",
                hint="Set CACHE_URL (e.g. redis://host:6379/1).",
                id="accounts.W002",
            )
        )
    if any(net.prefixlen == 0 for net in trusted_networks()):
        warnings.append(
            Warning(
                "MSCC_TRUSTED_PROXIES trusts every address: any client can choose the "
                "address it is counted under.",
                hint="List only the reverse proxies in front of the service.",
                id="accounts.W003",
            )
        )
    if settings.MSCC_PASSWORD_MIN_LENGTH < 12:
        warnings.append(
            Warning(
                "MSCC_PASSWORD_MIN_LENGTH is below 12.",
                hint="NCSC guidance: length is what makes a password hard to guess.",
                id="accounts.W004",
            )
        )
    return warnings
