"""Taking someone who is leaving (deactivated) off the rota from ``now``.

Their rota rows that have not started are deleted; a row in progress is
ended at ``now``. Past rows stay: they are the record of who was on call.
So the rota page, the coverage-gap report to the admins and the escalation
all show the same thing afterwards: a gap where nobody else covers, which
the admin fills with a shift or an override. Reactivating someone does not
put their rows back.
"""

from datetime import datetime

from django.db import transaction

from core.errors import Forbidden
from core.logs import get_logger
from notifications import rota_rules
from notifications.models import RotaOverride, Shift
from notifications.selectors.rota_release import RotaRelease, rota_release_preview
from referrals.models import Service, User

log = get_logger(__name__)


@transaction.atomic
def rota_release(*, user: User, now: datetime, by: User | None = None) -> RotaRelease:
    """Take ``user`` off their service's rota from ``now``; the rows as they
    were and the gaps opened are returned (for the audit record)."""
    now = rota_rules.utc(now)
    if user.service_id is None:
        return RotaRelease(now=now)
    if by is not None and by.service_id != user.service_id:
        raise Forbidden("You may change only your own service's rota.")
    # Rota writes of one service take turns on the service row (services/rota.py).
    Service.objects.select_for_update().filter(pk=user.service_id).first()
    released = rota_release_preview(user=user, now=now)
    # One row at a time, like the overrides: each change kept in the rota's
    # history with who made it.
    for shift in released.shifts:
        current_shift = Shift.objects.get(pk=shift.pk)
        current_shift._history_user = by  # type: ignore[attr-defined]  # simple-history reads it
        if current_shift.starts_at >= now:
            current_shift.delete()
        else:
            current_shift.ends_at = now
            current_shift.save(update_fields=["ends_at"])
    for override in released.overrides:
        current = RotaOverride.objects.get(pk=override.pk)
        current._history_user = by  # type: ignore[attr-defined]  # simple-history reads it
        if current.starts_at >= now:
            current.delete()
        else:
            current.ends_at = now
            current.save(update_fields=["ends_at"])
    log.info(
        "rota.released",
        user_id=user.pk,
        service_id=user.service_id,
        shifts=len(released.shifts),
        overrides=len(released.overrides),
        gaps=len(released.gaps),
    )
    return released
