"""Issue 11, alerts: catch-up per recipient (earlier steps superseded, not
sent), titles that say what the step is, UK times with the zone, one
acknowledge per clock (never another clock's), read only when acknowledged or
marked, and the storm guard."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.errors import Conflict
from notifications.alert_words import clock_state, duration_words, step_words, uk_time
from notifications.codes import Channel
from notifications.models import Delivery, Escalation, EscalationStep
from notifications.selectors.escalations import inbox_unread_count
from notifications.services.delivery import delivery_send
from notifications.services.escalations import (
    clock_escalations_acknowledge,
    escalation_acknowledge,
    notification_mark_read,
    notifications_mark_read,
)
from notifications.services.sweep import sweep
from pathways.models import Clock
from tests.factories import ReferralFactory, SeniorClinicianFactory
from tests.notifications.conftest import run


def clock_of(referral, kind: str) -> Clock:
    return Clock.objects.get(referral=referral, kind=kind)


def with_lead(world):
    lead = SeniorClinicianFactory(username="service-lead", service=world.service)
    world.service.lead = lead
    world.service.save()
    return lead


# --- Words ---------------------------------------------------------------------------


def test_durations_in_words():
    assert duration_words(timedelta(minutes=45, seconds=59)) == "45 min"
    assert duration_words(timedelta(hours=1)) == "1 h"
    assert duration_words(timedelta(hours=2, minutes=59, seconds=30)) == "2 h 59 min"
    assert duration_words(timedelta(days=6, hours=23, minutes=5)) == "6 d 23 h"


def test_a_clock_state_says_due_in_due_now_or_overdue_never_overdue_before_due():
    due = datetime(2026, 11, 28, 3, 40, tzinfo=UTC)
    assert clock_state("MRI", due, due - timedelta(hours=2, minutes=59)) == "MRI due in 2 h 59 min"
    assert clock_state("MRI", due, due) == "MRI due now"
    assert clock_state("MRI", due, due + timedelta(hours=1)) == "MRI overdue by 1 h"
    assert "overdue" not in clock_state("MRI", due, due - timedelta(minutes=2)).lower()


def test_uk_times_carry_the_zone_gmt_in_winter_bst_in_summer():
    assert uk_time(datetime(2026, 11, 28, 3, 40, tzinfo=UTC)) == "03:40 GMT, Sat 28 Nov 2026"
    # 29 July 2026, 23:30 UTC is 00:30 BST on the 30th.
    assert uk_time(datetime(2026, 7, 29, 23, 30, tzinfo=UTC)) == "00:30 BST, Thu 30 Jul 2026"
    with pytest.raises(ValueError):
        uk_time(datetime(2026, 7, 29, 23, 30))  # noqa: DTZ001  # naive on purpose


def test_steps_in_words():
    assert step_words("warning", 0.25, None) == "a warning, with 25% of the target left"
    assert step_words("at_due", None, None) == "at the due time"
    assert step_words("after_due", None, timedelta(minutes=30)) == "30 min after the due time"


# --- Titles from the sweep -------------------------------------------------------------


def test_a_warning_step_is_titled_due_in_with_the_clock_label(on_call, make_referral, settings):
    settings.MSCC_BASE_URL = "https://mscc.example.invalid:8443"
    start = timezone.now()
    referral = make_referral(now=start)
    mri = clock_of(referral, "mri")
    # The 25% warning of the 24-hour MRI clock: 6 h before due; swept 3 h 01 min later.
    now = mri.due_at - timedelta(hours=2, minutes=59)
    run(now)
    delivery = Delivery.objects.get(escalation__clock=mri, channel=Channel.IN_APP)
    assert delivery.subject == f"{referral.reference}: MRI due in 2 h 59 min"
    assert "OVERDUE" not in delivery.subject.upper()
    assert f"due {uk_time(mri.due_at)}" in delivery.body
    assert "GMT" in delivery.body or "BST" in delivery.body
    assert "UTC" not in delivery.body and "mri clock" not in delivery.body
    assert f"https://mscc.example.invalid:8443/referrals/{referral.pk}/" in delivery.body
    assert "a warning, with 25% of the target left" in delivery.body


def test_at_and_after_due_steps_are_titled_overdue_by(on_call, make_referral):
    lead = with_lead(on_call)
    start = timezone.now() - timedelta(hours=3)
    referral = make_referral(now=start)
    ack = clock_of(referral, "acknowledgement")
    run(ack.due_at)  # at due exactly
    at_due = Delivery.objects.get(
        escalation__clock=ack, escalation__step__position=3, channel=Channel.IN_APP
    )
    assert at_due.subject == f"{referral.reference}: Acknowledgement due now"
    run(ack.due_at + timedelta(hours=1))  # the senior's step, 30 min after due, an hour late
    senior = Delivery.objects.get(escalation__step__position=4, channel=Channel.IN_APP)
    assert senior.subject == f"{referral.reference}: Acknowledgement overdue by 1 h"
    assert senior.recipient == on_call.senior
    run(ack.due_at + timedelta(hours=2))
    to_lead = Delivery.objects.get(escalation__step__position=5, channel=Channel.IN_APP)
    assert to_lead.recipient == lead
    assert to_lead.subject == f"{referral.reference}: Acknowledgement overdue by 2 h"


def test_times_in_messages_are_bst_in_summer(world, make_referral):
    """A sweep as of a summer instant (sweep_clocks --now): BST in the body."""
    with_lead(world)
    start = datetime(2026, 7, 10, 9, 0, tzinfo=UTC)
    referral = make_referral(now=start)
    ack = clock_of(referral, "acknowledgement")
    run(ack.due_at)
    delivery = Delivery.objects.get(channel=Channel.IN_APP, escalation__clock=ack)
    assert "10:30 BST, Fri 10 Jul 2026" in delivery.body  # due 09:30 UTC
    assert delivery.subject == f"[Nobody on call] {referral.reference}: Acknowledgement due now"


def test_no_patient_identifiers_in_any_message(on_call, make_referral):
    referral = make_referral(now=timezone.now() - timedelta(hours=3))
    run(timezone.now())
    patient = referral.patient
    for delivery in Delivery.objects.all():
        text = delivery.subject + delivery.body
        for identifier in (patient.nhs_number, patient.family_name, patient.given_name):
            assert identifier not in text


# --- Catch-up ----------------------------------------------------------------------


def test_catch_up_sends_each_person_only_the_latest_step_due(on_call, make_referral):
    """Swept first an hour after due: steps 1-3 (all the coordinator's)
    collapse into step 3; the senior's step 4 still reaches the senior."""
    start = timezone.now() - timedelta(minutes=90)
    referral = make_referral(now=start)
    ack = clock_of(referral, "acknowledgement")
    result, _ = run(timezone.now())
    rows = {e.step.position: e for e in Escalation.objects.filter(clock=ack)}
    assert sorted(rows) == [1, 2, 3, 4]  # every step recorded, once
    assert rows[1].superseded_by == rows[3] and rows[2].superseded_by == rows[3]
    assert rows[1].superseded_at == rows[2].superseded_at is not None
    assert rows[3].superseded_by is None and rows[4].superseded_by is None
    assert not Delivery.objects.filter(escalation__in=[rows[1], rows[2]]).exists()
    assert rows[1].next_repeat_at is None and rows[2].next_repeat_at is None
    in_app = Delivery.objects.filter(channel=Channel.IN_APP, escalation__clock=ack)
    assert sorted((d.escalation.step.position, d.recipient.username) for d in in_app) == [
        (3, on_call.coordinator.username),
        (4, on_call.senior.username),
    ]
    assert result.superseded == 2
    step3 = in_app.get(escalation=rows[3])
    assert "Catch-up: 2 earlier steps of this clock for you" in step3.body
    # Run again: nothing new, nothing superseded twice.
    again, _ = run(timezone.now())
    assert again.escalations == [] and again.superseded == 0


def test_the_issues_three_referrals_make_three_notifications_not_nine(on_call, make_referral):
    """The issue: a clock first swept when already overdue raised every step
    at once, 9 in-app notifications for 3 referrals. Now one per referral."""
    start = timezone.now() - timedelta(minutes=31)
    for _ in range(3):
        make_referral(now=start)
    result, _ = run(timezone.now())
    in_app = Delivery.objects.filter(channel=Channel.IN_APP)
    assert in_app.count() == 3
    assert Delivery.objects.count() == 6  # in-app and e-mail of step 3 each (was 15)
    assert len(result.escalations) == 9 and result.superseded == 6


def test_the_lead_standing_in_for_a_rota_gap_counts_as_the_lead(world, make_referral):
    """Nobody on call: steps 1-3 (coordinator) and 4 (senior) would all reach
    the lead, as does the lead's own step 5. The lead gets step 5, and step
    4 too because it repeats and step 5 does not: a catch-up never turns a
    repeating escalation into a single message."""
    lead = with_lead(world)
    start = timezone.now() - timedelta(hours=3)
    referral = make_referral(now=start)
    run(timezone.now())
    ack = clock_of(referral, "acknowledgement")
    sent = Escalation.objects.filter(clock=ack, superseded_by__isnull=True).order_by(
        "step__position"
    )
    assert [e.step.position for e in sent] == [4, 5]
    assert sent[0].next_repeat_at is not None  # the senior's step repeats, to the lead now
    superseded = Escalation.objects.filter(clock=ack, superseded_by__isnull=False)
    assert sorted(e.step.position for e in superseded) == [1, 2, 3]
    assert {e.superseded_by.step.position for e in superseded} == {5}
    in_app = Delivery.objects.filter(channel=Channel.IN_APP, escalation__clock=ack)
    assert {d.recipient for d in in_app} == {lead}
    assert in_app.count() == 2


def test_a_repeating_step_is_never_superseded_by_one_that_does_not_repeat(on_call, make_referral):
    """The coordinator on call; a policy whose last step to the coordinator
    does not repeat: the at-due step (repeating) still goes, with it."""
    referral = make_referral(now=timezone.now() - timedelta(hours=3))
    # Test set-up only: the frozen policy's last step sent to the coordinator.
    step5 = EscalationStep.objects.get(policy=referral.escalation_policy, position=5)
    step5.recipient = "on_call_coordinator"
    step5.save()
    run(timezone.now())
    ack = clock_of(referral, "acknowledgement")
    sent = Escalation.objects.filter(clock=ack, superseded_by__isnull=True)
    assert sorted(e.step.position for e in sent) == [3, 4, 5]  # 3 repeats, 5 does not


def test_catch_up_without_anyone_to_reach_still_records_a_failed_delivery(world, make_referral):
    referral = make_referral(now=timezone.now() - timedelta(minutes=31))
    run(timezone.now())
    ack = clock_of(referral, "acknowledgement")
    (failed,) = Delivery.objects.filter(escalation__clock=ack, channel=Channel.IN_APP)
    assert failed.status == "failed" and failed.escalation.step.position == 3
    assert "UTC" not in failed.last_error


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_catch_up_exactly_once(on_call):
    """Two sweeps on their own connections, small batches so they
    interleave: every step recorded once, superseded once, sent once."""
    start = timezone.now() - timedelta(minutes=45)
    for _ in range(120):
        ReferralFactory(
            user=on_call.referrer, organisation=on_call.gp, service=on_call.service, now=start
        )
    now = timezone.now()
    barrier = threading.Barrier(2)
    results = []

    def one_sweep() -> None:
        barrier.wait()
        try:
            results.append(sweep(now=now, enqueue=lambda ids: None, batch_size=10))
        finally:
            connection.close()

    threads = [threading.Thread(target=one_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(len(r.escalations) > 0 for r in results)  # both sweeps did work
    # Per acknowledgement clock: steps 1-3 raised (15 min after due), 1 and 2 superseded.
    assert Escalation.objects.count() == sum(len(r.escalations) for r in results) == 120 * 3
    assert Escalation.objects.filter(superseded_by__isnull=False).count() == 240
    assert sum(r.superseded for r in results) == 240
    own = Delivery.objects.filter(channel=Channel.IN_APP, escalation__isnull=False)
    assert own.count() == 120
    # 360 escalations in one sweep pass the storm threshold (50): both sweeps
    # saw a storm, and the coordinator got one summary (once an hour), not two.
    assert Delivery.objects.filter(channel=Channel.IN_APP, escalation__isnull=True).count() == 1
    assert (
        Delivery.objects.filter(channel=Channel.IN_APP, escalation__isnull=False)
        .values("escalation__clock")
        .distinct()
        .count()
        == 120
    )


# --- Acknowledge per clock; read ----------------------------------------------------


@pytest.fixture
def two_clocks(on_call, make_referral):
    """A referral with both its acknowledgement clock (steps 3, 4 sent) and
    its MRI clock (25% warning sent) escalated."""
    referral = make_referral(now=timezone.now() - timedelta(hours=19))
    run(timezone.now())
    for delivery in Delivery.objects.filter(channel=Channel.IN_APP):
        delivery_send(delivery_id=delivery.pk, now=timezone.now())
    return referral


def test_one_acknowledge_covers_the_clocks_escalations_never_another_clocks(on_call, two_clocks):
    ack = clock_of(two_clocks, "acknowledgement")
    mri = clock_of(two_clocks, "mri")
    step3 = Escalation.objects.get(clock=ack, step__position=3)
    now = timezone.now()
    done = clock_escalations_acknowledge(escalation_id=step3.pk, user=on_call.coordinator, now=now)
    assert done[0].pk == step3.pk
    assert {e.clock_id for e in done} == {ack.pk}
    for row in Escalation.objects.filter(clock=ack):
        assert (row.acknowledged_by, row.acknowledged_at, row.next_repeat_at) == (
            on_call.coordinator,
            now,
            None,
        )
    assert not Escalation.objects.filter(clock=mri, acknowledged_at__isnull=False).exists()
    # The acknowledged clock's notifications are read, for everyone they reached;
    # the MRI clock's is still unread.
    assert not Delivery.objects.filter(
        escalation__clock=ack, channel=Channel.IN_APP, read_at__isnull=True
    ).exists()
    assert Delivery.objects.filter(
        escalation__clock=mri, channel=Channel.IN_APP, read_at__isnull=True
    ).exists()
    with pytest.raises(Conflict):
        escalation_acknowledge(escalation_id=step3.pk, user=on_call.senior, now=now)


def test_the_api_acknowledge_covers_the_clock(on_call, two_clocks, api):
    ack = clock_of(two_clocks, "acknowledgement")
    step4 = Escalation.objects.get(clock=ack, step__position=4)
    answer = api(on_call.senior).post(f"/api/v1/escalations/{step4.pk}/acknowledge/")
    assert answer.status_code == 200
    assert answer.json()["id"] == str(step4.pk)
    assert not Escalation.objects.filter(clock=ack, acknowledged_at__isnull=True).exists()
    assert Escalation.objects.filter(clock__kind="mri", acknowledged_at__isnull=True).exists()
    again = api(on_call.senior).post(f"/api/v1/escalations/{step4.pk}/acknowledge/")
    assert again.status_code == 409


def test_a_later_step_after_an_acknowledge_is_acknowledged_by_the_next(on_call, make_referral):
    referral = make_referral(now=timezone.now() - timedelta(minutes=31))
    run(timezone.now())
    ack = clock_of(referral, "acknowledgement")
    step3 = Escalation.objects.get(clock=ack, step__position=3)
    escalation_acknowledge(escalation_id=step3.pk, user=on_call.coordinator, now=timezone.now())
    run(timezone.now() + timedelta(minutes=30))  # the senior's step comes anyway
    step4 = Escalation.objects.get(clock=ack, step__position=4)
    assert step4.acknowledged_at is None
    done = clock_escalations_acknowledge(
        escalation_id=step3.pk, user=on_call.senior, now=timezone.now()
    )
    assert [e.pk for e in done] == [step3.pk, step4.pk]


def test_read_only_when_acknowledged_or_marked(on_call, two_clocks):
    user = on_call.coordinator
    unread = inbox_unread_count(user=user)
    assert unread == 2  # step 3 of acknowledgement, the MRI warning
    mri_delivery = Delivery.objects.get(
        escalation__clock__kind="mri", channel=Channel.IN_APP, recipient=user
    )
    notification_mark_read(delivery_id=mri_delivery.pk, user=user, now=timezone.now())
    assert inbox_unread_count(user=user) == 1
    ack_delivery = Delivery.objects.get(
        escalation__clock__kind="acknowledgement", channel=Channel.IN_APP, recipient=user
    )
    # Another person's notification is not theirs to mark.
    assert (
        notifications_mark_read(
            delivery_ids=[ack_delivery.pk], user=on_call.senior, now=timezone.now()
        )
        == 0
    )
    assert (
        notifications_mark_read(delivery_ids=[ack_delivery.pk], user=user, now=timezone.now()) == 1
    )
    assert inbox_unread_count(user=user) == 0


# --- Storm guard ------------------------------------------------------------------


def _flood(world, count: int, start: datetime) -> None:
    for _ in range(count):
        ReferralFactory(
            user=world.referrer, organisation=world.gp, service=world.service, now=start
        )


def test_below_the_threshold_no_storm_notice(on_call, settings):
    settings.MSCC_ESCALATION_STORM_THRESHOLD = 6
    _flood(on_call, 2, timezone.now() - timedelta(minutes=31))  # 6 escalations
    result, _ = run(timezone.now())
    assert len(result.escalations) == 6 and result.storm_notices == 0
    assert not Delivery.objects.filter(escalation__isnull=True).exists()


def test_past_the_threshold_one_summary_to_the_on_call_coordinator(
    on_call, settings, django_capture_on_commit_callbacks
):
    settings.MSCC_ESCALATION_STORM_THRESHOLD = 6
    _flood(on_call, 3, timezone.now() - timedelta(minutes=31))  # 9 escalations
    with django_capture_on_commit_callbacks(execute=True):
        result, queued = run(timezone.now())
    notices = Delivery.objects.filter(escalation__isnull=True)
    assert sorted(notices.values_list("channel", flat=True)) == ["email", "in_app"]
    assert {n.recipient for n in notices} == {on_call.coordinator}
    notice = notices.get(channel=Channel.IN_APP)
    assert notice.subject == "A-MSCC: 3 referrals raised 9 escalations at once — open the queue"
    assert "/queue/" in notice.body and "acknowledges, replaces and silences none" in notice.body
    assert str(notice.pk) in queued
    # It takes nothing from the referrals' own escalations.
    assert Escalation.objects.filter(acknowledged_at__isnull=False).count() == 0
    assert Delivery.objects.filter(escalation__isnull=False, channel=Channel.IN_APP).count() == 3
    assert result.storm_notices == 2


def test_the_storm_notice_is_sent_once_an_hour(on_call, settings):
    """Sweeps as of fixed instants (as ``sweep_clocks --now`` runs them)."""
    settings.MSCC_ESCALATION_STORM_THRESHOLD = 3
    now = timezone.now().replace(minute=10, second=0, microsecond=0)
    _flood(on_call, 2, now - timedelta(minutes=31))
    first, _ = run(now)
    _flood(on_call, 2, now - timedelta(minutes=11))
    second, _ = run(now + timedelta(minutes=20))  # a storm again, the same UK hour
    assert (first.storm_notices, second.storm_notices) == (2, 0)
    assert len(second.escalations) == 6  # the referrals' own escalations still raised
    _flood(on_call, 2, now + timedelta(minutes=29))
    third, _ = run(now + timedelta(minutes=61))  # the next hour: a new summary
    assert third.storm_notices == 2
    assert Delivery.objects.filter(escalation__isnull=True).count() == 4


def test_a_storm_with_nobody_on_call_goes_to_the_lead(world, settings):
    settings.MSCC_ESCALATION_STORM_THRESHOLD = 1
    lead = with_lead(world)
    _flood(world, 1, timezone.now() - timedelta(minutes=31))
    run(timezone.now())
    notice = Delivery.objects.get(escalation__isnull=True, channel=Channel.IN_APP)
    assert notice.recipient == lead


def test_a_storm_goes_to_nobody_rather_than_a_lead_who_has_left(world, settings):
    settings.MSCC_ESCALATION_STORM_THRESHOLD = 1
    lead = with_lead(world)
    lead.is_active = False
    lead.save()
    _flood(world, 1, timezone.now() - timedelta(minutes=31))
    run(timezone.now())
    assert not Delivery.objects.filter(escalation__isnull=True, recipient=lead).exists()


def _what_every_step_would_send(escalations) -> int:
    """Deliveries before issue 11: every raised step sent on each of its
    channels (the webhook only where the service has a gateway)."""
    return sum(
        sum(
            1
            for channel in e.step.channels
            if channel != Channel.WEBHOOK or e.clock.referral.service.webhook_url
        )
        for e in escalations
    )


def test_the_issues_catch_up_before_and_after(on_call, make_referral, capsys):
    """The figure for the report: 3 referrals first swept 31 minutes after
    receipt, the service with a pager gateway."""
    on_call.service.webhook_url = "https://gateway.example.invalid/hook"
    on_call.service.save()
    start = timezone.now() - timedelta(minutes=31)
    for _ in range(3):
        make_referral(now=start)
    result, _ = run(timezone.now())
    before = _what_every_step_would_send(result.escalations)
    in_app_before = sum(Channel.IN_APP in e.step.channels for e in result.escalations)
    after = Delivery.objects.count()
    in_app_after = Delivery.objects.filter(channel=Channel.IN_APP).count()
    with capsys.disabled():
        print(
            f"\ncatch-up, 3 referrals: deliveries {before} -> {after}, "
            f"in-app notifications {in_app_before} -> {in_app_after}"
        )
    assert (before, in_app_before) == (18, 9)
    assert (after, in_app_after) == (9, 3)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_flood_raises_every_referrals_escalations_and_one_storm_summary(on_call, capsys):
    """A flood from one referrer (the issue's 3,691 in 45 s, scaled down):
    every referral's own escalations are raised and sent as usual, none is
    acknowledged or superseded by another's, and the coordinator gets one
    summary however many sweeps see the storm within the hour."""
    start = timezone.now() - timedelta(minutes=31)
    _flood(on_call, 300, start)
    first = sweep(now=timezone.now(), enqueue=lambda ids: None, batch_size=100)
    second = sweep(now=timezone.now() + timedelta(seconds=5), enqueue=lambda ids: None)
    assert len(first.escalations) == 900 and first.superseded == 600
    own = Delivery.objects.filter(escalation__isnull=False, channel=Channel.IN_APP)
    assert own.count() == 300
    assert own.values("escalation__clock").distinct().count() == 300
    # Superseding never crosses clocks: each superseded step points at its own clock's step.
    for row in Escalation.objects.filter(superseded_by__isnull=False).select_related(
        "superseded_by"
    ):
        assert row.superseded_by.clock_id == row.clock_id
    assert not Escalation.objects.filter(acknowledged_at__isnull=False).exists()
    summary = Delivery.objects.filter(escalation__isnull=True)
    assert sorted(summary.values_list("channel", flat=True)) == ["email", "in_app"]
    assert summary.get(channel=Channel.IN_APP).recipient == on_call.coordinator
    assert "300 referrals raised 900 escalations" in summary.first().subject
    assert first.storm_notices == 2 and second.storm_notices == 0
    with capsys.disabled():
        print(
            f"\nflood of 300: {len(first.escalations)} escalations, {first.superseded} "
            f"superseded, {first.deliveries} deliveries, {first.storm_notices} storm notices"
        )


def test_the_referral_api_says_which_steps_were_superseded(on_call, make_referral, api):
    referral = make_referral(now=timezone.now() - timedelta(minutes=31))
    run(timezone.now())
    detail = api(on_call.coordinator).get(f"/api/v1/referrals/{referral.pk}/").json()
    by_step = {e["step"]: e for e in detail["escalations"] if e["clock"] == "acknowledgement"}
    step3 = by_step[3]["id"]
    assert by_step[1]["superseded_by"] == by_step[2]["superseded_by"] == step3
    assert by_step[1]["superseded_at"] is not None and by_step[1]["deliveries"] == []
    assert by_step[3]["superseded_by"] is None and by_step[3]["deliveries"]
