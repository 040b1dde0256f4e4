"""Recompute every referral's clocks from the events that stand.

Clocks used to be patched event by event; from now on they are derived
(pathways/clock_derivation.py). This brings the clocks of existing referrals
into line with the derivation (e.g. a radiotherapy clock that a withdrawn
"MSCC ruled out" had prevented now exists), keeping each clock row's
identity, and reschedules the escalations of the clocks that changed. A clock
it makes overdue is raised by the next sweep like any other: one escalation
per clock and step, never a replay of those already raised.

It runs the live services (not historical models) because the derivation is
the point; on a new database there are no referrals and it does nothing.
The price: it must run against the schema it was written for. A later
migration that changes Referral, Clock, ClinicalEvent, ClockDefinition or the
escalation models must come after it on every database with referrals (the
dependency graph ensures that), and once every deployment has run it, it can
be made a no-op.
"""

from django.db import migrations
from django.utils import timezone


def recompute_all(apps, schema_editor) -> int:  # noqa: ARG001 (migration signature)
    from notifications.services.schedule import clocks_schedule
    from pathways.services.clocks import clocks_recompute
    from referrals.models import Referral

    now = timezone.now()
    changed_total = 0
    ids = list(Referral.objects.order_by("received_at").values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        for referral in Referral.objects.filter(pk__in=ids[start : start + 500]).select_related(
            "pathway_version"
        ):
            changed = clocks_recompute(referral=referral, user=None, now=now)
            for clock in changed:
                clock.referral = referral
            clocks_schedule(changed)
            changed_total += len(changed)
    return changed_total


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_escalation_policy_published_by"),
        ("pathways", "0008_retire_warning_fractions"),
        ("referrals", "0006_derived_clocks"),
    ]

    operations = [migrations.RunPython(recompute_all, migrations.RunPython.noop)]
