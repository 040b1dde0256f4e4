"""Acknowledging escalations, the in-app inbox, and "who was told what, when"
on the referral."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Delivery, Escalation
from notifications.services.delivery import delivery_send
from tests.notifications.conftest import run


@pytest.fixture
def raised(on_call, make_referral):
    """A referral whose acknowledgement clock is due: steps 1-3 raised and
    the in-app deliveries sent."""
    start = timezone.now() - timedelta(minutes=31)
    referral = make_referral(now=start)
    run(timezone.now())
    for delivery in Delivery.objects.filter(channel="in_app"):
        delivery_send(delivery_id=delivery.pk, now=timezone.now())
    return referral


def test_acknowledging_stops_the_repeats(world, api, raised):
    at_due = Escalation.objects.get(step__position=3)
    response = api(world.coordinator).post(f"/api/v1/escalations/{at_due.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "coordinator"
    at_due.refresh_from_db()
    assert at_due.next_repeat_at is None
    run(timezone.now() + timedelta(minutes=20))
    assert not at_due.deliveries.filter(round=1).exists()
    again = api(world.senior).post(f"/api/v1/escalations/{at_due.pk}/acknowledge/")
    assert again.status_code == 409


def test_escalations_of_another_service_are_not_found(world, api, raised):
    escalation = Escalation.objects.first()
    url = f"/api/v1/escalations/{escalation.pk}/acknowledge/"
    assert api(world.coordinator_other).post(url).status_code == 404
    assert api(world.referrer).post(url).status_code == 403


def test_inbox_lists_my_in_app_notifications_with_the_unread_count(world, api, raised):
    client = api(world.coordinator)
    body = client.get("/api/v1/notifications/").json()
    # Steps 1, 2 and 3 all due at the first sweep: the catch-up sends the
    # coordinator step 3 only (issue 11; 1 and 2 are recorded as superseded).
    assert body["count"] == 1
    assert body["unread"] == 1
    first = body["results"][0]
    assert first["referral"] == str(raised.pk)
    client.post(f"/api/v1/notifications/{first['id']}/read/")
    assert client.get("/api/v1/notifications/").json()["unread"] == 0
    assert api(world.senior).get("/api/v1/notifications/").json()["count"] == 0
    other = api(world.senior).post(f"/api/v1/notifications/{first['id']}/read/")
    assert other.status_code == 404


def test_the_referral_shows_who_was_told_what_when(world, api, raised):
    detail = api(world.coordinator).get(f"/api/v1/referrals/{raised.pk}/").json()
    steps = [(e["clock"], e["step"], e["recipient"]) for e in detail["escalations"]]
    assert ("acknowledgement", 1, "on_call_coordinator") in steps
    deliveries = [d for e in detail["escalations"] for d in e["deliveries"]]
    assert {(d["channel"], d["recipient"]) for d in deliveries} >= {
        ("in_app", "coordinator"),
        ("email", "coordinator"),
    }
    assert all(d["status"] in ("pending", "sent") for d in deliveries)


def test_rota_gaps_are_sent_to_the_service_admins_once_a_day(
    world, api, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    from notifications.services.notices import coverage_gap_notices

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.admin.email = "admin@example.invalid"
    world.admin.save()
    now = timezone.now()
    queued: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        assert coverage_gap_notices(service=world.service, now=now, enqueue=queued.extend) == 2
        assert coverage_gap_notices(service=world.service, now=now, enqueue=queued.extend) == 0
    assert len(queued) == 2
    for delivery_id in queued:
        delivery_send(delivery_id=delivery_id, now=now)
    (message,) = mail.outbox
    assert message.to == ["admin@example.invalid"]
    assert "Nobody is on call" in message.body
    inbox = api(world.admin).get("/api/v1/notifications/").json()
    assert inbox["count"] == 1
    assert inbox["results"][0]["escalation"] is None
