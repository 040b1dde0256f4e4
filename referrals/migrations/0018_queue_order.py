"""The queue's order, stored (issue 12): a rank for the category and the
earliest due time of a running timed clock, with a partial index on open
referrals in the queue's order. Existing referrals are filled in one
statement each, as ``coordinator.services.clocks.referral_clocks_follow``
writes them from now on."""

from typing import Any

from django.db import migrations, models
from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When

# referrals.codes.CATEGORY_URGENCY as it stands at this migration.
_RANKS = {
    "suspected_mscc": 0,
    "emergency_spinal_assessment": 1,
    "suspected_spinal_metastases": 2,
    "oncology_assessment": 3,
    "safety_net": 4,
    "no_action": 5,
}


def fill(apps: Any, schema_editor: Any) -> None:
    Referral = apps.get_model("referrals", "Referral")
    Clock = apps.get_model("pathways", "Clock")
    next_due = (
        Clock.objects.filter(referral=OuterRef("pk"), status="running", due_at__isnull=False)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    Referral.objects.update(
        queue_rank=Case(
            *[When(category=c, then=Value(rank)) for c, rank in _RANKS.items()],
            default=Value(0),
            output_field=IntegerField(),
        ),
        queue_due_at=Subquery(next_due),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0008_shift_history"),
        ("pathways", "0012_measured_clocks"),
        ("referrals", "0017_referral_received"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="queue_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="referral",
            name="queue_rank",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["service", "queue_rank", "queue_due_at", "received_at"],
                condition=models.Q(
                    ("status__in", ["closed", "closed_not_mscc", "died", "redirected", "withdrawn"]),
                    _negated=True,
                ),
                name="referral_queue_order",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
