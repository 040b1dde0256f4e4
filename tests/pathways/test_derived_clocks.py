"""Clocks are derived from the events that stand (docs/architecture.md).

The property: whatever the order events are recorded in, and whatever is
withdrawn as entered in error, a referral's clocks are the clocks of a
referral on which only the standing events were recorded, compared by (kind,
status, started_at, due_at, stopped_at). Clocks whose start no longer stands
are kept for the history, cancelled and void, and left out of the comparison.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.services import (
    referral_clock_not_appropriate,
    referral_event_add,
    referral_override_category,
    referral_status_change,
)
from notifications.models import Escalation
from notifications.services.sweep import sweep
from pathways import clock_derivation as derivation
from pathways.codes import ClockStatus
from pathways.models import ClinicalEvent, Clock
from referrals.models import Referral

STATUS = "/api/v1/referrals/{}/status/"
EVENTS = "/api/v1/referrals/{}/events/"

# Every event kind that starts, stops or cancels a clock of the NG234
# defaults, and one that touches none; died (terminal) has its own tests.
KINDS = [
    "advice_given",
    "mri_performed",
    "immobilisation_started",
    "stability_advice_given",
    "rt_decision",
    "rt_delivered",
    "surgery_decision",
    "surgery_performed",
    "dexamethasone_given",
    "mscc_ruled_out",
    "spinal_metastases_ruled_out",
    "mscc_confirmed",
    "ct_performed",
    "admitted",
]

event_st = st.tuples(
    st.sampled_from(KINDS),
    st.integers(min_value=0, max_value=70 * 60),  # minutes after the referral
    st.booleans(),  # entered in error (withdrawn later)
)
scenario_st = st.tuples(
    st.lists(event_st, min_size=1, max_size=7),
    st.randoms(use_true_random=False),
    st.sampled_from([None, "suspected_spinal_metastases", "suspected_mscc"]),
)


def record(referral, user, now, kind, occurred_at, **extra):
    """A clinical event through the workflow, as the API records it."""
    return referral_event_add(
        referral=referral, user=user, now=now, kind=kind, occurred_at=occurred_at, **extra
    )


def standing_clocks(referral):
    return sorted(
        (c.kind, c.status, c.started_at, c.due_at, c.stopped_at)
        for c in Clock.objects.filter(referral=referral, void=False)
    )


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(scenario=scenario_st)
def test_any_order_and_any_withdrawal_give_the_clocks_of_the_standing_events(
    world, make_referral, scenario
):
    events, rnd, category = scenario
    now = timezone.now()
    received = now - timedelta(hours=72)
    clinical = {"neuro_features": ["limb_weakness"]}

    def make():
        referral = make_referral(now=received, **clinical)
        if category and category != referral.category:
            referral_override_category(
                referral=referral,
                user=world.coordinator,
                now=received + timedelta(minutes=5),
                category=category,
                reason="Clinical judgement.",
            )
        return referral

    # A: every event, in a shuffled order, each mistake withdrawn at a
    # random later point of the recording.
    shuffled = list(events)
    rnd.shuffle(shuffled)
    first = make()
    steps: list[tuple[str, int]] = [("record", i) for i in range(len(shuffled))]
    for i, (_, _, mistaken) in enumerate(shuffled):
        if mistaken:
            at = rnd.randint(steps.index(("record", i)) + 1, len(steps))
            steps.insert(at, ("withdraw", i))
    recorded: dict[int, ClinicalEvent] = {}
    for action, i in steps:
        kind, minutes, _ = shuffled[i]
        if action == "record":
            recorded[i] = record(
                first, world.coordinator, now, kind, received + timedelta(minutes=minutes)
            )
        else:
            record(
                first,
                world.coordinator,
                now,
                "entered_in_error",
                now,
                details="Wrong patient.",
                corrects=recorded[i].pk,
            )

    # B: only the standing events, in the order they happened.
    second = make()
    for kind, minutes, mistaken in sorted(events, key=lambda e: e[1]):
        if not mistaken:
            record(second, world.coordinator, now, kind, received + timedelta(minutes=minutes))

    assert standing_clocks(first) == standing_clocks(second)
    # One running clock of a kind at most (also a database constraint).
    running = [c.kind for c in Clock.objects.filter(referral=first, status="running")]
    assert len(running) == len(set(running))


def _definitions():
    return (
        derivation.Definition(1, "acknowledgement", frozenset({"a"}), "referral_received",
                              "acknowledged", timedelta(minutes=30), "local"),
        derivation.Definition(2, "stability_advice", frozenset({"a"}), "immobilisation_started",
                              "stability_advice_given", timedelta(hours=24), "1.4.4"),
        derivation.Definition(3, "radiotherapy", frozenset({"a"}), "rt_decision",
                              "rt_delivered", timedelta(hours=24), "1.10.4"),
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "acknowledged",
                    "immobilisation_started",
                    "stability_advice_given",
                    "rt_decision",
                    "rt_delivered",
                    "mscc_ruled_out",
                    "died",
                ]
            ),
            st.integers(min_value=-600, max_value=3000),
        ),
        max_size=10,
    ),
    rnd=st.randoms(use_true_random=False),
)
def test_the_derivation_depends_on_what_stands_not_on_the_order_given(events, rnd):
    """The pure derivation, fast and many times: a permutation of the same
    events gives the same clocks, and no kind ever has two running."""
    start = timezone.now()
    evs = [
        derivation.Event(i, kind, start + timedelta(minutes=m))
        for i, (kind, m) in enumerate(events)
    ]
    inputs = {
        "definitions": _definitions(),
        "received_at": start,
        "suspected_at": start,
        "triage_category": "a",
        "category": "a",
        "imaging_findings": "none",
    }
    shuffled = list(evs)
    rnd.shuffle(shuffled)
    one = derivation.derive(derivation.Inputs(events=tuple(evs), **inputs))
    two = derivation.derive(derivation.Inputs(events=tuple(shuffled), **inputs))
    assert one == two
    running = [c.kind for c in one if c.status == ClockStatus.RUNNING]
    assert len(running) == len(set(running))
    for clock in one:
        assert clock.stopped_at is None or clock.stopped_at >= clock.started_at


def test_withdrawing_a_mistaken_ruling_out_restores_the_radiotherapy_clock_it_prevented(
    world, make_referral
):
    """Under the old event-by-event engine a radiotherapy decision recorded
    after a mistaken ruling out never got its clock, even once the mistake
    was withdrawn. (Changed for NG234, docs/clinical-rules.md, section 4: the ruling out that ends
    the clocks is now "spinal metastases and MSCC ruled out"; "MSCC ruled
    out" alone leaves spinal metastases' standards running.)"""
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=10))
    ruled_out = record(
        referral, world.coordinator, now, "spinal_metastases_ruled_out", now - timedelta(hours=9)
    )
    record(referral, world.coordinator, now, "rt_decision", now - timedelta(hours=2))
    assert not Clock.objects.filter(referral=referral, kind="radiotherapy").exists()
    mri = Clock.objects.get(referral=referral, kind="mri")
    assert mri.status == ClockStatus.CANCELLED

    record(
        referral,
        world.coordinator,
        now,
        "entered_in_error",
        now,
        details="Ruled out on the wrong patient's scan.",
        corrects=ruled_out.pk,
    )
    rt = Clock.objects.get(referral=referral, kind="radiotherapy")
    assert (rt.status, rt.started_at, rt.due_at) == (
        ClockStatus.RUNNING,
        now - timedelta(hours=2),
        now + timedelta(hours=22),
    )
    assert rt.next_escalation_at is not None  # the schedule followed
    mri.refresh_from_db()
    # The same clock row runs again, against its original due time.
    assert (mri.status, mri.stopped_at) == (ClockStatus.RUNNING, None)
    assert mri.due_at == referral.suspected_at + timedelta(hours=24)


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        ("withdrawn", {"reason": "Referred to the wrong service."}),
        ("closed_not_mscc", {"reason": "Scan reviewed."}),
        ("redirected", {"reason": "Wrong pathway.", "redirected_to": "Spinal surgery"}),
        ("died", {"occurred_at": "PAST"}),
    ],
)
def test_a_terminal_move_entered_in_error_is_reversed_with_its_original_due_times(
    world, api, make_referral, status, fields
):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=2))
    before = {c.pk: (c.started_at, c.due_at) for c in Clock.objects.filter(referral=referral)}
    if fields.get("occurred_at") == "PAST":
        fields = {"occurred_at": (now - timedelta(minutes=10)).isoformat()}
    closed = api(world.coordinator).post(
        STATUS.format(referral.pk), {"status": status, **fields}, format="json"
    )
    assert closed.status_code == 200, closed.content
    assert {c["status"] for c in closed.json()["clocks"]} == {"cancelled"}

    # Back to anything but the state held before: refused, nothing changes.
    wrong = api(world.coordinator).post(
        STATUS.format(referral.pk), {"status": "investigating", "reason": "x"}, format="json"
    )
    assert wrong.status_code == 409
    # Back to it without a reason: refused by name.
    bare = api(world.coordinator).post(
        STATUS.format(referral.pk), {"status": "received"}, format="json"
    )
    assert bare.status_code == 400 and "reason" in bare.json()

    reopened = api(world.coordinator).post(
        STATUS.format(referral.pk),
        {"status": "received", "reason": "Entered on the wrong referral."},
        format="json",
    )
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["status"] == "received"
    clocks = Clock.objects.filter(referral=referral)
    assert {c.pk: (c.started_at, c.due_at) for c in clocks} == before  # same rows, same times
    assert {c.status for c in clocks} == {ClockStatus.RUNNING}
    assert not clocks.filter(void=True).exists()
    # Back in the queue, and events from before the closure can be recorded.
    queue = api(world.coordinator).get("/api/v1/queue/").json()
    assert str(referral.pk) in {r["id"] for r in queue["results"]}
    earlier = api(world.coordinator).post(
        EVENTS.format(referral.pk),
        {"kind": "mri_performed", "occurred_at": (now - timedelta(minutes=90)).isoformat()},
        format="json",
    )
    assert earlier.status_code == 201, earlier.content
    assert Clock.objects.get(referral=referral, kind="mri").status == ClockStatus.MET


def test_a_death_entered_in_error_is_withdrawn_and_the_referral_reopens(world, make_referral):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=3))
    died = record(referral, world.coordinator, now, "died", now - timedelta(hours=1))
    assert Referral.objects.get(pk=referral.pk).status == "died"
    record(
        referral,
        world.coordinator,
        now,
        "entered_in_error",
        now,
        details="Another patient with the same name.",
        corrects=died.pk,
    )
    referral.refresh_from_db()
    assert referral.status == "received"
    assert set(Clock.objects.filter(referral=referral).values_list("status", flat=True)) == {
        ClockStatus.RUNNING
    }


def test_a_clock_the_recompute_makes_overdue_is_escalated_once_per_step(world, make_referral):
    """Reopening a clock long past its due time raises each step the sweep
    finds due, once: never a second escalation for a step already raised."""
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=30))
    sweep(now=now - timedelta(hours=29), enqueue=lambda ids: None)
    raised_before = Escalation.objects.filter(clock__referral=referral).count()
    mri = record(
        referral,
        world.coordinator,
        now - timedelta(hours=28),
        "mri_performed",
        now - timedelta(hours=28),
    )
    record(
        referral,
        world.coordinator,
        now,
        "entered_in_error",
        now,
        details="Booked, not performed.",
        corrects=mri.pk,
    )
    clock = Clock.objects.get(referral=referral, kind="mri")
    assert clock.status == ClockStatus.RUNNING and clock.next_escalation_at <= now
    sweep(now=now, enqueue=lambda ids: None)
    sweep(now=now + timedelta(seconds=1), enqueue=lambda ids: None)
    steps = list(Escalation.objects.filter(clock=clock).values_list("step_id", flat=True))
    assert len(steps) == len(set(steps))
    assert Escalation.objects.filter(clock__referral=referral).count() > raised_before


def test_the_migration_recomputes_clocks_patched_by_the_old_engine(world, make_referral):
    """coordinator/migrations/0001_ng234_triage_corrections.py, recompute_all:
    a clock the old engine left cancelled although nothing that stands
    cancels it runs again, keeps its row and due time, is
    rescheduled, and is escalated by the next sweep once per step."""
    from importlib import import_module

    recompute_all = import_module(
        "coordinator.migrations.0001_ng234_triage_corrections"
    ).recompute_all
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=30))
    mri = Clock.objects.get(referral=referral, kind="mri")
    due = mri.due_at
    # What the old engine could leave behind: cancelled by an event since withdrawn.
    Clock.objects.filter(pk=mri.pk).update(
        status=ClockStatus.CANCELLED, stopped_at=now, next_escalation_at=None
    )
    assert recompute_all(None, None) >= 1
    mri.refresh_from_db()
    assert (mri.status, mri.stopped_at, mri.due_at) == (ClockStatus.RUNNING, None, due)
    assert mri.next_escalation_at is not None and mri.next_escalation_at <= now
    sweep(now=now, enqueue=lambda ids: None)
    sweep(now=now + timedelta(seconds=1), enqueue=lambda ids: None)
    steps = list(Escalation.objects.filter(clock=mri).values_list("step_id", flat=True))
    assert steps and len(steps) == len(set(steps))
    assert recompute_all(None, None) == 0  # idempotent


def test_a_referral_closed_before_the_field_existed_learns_its_state_from_history(
    world, make_referral
):
    """referrals/0006_derived_clocks backfills status_before_close from the
    history, so an old closure entered in error can be reversed too."""
    from importlib import import_module

    from django.apps import apps

    backfill = import_module(
        "referrals.migrations.0006_derived_clocks"
    ).backfill_status_before_close
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=2))
    referral_status_change(
        referral=referral, user=world.coordinator, now=now, status="withdrawn", reason="x"
    )
    Referral.objects.filter(pk=referral.pk).update(status_before_close="")  # as before
    backfill(apps, None)
    referral.refresh_from_db()
    assert referral.status_before_close == "received"


def test_rows_the_old_engine_left_twice_under_one_identity_do_not_break_a_recompute(
    world, make_referral
):
    """The old engine restarted intake clocks when a category was changed and
    changed back, leaving two rows of one definition: the recompute keeps one
    (the running one) and voids the other, never two running clocks of a kind."""
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=3))
    mri = Clock.objects.get(referral=referral, kind="mri")
    stale = Clock.objects.create(
        referral=referral,
        definition=mri.definition,
        kind="mri",
        target=mri.target,
        reference=mri.reference,
        started_at=mri.started_at,
        due_at=mri.due_at,
        stopped_at=now - timedelta(hours=2),
        status=ClockStatus.CANCELLED,
        stop_reason="Category changed (old engine).",
    )
    record(referral, world.coordinator, now, "admitted", now - timedelta(minutes=5))
    mri.refresh_from_db()
    stale.refresh_from_db()
    assert (mri.status, mri.void) == (ClockStatus.RUNNING, False)
    assert (stale.status, stale.void) == (ClockStatus.CANCELLED, True)


def test_clocks_of_every_category_a_referral_passed_through_stand(world, make_referral):
    """Suspected MSCC, then suspected spinal metastases an hour in, an MRI at
    30 hours, then oncology assessment at 40 hours: each category's clocks
    are judged in the stretch it applied, none is lost or stretched."""
    start = timezone.now() - timedelta(hours=48)
    referral = make_referral(now=start)
    coordinator = world.coordinator
    referral_override_category(
        referral=referral,
        user=coordinator,
        now=start + timedelta(hours=1),
        category="suspected_spinal_metastases",
        reason="No neurological deficit on examination.",
    )
    record(referral, coordinator, start + timedelta(hours=31), "mri_performed",
           start + timedelta(hours=30))  # fmt: skip
    referral_override_category(
        referral=referral,
        user=coordinator,
        now=start + timedelta(hours=40),
        category="oncology_assessment",
        reason="No cancer after all: assessment by oncology.",
    )
    clocks = {(c.kind, c.target): c for c in Clock.objects.filter(referral=referral, void=False)}
    mri_24 = clocks[("mri", timedelta(hours=24))]
    assert (mri_24.status, mri_24.stopped_at) == (
        ClockStatus.CANCELLED,
        start + timedelta(hours=1),
    )
    mri_week = clocks[("mri", timedelta(days=7))]
    assert (mri_week.status, mri_week.stopped_at) == (
        ClockStatus.MET,
        start + timedelta(hours=30),
    )
    advice = clocks[("advice", timedelta(hours=24))]
    assert (advice.status, advice.stopped_at) == (
        ClockStatus.CANCELLED,
        start + timedelta(hours=40),
    )
    assert "oncology" in advice.stop_reason.lower()


def test_an_earlier_start_recorded_later_keeps_the_clock_its_escalations_and_marking(
    world, make_referral
):
    """Immobilisation recorded, escalated and marked not appropriate; then an
    earlier immobilisation is recorded: the same clock row takes the earlier
    start, keeps its escalations (none raised twice) and its marking."""
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=30))
    record(referral, world.coordinator, now - timedelta(hours=20), "immobilisation_started",
           now - timedelta(hours=20))  # fmt: skip
    clock = Clock.objects.get(referral=referral, kind="stability_advice")
    sweep(now=now - timedelta(hours=1), enqueue=lambda ids: None)
    raised = set(Escalation.objects.filter(clock=clock).values_list("step_id", flat=True))
    assert raised
    record(referral, world.coordinator, now, "immobilisation_started", now - timedelta(hours=22))
    rows = Clock.objects.filter(referral=referral, kind="stability_advice")
    assert [r.pk for r in rows] == [clock.pk]
    clock.refresh_from_db()
    assert (clock.started_at, clock.status) == (now - timedelta(hours=22), ClockStatus.RUNNING)
    sweep(now=now, enqueue=lambda ids: None)
    steps = list(Escalation.objects.filter(clock=clock).values_list("step_id", flat=True))
    assert len(steps) == len(set(steps))

    # Marked not appropriate, then an earlier start again: the marking stays
    # with the clock, which stays out of the standard and silent.
    referral_clock_not_appropriate(
        referral=referral, clock_id=clock.pk, reason="Declined.", user=world.coordinator, now=now
    )
    record(referral, world.coordinator, now, "immobilisation_started", now - timedelta(hours=23))
    rows = Clock.objects.filter(referral=referral, kind="stability_advice")
    assert [r.pk for r in rows] == [clock.pk]
    clock.refresh_from_db()
    assert clock.started_at == now - timedelta(hours=23)
    assert (clock.not_appropriate, clock.status) == (True, ClockStatus.CANCELLED)
    assert clock.next_escalation_at is None


def test_reopening_a_redirection_entered_in_error_clears_where_it_went(world, make_referral):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(hours=1))
    referral_status_change(
        referral=referral,
        user=world.coordinator,
        now=now,
        status="redirected",
        reason="Wrong pathway.",
        redirected_to="Spinal surgery",
    )
    referral_status_change(
        referral=referral, user=world.coordinator, now=now, status="received", reason="Mistake."
    )
    referral.refresh_from_db()
    assert (referral.status, referral.redirected_to) == ("received", "")


def test_ct_or_myelography_where_mri_is_contraindicated_stops_the_mri_clock(world, make_referral):
    """NG234 1.5.7 / 1.5.8: CT (rarely myelography after CT) where MRI is
    contraindicated is the imaging the MRI standard waited for, for both
    urgent categories; the MRI advice goes once it is done."""
    from coordinator.selectors import referral_detail, referral_prompts

    now = timezone.now()
    for kind, clinical in (
        ("ct_performed", {}),
        ("myelography_performed", {"neuro_features": [], "pain_features": ["progressive"]}),
    ):
        referral = make_referral(now=now - timedelta(hours=5), **clinical)
        record(referral, world.coordinator, now, kind, now - timedelta(hours=1))
        mri = Clock.objects.get(referral=referral, kind="mri")
        assert (mri.status, mri.stopped_at) == (ClockStatus.MET, now - timedelta(hours=1))
        shown = referral_detail(user=world.coordinator).get(pk=referral.pk)
        codes = {p.code for p in referral_prompts(shown)}
        assert not codes & {"mri_within_24_hours", "mri_within_1_week", "ct_if_mri_contraindicated"}
