"""The escalation engine with the real worker (issue 4): Celery worker and beat
started as processes against the pytest-django test database and Redis, as in
production (docs/architecture.md). They run under CI with PostgreSQL and Redis
(CELERY_BROKER_URL=redis://...); on a laptop without them they skip.

1. a clock due in 10 s reaches the on-call coordinator in-app and by e-mail
   within the sweep interval plus 5 s;
2. two sweeps at once over 5,000 due clocks raise each (clock, step) once;
3. a worker killed with SIGKILL while 200 notifications are sent: after a
   restart every one is sent, and recorded as sent once;
4. Redis stopped while referrals are submitted: intake answers 201 and keeps
   them; when Redis is back their escalations are raised and delivered.

Each test prints its measured figures (run with -s to see them).
"""

import collections
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from notifications import escalation_rules
from notifications.codes import Channel, DeliveryStatus, StepWhen
from notifications.models import Delivery, DeliveryAttempt, Escalation, Heartbeat
from notifications.selectors.policies import policy_steps, step_timings
from notifications.services.sweep import sweep
from notifications.tasks import deliver
from pathways.codes import ClockStatus
from pathways.models import Clock
from referrals.models import Referral
from tests.conftest import referral_body
from tests.notifications.workers import (
    CELERY,
    PrivateRedis,
    Processes,
    celery_env,
    delete_queue,
    filemail_url,
    private_queue,
    require_redis_broker,
    require_redis_server,
    wait_for,
)

SWEEP_SECONDS = 2
# The acknowledgement target of a suspected-MSCC referral (pathways/defaults.py).
ACK_TARGET = timedelta(minutes=30)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.slow,
]


@pytest.fixture
def broker() -> str:
    require_redis_broker(settings.CELERY_BROKER_URL)
    return str(settings.CELERY_BROKER_URL)


@pytest.fixture
def queue(broker: str) -> Iterator[str]:
    name = private_queue()
    yield name
    delete_queue(broker, name)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.close()


def _sweep_has_run() -> bool:
    return Heartbeat.objects.filter(name="sweep").exists()


# --- 1. due to delivered within the sweep interval plus 5 s ---------------------


def test_a_clock_due_in_ten_seconds_reaches_the_on_call_coordinator_in_time(
    on_call, make_referral, broker, queue, processes, tmp_path
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = celery_env(
        broker_url=broker,
        queue=queue,
        MSCC_SWEEP_SECONDS=str(SWEEP_SECONDS),
        EMAIL_URL=filemail_url(mail_dir),
    )
    processes.worker("worker", env)
    processes.beat("beat", env)
    # Beat and the worker are both up once a sweep has run; only then does the
    # clock start counting down, so start-up time is not measured as latency.
    wait_for(_sweep_has_run, timeout=60, what="the first sweep (is the worker up?)")

    referral = make_referral(now=timezone.now() - ACK_TARGET + timedelta(seconds=10))
    clock = referral.clocks.get(kind="acknowledgement")
    assert timedelta(seconds=5) < clock.due_at - timezone.now() <= timedelta(seconds=10)
    at_due = Delivery.objects.filter(
        escalation__clock=clock, escalation__step__when=StepWhen.AT_DUE
    ).select_related("escalation")

    # Wait well past the bound, so a miss reports its latency rather than a timeout.
    wait_for(
        lambda: at_due.filter(status=DeliveryStatus.SENT).count() == 2,
        timeout=10 + SWEEP_SECONDS + 5 + 30,
        what="the at-due in-app and e-mail deliveries to be sent",
        interval=0.1,
    )
    deliveries = {d.channel: d for d in at_due}
    # No webhook: the service has no gateway configured.
    assert set(deliveries) == {Channel.IN_APP, Channel.EMAIL}
    bound = timedelta(seconds=SWEEP_SECONDS + 5)
    latencies = {
        channel: (d.sent_at - clock.due_at).total_seconds() for channel, d in deliveries.items()
    }
    print(f"\nDue to sent, sweep every {SWEEP_SECONDS} s: {latencies}")
    for channel, delivery in deliveries.items():
        assert delivery.recipient == on_call.coordinator
        assert delivery.escalation.fire_at == clock.due_at
        # Never early: the at-due step fires at or after the due time.
        assert delivery.escalation.raised_at >= clock.due_at
        assert delivery.sent_at - clock.due_at <= bound, (
            f"{channel} sent {latencies[channel]:.2f} s after due (bound {bound.seconds} s)"
        )
    assert DeliveryAttempt.objects.filter(delivery__in=at_due, ok=True).count() == 2

    email = deliveries[Channel.EMAIL]
    message_id = f"Message-ID: <{email.pk}@mscc-coordinator>"
    files = [p for p in mail_dir.iterdir() if message_id in p.read_text()]
    assert len(files) == 1, f"{message_id} in {len(files)} mail files"
    text = files[0].read_text()
    assert "To: coordinator@example.invalid" in text
    assert referral.reference in text
    assert referral.patient.nhs_number not in text  # no patient identifiers by e-mail
    written = files[0].stat().st_mtime - clock.due_at.timestamp()
    print(f"E-mail file written {written:.2f} s after due")
    assert written <= bound.total_seconds(), f"e-mail written {written:.2f} s after due"


# --- 2. two sweeps at once over 5,000 due clocks ----------------------------------

REFERRALS_FOR_SWEEP = 2_500  # two clocks each: acknowledgement and MRI


def test_two_concurrent_sweeps_over_5000_due_clocks_raise_each_step_once(
    on_call, make_referral, processes
):
    now = timezone.now()
    # Received (and suspected) 12 h 5 min ago: the 30-minute acknowledgement
    # clock is past all its steps and the 24-hour MRI clock past its first
    # warning, so every referral has two due clocks. referral_create is the
    # real intake path (about 8 ms a referral here): no hand-made rows.
    received = now - timedelta(hours=12, minutes=5)
    with transaction.atomic():  # one commit: about 10 % faster
        for _ in range(REFERRALS_FOR_SWEEP):
            make_referral(now=received)
    clocks = list(Clock.objects.filter(status=ClockStatus.RUNNING, next_escalation_at__lte=now))
    assert len(clocks) == 2 * REFERRALS_FOR_SWEEP
    timings = step_timings(policy_steps({on_call.policy.pk})[on_call.policy.pk])
    expected = {
        (clock.pk, timing.step_id)
        for clock in clocks
        for timing, _ in escalation_rules.due_steps(timings, clock.started_at, clock.due_at, now)
    }

    env = celery_env(broker_url=str(settings.CELERY_BROKER_URL), queue=private_queue())
    command = [CELERY[0], "manage.py", "sweep_clocks", "--no-send", "--now", now.isoformat()]
    # The gate: while this transaction holds a SHARE lock on the escalation
    # table, each sweep takes its first batch of clocks (FOR UPDATE SKIP
    # LOCKED) and then waits to insert its escalations. Once both wait, they
    # are truly concurrent: each holds a batch the other must skip. Without the
    # gate, one process could start a second or two later and find no work.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Escalation._meta.db_table} IN SHARE MODE")
        sweeps = [processes.start(f"sweep-{n}", command, env) for n in (1, 2)]

        def both_wait() -> bool:
            # pg_stat_activity is read once per transaction unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE %s",
                [f'INSERT INTO "{Escalation._meta.db_table}"%'],
            )
            return cursor.fetchone()[0] == 2

        wait_for(both_wait, timeout=60, what="both sweeps to hold a batch", interval=0.1)
    started = time.monotonic()
    for process in sweeps:
        process.wait(timeout=120)
    elapsed = time.monotonic() - started

    raised = []
    for n, process in enumerate(sweeps, start=1):
        log = processes.log(f"sweep-{n}")
        assert process.returncode == 0, log[-3000:]
        summary = re.search(r"(\d+) escalations raised", log)
        assert summary, log[-3000:]
        raised.append(int(summary[1]))
    print(
        f"\n{len(clocks)} due clocks, {len(expected)} due steps; the two sweeps raised "
        f"{raised[0]} and {raised[1]} in {elapsed:.1f} s after the gate opened"
    )
    assert all(n > 0 for n in raised), f"one sweep did no work: {raised}"
    assert sum(raised) == len(expected)
    assert Escalation.objects.count() == len(expected)
    assert set(Escalation.objects.values_list("clock_id", "step_id")) == expected
    doubled = (
        Escalation.objects.values("clock_id", "step_id").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not doubled.exists()
    # And each raised escalation has exactly its deliveries, once.
    assert not (
        Delivery.objects.values("escalation_id", "round", "recipient_key", "channel")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )


# --- 3. SIGKILL while sending; restart; every one sent, recorded once -------------

VISIBILITY_TIMEOUT = 5
TRIGGER_AT = 10  # the sink's 10th webhook request holds its reply: the kill comes then


class _Sink(ThreadingHTTPServer):
    """A webhook gateway on 127.0.0.1 that records each Idempotency-Key. The
    TRIGGER_AT-th request is held unanswered and signals the test, so the
    worker is killed while that send is in flight: the sharpest case of
    at-least-once delivery."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SinkHandler)
        self.keys: list[str] = []
        self.lock = threading.Lock()
        self.triggered = threading.Event()
        self.held_key = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/gateway"


class _SinkHandler(BaseHTTPRequestHandler):
    server: _Sink

    def do_POST(self) -> None:  # the http.server API names it
        self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers["Idempotency-Key"]
        with self.server.lock:
            self.server.keys.append(key)
            hold = len(self.server.keys) == TRIGGER_AT
            if hold:
                self.server.held_key = key
        if hold:
            self.server.triggered.set()
            time.sleep(3)  # the sender is killed meanwhile; this reply goes nowhere
        try:
            self.send_response(200)
            self.end_headers()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def sink() -> Iterator[_Sink]:
    server = _Sink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_worker_killed_while_sending_200_notifications_loses_none_and_records_each_once(
    on_call, make_referral, broker, queue, processes, sink, tmp_path
):
    on_call.service.webhook_url = sink.url
    on_call.service.webhook_secret = "test-gateway-secret"
    on_call.service.save()
    # Raised by the real sweep: each referral 31 min after receipt has three
    # acknowledgement steps due (50 %, 25 %, at due), all to the coordinator:
    # the catch-up (issue 11) sends the at-due step only, in-app, e-mail and
    # webhook. 68 referrals make 204 deliveries; their 204 escalations pass
    # the storm threshold, adding the coordinator's summary, in-app and by e-mail.
    received = timezone.now() - ACK_TARGET - timedelta(minutes=1)
    for _ in range(68):
        make_referral(now=received)
    ids: list[str] = []
    sweep(now=timezone.now(), enqueue=ids.extend)
    assert len(ids) >= 200
    by_channel = collections.Counter(
        Delivery.objects.filter(pk__in=ids).values_list("channel", flat=True)
    )
    webhook_ids = {
        str(pk)
        for pk in Delivery.objects.filter(pk__in=ids, channel=Channel.WEBHOOK).values_list(
            "pk", flat=True
        )
    }
    for delivery_id in ids:
        deliver.apply_async(args=[delivery_id], queue=queue)

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = celery_env(
        broker_url=broker,
        queue=queue,
        EMAIL_URL=filemail_url(mail_dir),
        # Redelivery of the killed worker's unacknowledged messages: after 5 s,
        # not the production 600 s (longer than any task's hard time limit).
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        # A worker SIGKILLed while restoring messages leaves the restore lock
        # behind: let it lapse within the test's patience, not after 60 s.
        CELERY_UNACKED_MUTEX_EXPIRE=str(VISIBILITY_TIMEOUT),
    )
    sent = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENT)
    worker = processes.worker("worker-1", env, pool="prefork", concurrency=2)
    assert sink.triggered.wait(timeout=60), (
        "no webhook reached the sink: " + processes.log("worker-1")[-3000:]
    )
    processes.kill(worker)  # SIGKILL to the main process and both pool children
    killed_at = time.monotonic()
    sent_before_kill = sent.count()
    assert 0 < sent_before_kill < len(ids)
    assert Delivery.objects.get(pk=sink.held_key).status == DeliveryStatus.PENDING

    # The killed worker's unacknowledged messages come back once the
    # visibility timeout has passed; the new worker restores them at start.
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 1 - (time.monotonic() - killed_at)))
    processes.worker("worker-2", env, pool="prefork", concurrency=2)
    try:
        # Generous: on a loaded two-core machine a restored message can wait
        # for the broker's next restore pass.
        wait_for(lambda: sent.count() == len(ids), timeout=180, what=f"all {len(ids)} sent")
    except AssertionError as timed_out:
        missing = list(
            Delivery.objects.filter(pk__in=ids)
            .exclude(status=DeliveryStatus.SENT)
            .values_list("pk", "channel", "status", "attempts")
        )
        raise AssertionError(
            f"{timed_out} {sent_before_kill} were sent before the kill, {sent.count()} now; "
            f"not sent: {missing} (the held webhook: {sink.held_key}). "
            "worker-2's log: " + processes.log("worker-2")[-3000:]
        ) from None

    attempts = collections.Counter(
        str(pk)
        for pk in DeliveryAttempt.objects.filter(delivery_id__in=ids, ok=True).values_list(
            "delivery_id", flat=True
        )
    )
    seen = collections.Counter(sink.keys)
    repeats = {key: n for key, n in seen.items() if n > 1}
    print(
        f"\n{len(ids)} deliveries {dict(by_channel)}: {sent_before_kill} sent before SIGKILL; "
        f"after restart all sent. Webhook keys seen twice at the sink: {len(repeats)} "
        f"(the one in flight at the kill: {sink.held_key in repeats})"
    )
    # What the design guarantees: in the database, exactly once.
    assert set(attempts) == set(ids)
    assert all(n == 1 for n in attempts.values()), "a delivery was recorded as sent twice"
    assert not DeliveryAttempt.objects.filter(delivery_id__in=ids, ok=False).exists()
    for delivery in Delivery.objects.filter(pk__in=ids):
        assert delivery.attempts == 1 and delivery.sent_at is not None
    # Every webhook reached the gateway. The one in flight when the worker was
    # killed was sent, not committed, and so sent again after the restart:
    # at-least-once, by design (notifications/services/delivery.py). It came
    # with the same Idempotency-Key, so the gateway drops the repeat. At most
    # one send per pool process can be in flight, so at most two repeats.
    assert set(seen) == webhook_ids
    assert sink.held_key in repeats
    assert len(repeats) <= 2 and max(repeats.values()) == 2, repeats
    # Every e-mail was written (a repeat would carry the same Message-ID).
    mail = "\n".join(p.read_text() for p in mail_dir.iterdir())
    for delivery_id in Delivery.objects.filter(pk__in=ids, channel=Channel.EMAIL).values_list(
        "pk", flat=True
    ):
        assert f"<{delivery_id}@mscc-coordinator>" in mail


# --- 4. Redis down while referrals arrive ------------------------------------------


def test_referrals_taken_while_redis_is_down_are_escalated_when_it_is_back(
    on_call, api, processes, tmp_path, settings
):
    require_redis_server()
    redis = PrivateRedis(processes)
    redis.start()
    # The worker and beat use the private Redis, and so does the web (this
    # process), where only /health/ talks to the broker: intake needs none.
    settings.CELERY_BROKER_URL = redis.url
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = celery_env(
        broker_url=redis.url,
        queue=private_queue(),
        MSCC_SWEEP_SECONDS=str(SWEEP_SECONDS),
        EMAIL_URL=filemail_url(mail_dir),
    )
    processes.worker("worker", env)
    processes.beat("beat", env)
    wait_for(_sweep_has_run, timeout=60, what="the first sweep (is the worker up?)")

    redis.stop()
    stopped = time.monotonic()
    client = api(on_call.referrer)
    health = client.get("/health/").json()
    assert health["broker"] == "down", health
    # Suspected 23 h ago: the MRI clock (24 h from suspicion) is past both its
    # warning steps, so its escalations are due as soon as a sweep runs. The
    # API itself takes received_at as now, so this is how a real referral
    # arrives with an escalation already due, with no rows edited by hand.
    suspected = (timezone.now() - timedelta(hours=23)).isoformat()
    started = time.monotonic()
    answers = [
        client.post("/api/v1/referrals/", referral_body(suspected_at=suspected), format="json")
        for _ in range(5)
    ]
    intake_seconds = time.monotonic() - started
    assert [a.status_code for a in answers] == [201] * 5, [a.json() for a in answers]
    referrals = Referral.objects.filter(pk__in=[a.json()["id"] for a in answers])
    assert referrals.count() == 5
    mri = Clock.objects.filter(referral__in=referrals, kind="mri")
    assert mri.count() == 5
    # A few beat ticks with the broker down: no sweep can be triggered, so the
    # escalations wait (delayed, never lost: the due times are in the rows).
    time.sleep(max(0.0, 3 * SWEEP_SECONDS - (time.monotonic() - stopped)))
    assert not Escalation.objects.filter(clock__in=mri).exists()

    redis.start()  # the same port, empty: nothing queued survived
    warnings = Delivery.objects.filter(
        escalation__clock__in=mri, escalation__step__when=StepWhen.WARNING
    )
    # 50 % and 25 % both due at once: the catch-up (issue 11) sends the
    # coordinator on call the 25 % step only, in-app and by e-mail; the 50 %
    # step is recorded as superseded.
    expected_deliveries = 5 * 2
    back = time.monotonic()
    wait_for(
        lambda: warnings.filter(status=DeliveryStatus.SENT).count() == expected_deliveries,
        timeout=90,
        what="the MRI warnings to be delivered after Redis came back",
    )
    recovery_seconds = time.monotonic() - back
    print(
        f"\n5 referrals taken in {intake_seconds:.2f} s with Redis down; their escalations "
        f"delivered {recovery_seconds:.1f} s after Redis came back"
    )
    assert Escalation.objects.filter(clock__in=mri).count() == 5 * 2
    assert Escalation.objects.filter(clock__in=mri, superseded_by__isnull=False).count() == 5
    assert set(warnings.values_list("recipient", flat=True)) == {on_call.coordinator.pk}
    assert client.get("/health/").json()["broker"] == "ok"
