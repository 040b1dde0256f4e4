"""Intake limits: one referrer, and one referring
organisation, may send at most ``MSCC_INTAKE_RATE_USER`` and
``MSCC_INTAKE_RATE_ORG`` referrals in any period of the rate (default 60 and
600 an hour) through the API and the referral page.

The limits are generous, against a runaway client (issue 9: one referrer's
system sent 3,691 referrals in 45 s), not against a busy day. What is counted
is the referrals themselves, in the database: the same count for every web
process, and a sliding window (the last hour, not the clock hour). The
organisation's row is locked while counting and creating, so two requests at
once cannot both take the last place. Coordinators and senior clinicians,
who log phoned-in referrals, are never limited; a refused referrer is told
to phone the MSCC coordinator, and when to try again (``Retry-After``).
"""

import math
from datetime import datetime

from django.conf import settings

from core.errors import TooManyRequests
from core.logs import get_logger
from core.rates import Rate, parse_rate
from core.roles import Role
from referrals.models import Organisation, Service, User
from referrals.selectors import referral_times_since

log = get_logger(__name__)

# Those who take referrals by telephone and record them here.
EXEMPT_ROLES = frozenset({Role.COORDINATOR, Role.SENIOR_CLINICIAN})


def intake_limit_check(
    *, user: User, organisation: Organisation, service: Service, now: datetime
) -> None:
    """Refuse (429) a referral over the user's or the organisation's limit.
    Call inside the transaction that creates the referral."""
    if user.role in EXEMPT_ROLES:
        return
    # Serialises intake per organisation until the transaction ends, so the
    # count below and the insert after it cannot interleave with another's.
    list(Organisation.objects.select_for_update().filter(pk=organisation.pk).values_list("pk"))
    scopes = (
        ("user", settings.MSCC_INTAKE_RATE_USER, {"user": user}, "You have"),
        (
            "organisation",
            settings.MSCC_INTAKE_RATE_ORG,
            {"organisation": organisation},
            f"{organisation.name} ({organisation.code}) has",
        ),
    )
    for scope, written, whose, who in scopes:
        rate = parse_rate(written)
        times = referral_times_since(since=now - rate.period, **whose)
        if len(times) < rate.count:
            continue
        # The place frees when the oldest referral that fills it leaves the window.
        frees_at = times[len(times) - rate.count] + rate.period if rate.count else None
        wait = math.ceil((frees_at - now).total_seconds()) if frees_at else 3600
        log.warning(
            "intake.limited",
            scope=scope,
            user_id=user.pk,
            organisation=organisation.code,
            count=len(times),
            limit=rate.count,
            retry_after=wait,
        )
        raise TooManyRequests(
            _message(who, rate, service, wait), retry_after=wait, code="intake_limit"
        )


def _message(who: str, rate: Rate, service: Service, wait: int) -> str:
    phone = f" on {service.coordinator_phone}" if service.coordinator_phone else ""
    return (
        f"Not sent: {who} sent {rate.count} referrals in the last {rate.period_name}, "
        "the most this service takes this way. "
        f"If this referral is urgent, phone the MSCC coordinator now{phone}. "
        f"It can be sent here again in {_duration(wait)}."
    )


def _duration(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if minutes < 2:
        return "a minute"
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"
