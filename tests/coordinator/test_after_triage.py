"""Clocks after triage through the service (docs/clinical-rules.md, section 4): measured
clocks never escalate and queue after timed ones; ambulatory_assessed; the
data migration coordinator/0002 that brings existing services and open
referrals under the corrected clocks."""

from datetime import timedelta
from importlib import import_module

from django.utils import timezone

from coordinator.services import referral_event_add
from notifications.models import Escalation
from notifications.services.sweep import sweep
from pathways.models import ClinicalEvent, Clock, PathwayVersion
from pathways.selectors import pathway_version_current
from pathways.services import clocks_recompute
from referrals.models import Referral

after_triage = import_module("coordinator.migrations.0002_ng234_after_triage").after_triage
MSCC = "suspected_mscc"
SSM = "suspected_spinal_metastases"
EVENTS = "/api/v1/referrals/{}/events/"


def record(referral, user, kind, occurred_at, **extra):
    return referral_event_add(
        referral=referral,
        user=user,
        now=timezone.now(),
        kind=kind,
        occurred_at=occurred_at,
        **extra,
    )


def test_a_measured_clock_is_never_escalated(world, make_referral):
    now = timezone.now()
    referral = make_referral(now=now - timedelta(days=1))
    record(referral, world.coordinator, "surgery_decision", now - timedelta(hours=23))
    record(referral, world.coordinator, "surgery_performed", now - timedelta(hours=20))
    record(referral, world.coordinator, "rt_decision", now - timedelta(hours=19))
    rt = Clock.objects.get(referral=referral, kind="radiotherapy", void=False)
    assert (rt.status, rt.due_at, rt.target, rt.next_escalation_at) == ("running", None, None, None)
    dex = Clock.objects.get(referral=referral, kind="dexamethasone")
    assert (dex.due_at, dex.next_escalation_at) == (None, None)

    sweep(now=now + timedelta(days=30), enqueue=lambda ids: None)
    escalated = set(Escalation.objects.values_list("clock__kind", flat=True))
    assert "acknowledgement" in escalated  # the sweep ran and raised the timed ones
    assert not escalated & {"radiotherapy", "dexamethasone", "surgery"}


def test_the_queue_orders_measured_clocks_after_timed_ones(world, api, make_referral):
    now = timezone.now()
    # Earlier, but only a measured clock still runs: acknowledged, scanned.
    only_measured = make_referral(now=now - timedelta(hours=5))
    record(only_measured, world.coordinator, "acknowledged", now - timedelta(hours=4))
    record(only_measured, world.coordinator, "mri_performed", now - timedelta(hours=3))
    running = Clock.objects.filter(referral=only_measured, status="running", void=False)
    assert [(c.kind, c.due_at) for c in running] == [("dexamethasone", None)]
    timed = make_referral(now=now - timedelta(hours=1))

    queue = api(world.coordinator).get("/api/v1/queue/").json()["results"]
    ids = [r["id"] for r in queue]
    assert ids.index(str(timed.pk)) < ids.index(str(only_measured.pk))
    row = next(r for r in queue if r["id"] == str(only_measured.pk))
    [dex] = [c for c in row["clocks"] if c["kind"] == "dexamethasone"]
    assert (dex["due_at"], dex["target_hours"], dex["measured"], dex["time_left"]) == (
        None,
        None,
        True,
        None,
    )


def test_ambulatory_assessed_records_whether_the_person_walks(world, api, make_referral):
    referral = make_referral()
    client = api(world.coordinator)
    url = EVENTS.format(referral.pk)

    missing = client.post(url, {"kind": "ambulatory_assessed"}, format="json")
    assert missing.status_code == 400 and "ambulatory" in missing.json()
    misplaced = client.post(url, {"kind": "admitted", "ambulatory": True}, format="json")
    assert misplaced.status_code == 400 and "ambulatory" in misplaced.json()
    not_boolean = client.post(
        url, {"kind": "ambulatory_assessed", "ambulatory": "perhaps"}, format="json"
    )
    assert not_boolean.status_code == 400 and "ambulatory" in not_boolean.json()
    assert not ClinicalEvent.objects.filter(referral=referral).exists()  # nothing stored

    done = client.post(url, {"kind": "ambulatory_assessed", "ambulatory": False}, format="json")
    assert done.status_code == 201, done.content
    [event] = [e for e in done.json()["events"] if e["kind"] == "ambulatory_assessed"]
    assert event["ambulatory"] is False
    assert ClinicalEvent.objects.get(referral=referral).ambulatory is False


def test_ambulatory_assessed_is_recorded_on_the_referral_page(world, make_referral):
    from django.test import Client

    referral = make_referral()
    client = Client()
    client.force_login(world.coordinator)
    page = client.get(f"/referrals/{referral.pk}/")
    assert 'name="ambulatory"' in page.content.decode()
    url = f"/referrals/{referral.pk}/events/"
    # The page re-renders with the error beside the field (its convention).
    refused = client.post(url, {"kind": "ambulatory_assessed"})
    assert "Say whether the person can walk" in refused.content.decode()
    assert "Nothing was recorded" in refused.content.decode()
    assert not ClinicalEvent.objects.filter(referral=referral).exists()
    client.post(url, {"kind": "ambulatory_assessed", "ambulatory": "true"})
    assert ClinicalEvent.objects.get(referral=referral, kind="ambulatory_assessed").ambulatory


# --- the data migration --------------------------------------------------------


def _as_before(version, radiotherapy_target=timedelta(hours=24)):
    """What the old default pathway held: one 24-hour radiotherapy clock for
    suspected MSCC and suspected spinal metastases alike, and no dexamethasone
    or surgery clock."""
    definitions = version.clock_definitions
    definitions.filter(kind__in=["dexamethasone", "surgery"]).delete()
    definitions.filter(kind="radiotherapy", target__isnull=True).delete()
    definitions.filter(kind="radiotherapy").update(
        categories=[MSCC, SSM, "oncology_assessment"],  # a local addition, kept
        applies_when="always",
        target=radiotherapy_target,
        justification="Local: radiotherapy unit on another site.",
    )


def _rebuilt(referral):
    referral.refresh_from_db()
    Clock.objects.filter(referral=referral).delete()
    clocks_recompute(referral=referral, user=None, now=referral.received_at)


def test_the_migration_corrects_radiotherapy_and_adds_the_measured_clocks(world, make_referral):
    now = timezone.now()
    old = pathway_version_current(service=world.service)
    _as_before(old, radiotherapy_target=timedelta(hours=30))
    mscc = make_referral(now=now - timedelta(hours=6))
    pain_only = {"neuro_features": [], "pain_features": ["progressive"]}
    ssm = make_referral(now=now - timedelta(hours=6), **pain_only)
    closed = make_referral(now=now - timedelta(hours=6), **pain_only)
    assert ssm.category == SSM
    for referral in (mscc, ssm, closed):
        _rebuilt(referral)
        record(referral, world.coordinator, "rt_decision", now - timedelta(hours=5))
    Referral.objects.filter(pk=closed.pk).update(status="withdrawn", status_changed_at=now)
    ssm_rt = Clock.objects.get(referral=ssm, kind="radiotherapy")
    assert ssm_rt.due_at is not None  # the old, wrong 24-hour clock (here 30 h)

    done = after_triage(None, None)
    assert done["versions"] == 1

    version = pathway_version_current(service=world.service)
    assert version.number == old.number + 1
    radiotherapy = {
        (tuple(d.categories), d.applies_when): d.target
        for d in version.clock_definitions.filter(kind="radiotherapy")
    }
    assert radiotherapy == {
        ((MSCC,), "without_surgery"): timedelta(hours=30),  # the local target kept
        ((MSCC,), "after_surgery"): None,
        ((SSM,), "always"): None,
        (("oncology_assessment",), "always"): timedelta(hours=30),  # the local rest kept
    }
    local = version.clock_definitions.get(kind="radiotherapy", applies_when="without_surgery")
    assert local.justification == "Local: radiotherapy unit on another site."
    kinds = set(version.clock_definitions.values_list("kind", flat=True))
    assert {"dexamethasone", "surgery"} <= kinds

    # Suspected MSCC: the same row, its 30-hour local target.
    rt = Clock.objects.get(referral=mscc, kind="radiotherapy", void=False)
    assert (rt.status, rt.due_at) == ("running", now - timedelta(hours=5) + timedelta(hours=30))
    assert rt.next_escalation_at is not None
    # Spinal metastases without MSCC: measured, no longer escalated.
    ssm.refresh_from_db()
    assert ssm.pathway_version == version
    [rt] = Clock.objects.filter(referral=ssm, kind="radiotherapy", status="running", void=False)
    assert (rt.due_at, rt.next_escalation_at) == (None, None)
    ssm_rt.refresh_from_db()
    assert (ssm_rt.status, ssm_rt.void) == ("cancelled", True)
    # The dexamethasone clock now runs for suspected MSCC.
    assert Clock.objects.filter(referral=mscc, kind="dexamethasone", status="running").exists()
    # A closed referral is left as it was.
    closed.refresh_from_db()
    assert closed.pathway_version == old

    assert after_triage(None, None)["versions"] == 0  # idempotent
    assert PathwayVersion.objects.filter(service=world.service).count() == version.number


def test_the_referral_says_why_its_category_moved(world, api, make_referral):
    from django.test import Client

    referral = make_referral()
    answer = api(world.coordinator).post(
        EVENTS.format(referral.pk), {"kind": "mscc_ruled_out"}, format="json"
    )
    body = answer.json()
    assert (body["triage_category"], body["category"]) == (MSCC, SSM)
    assert body["category_reason"].startswith("MSCC ruled out")
    client = Client()
    client.force_login(world.coordinator)
    page = client.get(f"/referrals/{referral.pk}/").content.decode()
    assert "Changed from <strong>Suspected MSCC (oncological emergency)</strong>" in page
    assert "MSCC ruled out, spinal metastases not ruled out" in page
    # Withdrawn as entered in error: back to triage's category, no reason.
    event = ClinicalEvent.objects.get(referral=referral, kind="mscc_ruled_out")
    undone = api(world.coordinator).post(
        EVENTS.format(referral.pk),
        {"kind": "entered_in_error", "corrects": str(event.pk), "details": "Wrong patient."},
        format="json",
    )
    assert (undone.json()["category"], undone.json()["category_reason"]) == (MSCC, "")
