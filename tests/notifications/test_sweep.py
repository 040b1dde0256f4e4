"""The escalation sweep and deliveries, called as functions (no eager mode):
when each step fires, whom it reaches, idempotency, repeats, lost tasks."""

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from notifications.models import Delivery, DeliveryAttempt, Escalation
from notifications.services.delivery import SendFailed, delivery_send, webhook_signature
from notifications.services.sweep import sweep
from pathways.models import Clock
from tests.factories import ReferralFactory
from tests.notifications.conftest import run


def ack_clock(referral) -> Clock:
    return Clock.objects.get(referral=referral, kind="acknowledgement")


def test_nothing_fires_before_the_first_warning(on_call, make_referral):
    start = timezone.now()
    make_referral(now=start)  # suspected MSCC: acknowledgement due in 30 min
    result, queued = run(start + timedelta(minutes=14))
    assert result.escalations == [] and queued == []


def test_warning_at_half_the_target_reaches_the_on_call_coordinator_in_app(
    on_call, make_referral, django_capture_on_commit_callbacks
):
    start = timezone.now()
    referral = make_referral(now=start)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result, queued = run(start + timedelta(minutes=15))
    assert len(callbacks) == 1  # the send tasks are enqueued only after commit
    (escalation,) = result.escalations
    assert escalation.clock == ack_clock(referral)
    assert (escalation.step.position, escalation.step.when) == (1, "warning")
    (delivery,) = Delivery.objects.all()
    assert (delivery.channel, delivery.recipient, delivery.status) == (
        "in_app",
        on_call.coordinator,
        "pending",
    )
    assert queued == [str(delivery.pk)]
    assert referral.reference in delivery.subject
    assert "Test" not in delivery.body and "Patient" not in delivery.body  # no identifiers


def test_a_sweep_run_again_raises_nothing_twice(on_call, make_referral):
    start = timezone.now()
    make_referral(now=start)
    run(start + timedelta(minutes=40))
    counts = (Escalation.objects.count(), Delivery.objects.count())
    result, _ = run(start + timedelta(minutes=40))
    assert result.escalations == []
    assert (Escalation.objects.count(), Delivery.objects.count()) == counts


def test_a_late_sweep_raises_every_step_that_is_due_once(on_call, make_referral):
    start = timezone.now()
    referral = make_referral(now=start)
    result, _ = run(start + timedelta(minutes=31))  # after due: steps 1, 2 and 3
    positions = sorted(
        e.step.position for e in result.escalations if e.clock == ack_clock(referral)
    )
    assert positions == [1, 2, 3]
    clock = ack_clock(referral)
    # Next: the senior clinician 30 minutes after due.
    assert clock.next_escalation_at == clock.due_at + timedelta(minutes=30)


def test_at_due_the_coordinator_is_told_on_every_channel_and_repeats_until_acknowledged(
    on_call, make_referral
):
    on_call.service.webhook_url = "https://gateway.example.invalid/hook"
    on_call.service.save()
    start = timezone.now()
    referral = make_referral(now=start)
    due = ack_clock(referral).due_at
    run(due)
    at_due = Escalation.objects.get(step__position=3, clock=ack_clock(referral))
    channels = sorted(at_due.deliveries.values_list("channel", flat=True))
    assert channels == ["email", "in_app", "webhook"]
    # Nobody acknowledged: 15 minutes later it goes again (round 1).
    result, _ = run(due + timedelta(minutes=15))
    assert result.repeats >= 1
    assert at_due.deliveries.filter(round=1).count() == 3
    at_due.acknowledged_at = due + timedelta(minutes=16)
    at_due.save()
    run(due + timedelta(minutes=31))
    assert not at_due.deliveries.filter(round=2).exists()


def test_a_stopped_clock_is_not_escalated(on_call, make_referral, api):
    start = timezone.now() - timedelta(minutes=5)
    referral = make_referral(now=start)
    api(on_call.coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    run(start + timedelta(hours=1))
    assert not Escalation.objects.filter(clock=ack_clock(referral)).exists()


def test_repeats_stop_when_the_clock_stops(on_call, make_referral, api):
    start = timezone.now() - timedelta(minutes=31)
    referral = make_referral(now=start)
    run(timezone.now())
    api(on_call.coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    result, _ = run(timezone.now() + timedelta(minutes=20))
    assert result.repeats == 0


def test_nobody_on_call_goes_to_the_service_lead(world, make_referral):
    world.service.lead = world.senior
    world.service.save()
    start = timezone.now()
    make_referral(now=start)
    run(start + timedelta(minutes=15))
    (delivery,) = Delivery.objects.all()
    assert delivery.recipient == world.senior
    assert delivery.subject.startswith("[Nobody on call]")


def test_a_lead_who_has_left_is_nobody_and_the_delivery_fails_loudly(world, make_referral):
    # A deactivated lead cannot stand in for a rota gap: the message would go
    # to an account nobody reads (issue 11, found by the team pages' work).
    world.service.lead = world.senior
    world.service.save()
    world.senior.is_active = False
    world.senior.save()
    start = timezone.now()
    make_referral(now=start)
    run(start + timedelta(minutes=15))
    (delivery,) = Delivery.objects.all()
    assert delivery.recipient is None
    assert delivery.status == "failed"
    assert "Nobody to reach" in delivery.last_error


def test_nobody_at_all_is_recorded_as_a_failed_delivery(world, make_referral):
    start = timezone.now()
    make_referral(now=start)
    _, queued = run(start + timedelta(minutes=15))
    (delivery,) = Delivery.objects.all()
    assert delivery.status == "failed"
    assert "Nobody to reach" in delivery.last_error
    assert queued == []


def test_lost_send_tasks_are_found_again(on_call, make_referral):
    start = timezone.now()
    make_referral(now=start)
    run(start + timedelta(minutes=15))  # its task was never sent (say, broker down)
    result, queued = run(start + timedelta(minutes=18))
    assert result.requeued == 1
    assert queued == [str(Delivery.objects.get().pk)]


def test_the_sweep_writes_its_heartbeat(world):
    from notifications.models import Heartbeat

    now = timezone.now()
    run(now)
    # The wall-clock time the sweep finished (tests/notifications/test_dead_mans_switch.py).
    assert now <= Heartbeat.objects.get(name="sweep").at <= timezone.now()


def test_sweep_clocks_command_prints_what_it_raised(on_call, make_referral, capsys):
    start = timezone.now()
    referral = make_referral(now=start)
    call_command("sweep_clocks", "--now", (start + timedelta(minutes=16)).isoformat(), "--no-send")
    out = capsys.readouterr().out
    assert f"{referral.reference} acknowledgement step 1" in out
    assert "1 escalations raised" in out


def test_sweep_clocks_command_refuses_a_naive_time(world):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="UTC offset"):
        call_command("sweep_clocks", "--now", "2026-11-24T03:00:00")


# --- Sending ---------------------------------------------------------------------


def _pending(on_call, make_referral, channel="in_app"):
    start = timezone.now()
    make_referral(now=start)
    run(start + timedelta(minutes=31))
    return Delivery.objects.filter(channel=channel).first()


def test_in_app_delivery_is_sent_once(on_call, make_referral):
    delivery = _pending(on_call, make_referral)
    delivery_send(delivery_id=delivery.pk, now=timezone.now())
    delivery_send(delivery_id=delivery.pk, now=timezone.now())  # a redelivered task
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1


def test_email_delivery_carries_its_id_as_message_id(on_call, make_referral, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery = _pending(on_call, make_referral, channel="email")
    delivery_send(delivery_id=delivery.pk, now=timezone.now())
    (message,) = mail.outbox
    assert message.to == ["coordinator@example.invalid"]
    assert message.extra_headers["Message-ID"] == f"<{delivery.pk}@mscc-coordinator>"


def test_a_failing_send_is_retried_then_marked_failed(on_call, make_referral, settings):
    settings.MSCC_DELIVERY_MAX_ATTEMPTS = 2
    on_call.coordinator.email = ""
    on_call.coordinator.save()
    delivery = _pending(on_call, make_referral, channel="email")
    with pytest.raises(SendFailed):
        delivery_send(delivery_id=delivery.pk, now=timezone.now())
    delivery_send(delivery_id=delivery.pk, now=timezone.now())
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert [a.ok for a in delivery.attempt_log.all()] == [False, False]


def test_webhook_is_an_hmac_signed_post(on_call, make_referral):
    received: list[tuple[dict, bytes]] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    on_call.service.webhook_url = f"http://127.0.0.1:{server.server_port}/hook"
    on_call.service.webhook_secret = "synthetic-test-secret"
    on_call.service.save()
    delivery = _pending(on_call, make_referral, channel="webhook")
    delivery_send(delivery_id=delivery.pk, now=timezone.now())
    thread.join(timeout=5)
    server.server_close()
    (headers, body) = received[0]
    assert headers["X-MSCC-Signature"] == webhook_signature("synthetic-test-secret", body)
    assert headers["Idempotency-Key"] == str(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "sent"


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_raise_exactly_one_escalation_per_clock_and_step(world):
    """Two sweeps on their own connections over the same 400 due clocks,
    small batches so they interleave: SKIP LOCKED shares the work."""
    start = timezone.now() - timedelta(hours=1)
    for _ in range(200):
        ReferralFactory(
            user=world.referrer,
            organisation=world.gp,
            service=world.service,
            now=start,
            neuro_features=["gait"],
        )
    now = timezone.now()
    barrier = threading.Barrier(2)
    results = []

    def one_sweep() -> None:
        barrier.wait()
        try:
            results.append(sweep(now=now, enqueue=lambda ids: None, batch_size=20))
        finally:
            connection.close()

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    raised = sum(len(r.escalations) for r in results)
    due = Clock.objects.filter(status="running", kind="acknowledgement").count()
    assert due == 200
    # Each acknowledgement clock is an hour old: steps 1-4 (the senior at +30 min) due.
    assert Escalation.objects.count() == raised == 200 * 4
    assert all(len(r.escalations) > 0 for r in results)  # both sweeps did work
