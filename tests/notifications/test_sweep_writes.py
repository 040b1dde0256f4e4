"""Issue 12: the sweep's set-based writes (services/bulk_write.py) write
exactly the rows Django's bulk_create/bulk_update wrote before, for a mixed
batch: catch-up, a rota gap filled by the lead, nobody to reach, a webhook,
and repeats. On PostgreSQL the unnest statements run; on SQLite the
portable executemany branch."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

import notifications.services.sweep as sweep_module
from notifications.models import Delivery, Escalation
from notifications.services import bulk_write
from pathways.models import Clock
from tests.factories import SeniorClinicianFactory, ShiftFactory
from tests.notifications.conftest import run


def old_insert(objs: list[Model], **_: Any) -> None:
    """What the sweep called before issue 12."""
    if objs:
        type(objs[0]).objects.bulk_create(objs)  # type: ignore[attr-defined]


def old_update(objs: list[Model], names: list[str], **_: Any) -> None:
    if objs:
        type(objs[0]).objects.bulk_update(objs, names)  # type: ignore[attr-defined]


def mixed_batch(world, make_referral) -> list[Any]:
    """A-MSCC: only the coordinator on call, a lead, a webhook; B-MSCC: nobody
    on call and no lead. Returns the referrals."""
    start = timezone.now() - timedelta(days=1)
    ShiftFactory(
        service=world.service,
        role="coordinator",
        user=world.coordinator,
        starts_at=start,
        ends_at=start + timedelta(days=2),
    )
    world.coordinator.email = "coordinator@example.invalid"
    world.coordinator.save()
    lead = SeniorClinicianFactory(username="service-lead", service=world.service)
    world.service.lead = lead
    world.service.webhook_url = "https://gateway.example.invalid/hook"
    world.service.save()
    now = timezone.now()
    return [
        # Catch-up: steps 1-3 to the coordinator, 4 (senior: a gap, so the
        # lead) and 5 (the lead) at once.
        make_referral(now=now - timedelta(hours=3)),
        # The first warning only.
        make_referral(now=now - timedelta(minutes=16)),
        # At due: every channel, the webhook among them; repeats.
        make_referral(now=now - timedelta(minutes=31)),
        # Nobody to reach: a failed delivery, recorded.
        make_referral(
            user=world.referrer_other,
            organisation=world.other_gp,
            service=world.other_service,
            now=now - timedelta(minutes=31),
        ),
    ]


def written() -> dict[str, Any]:
    """Every row the sweep writes, by natural key (ids differ between runs)."""
    names = {e.pk: (e.clock_id, e.step_id) for e in Escalation.objects.all()}
    escalations = sorted(
        (
            names[e.pk],
            e.fire_at,
            e.raised_at,
            e.round,
            e.next_repeat_at,
            names.get(e.superseded_by_id),
            e.superseded_at,
            e.acknowledged_at,
        )
        for e in Escalation.objects.all()
    )
    deliveries = sorted(
        (
            names.get(d.escalation_id),
            d.round,
            d.channel,
            d.recipient_id,
            d.recipient_key,
            d.address,
            d.subject,
            d.body,
            d.status,
            d.attempts,
            d.created_at,
            d.sent_at,
            d.last_error,
            d.read_at,
        )
        for d in Delivery.objects.all()
    )
    clocks = sorted(Clock.objects.values_list("id", "next_escalation_at"))
    return {"escalations": escalations, "deliveries": deliveries, "clocks": clocks}


def sweeps(now: datetime) -> tuple[dict[str, Any], list[int]]:
    """Two sweeps, the second 20 minutes on (repeats), in small batches."""
    first, _ = run(now, batch_size=3)
    second, _ = run(now + timedelta(minutes=20), batch_size=3)
    return written(), [len(first.escalations), first.superseded, second.repeats]


def test_the_set_based_sweep_writes_the_rows_the_old_one_wrote(world, make_referral, monkeypatch):
    mixed_batch(world, make_referral)
    now = timezone.now()
    with transaction.atomic():
        with monkeypatch.context() as m:
            m.setattr(sweep_module, "rows_insert", old_insert)
            m.setattr(sweep_module, "rows_update", old_update)
            before, before_counts = sweeps(now)
        transaction.set_rollback(True)
    assert Escalation.objects.count() == 0  # rolled back: the same start
    after, after_counts = sweeps(now)
    assert after == before
    raised, superseded, repeats = after_counts
    assert after_counts == before_counts
    # The batch really is mixed.
    assert superseded > 0 and repeats > 0 and raised > 5
    statuses = {(d[2], d[8]) for d in after["deliveries"]}
    assert ("webhook", "pending") in statuses and ("in_app", "failed") in statuses
    assert any("[Nobody on call]" in d[6] for d in after["deliveries"])


@pytest.mark.postgres
def test_both_branches_write_the_same_rows(world, make_referral):
    """On PostgreSQL: unnest and the portable executemany, side by side."""
    mixed_batch(world, make_referral)
    run(timezone.now())
    source = list(Delivery.objects.order_by("pk"))
    escalations = list(Escalation.objects.order_by("pk"))
    rows: list[list[tuple[Any, ...]]] = []
    for unnest in (True, False):
        with transaction.atomic():
            Delivery.objects.all().delete()
            for e in escalations:
                e.round, e.next_repeat_at = 7, None
            bulk_write.rows_update(escalations, ["round", "next_repeat_at"], unnest=unnest)
            bulk_write.rows_insert(source, unnest=unnest)
            rows.append(
                [
                    *Delivery.objects.order_by("pk").values_list(),
                    *Escalation.objects.order_by("pk").values_list(),
                ]
            )
            transaction.set_rollback(True)
    assert connection.vendor == "postgresql"
    assert rows[0] == rows[1] and len(rows[0]) == len(source) + len(escalations)
    assert all(r[7] == 7 for r in rows[0][len(source) :])  # round, updated
