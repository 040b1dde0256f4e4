"""The queue, the list and the detail load only what they show (issue 12):
their answers are exactly those built from whole rows, as before, and the
hand-built event list is exactly DRF's generic path."""

import json
from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from coordinator.api.serializers import (
    EventOutput,
    EventsOutput,
    ReferralDetailOutput,
    ReferralSummaryOutput,
)
from coordinator.selectors import queue_computed_for, referral_detail
from coordinator.services import (
    referral_event_add,
    referral_event_withdraw,
    referral_link_duplicate,
)
from pathways.models import ClinicalEvent
from referrals.models import Referral
from tests.factories import patient_details


def _fixed_data_set(world, make_referral):
    """Referrals of several categories and states: acknowledged, with events
    (one withdrawn, one with a walking outcome), a duplicate closed into
    another, a measured clock running."""
    now = timezone.now()
    same = patient_details()
    first = make_referral(now=now - timedelta(hours=30), patient=same)
    second = make_referral(now=now - timedelta(hours=29), patient=same)
    mets = make_referral(
        neuro_features=[], pain_features=["mechanical"], now=now - timedelta(hours=5)
    )
    make_referral(cancer_status="current_or_past", neuro_features=[], back_pain=True, now=now)
    user = world.coordinator
    for kind, minutes in (("mri_performed", 600), ("dexamethasone_given", 500), ("admitted", 400)):
        referral_event_add(
            referral=Referral.objects.get(pk=first.pk),
            user=user,
            now=now,
            kind=kind,
            occurred_at=now - timedelta(minutes=minutes),
        )
    referral_event_add(
        referral=Referral.objects.get(pk=mets.pk),
        user=user,
        now=now,
        kind="ambulatory_assessed",
        occurred_at=now - timedelta(hours=1),
        ambulatory=False,
    )
    wrong = ClinicalEvent.objects.get(referral=first, kind="admitted")
    referral_event_withdraw(
        referral=Referral.objects.get(pk=first.pk),
        event_id=wrong.pk,
        reason="Wrong patient",
        user=user,
        now=now,
    )
    referral_link_duplicate(
        referral=Referral.objects.get(pk=second.pk),
        user=user,
        now=now,
        duplicate_of=first.pk,
        reason="Same episode",
    )
    return now


def _whole(user):
    """Whole rows, every relation loaded as it comes (no ``only``)."""
    return (
        Referral.objects.filter(service_id=user.service_id)
        .select_related("patient", "referring_organisation", "service", "pathway_version")
        .prefetch_related("clocks", "events__recorded_by", "mdt_decisions", "scores")
    )


def test_queue_and_list_answers_equal_those_built_from_whole_rows(world, api, make_referral):
    now = _fixed_data_set(world, make_referral)
    user = world.coordinator
    context = {"now": now, "user": user}
    for path, order in (
        ("/api/v1/queue/", [r.pk for r in queue_computed_for(user=user)]),
        (
            "/api/v1/referrals/",
            list(_whole(user).order_by("-received_at").values_list("pk", flat=True)),
        ),
    ):
        # The clock times are judged at the request's own now: compare the
        # answer with one built at that instant, from whole rows.
        body = api(user).get(path).json()["results"]
        whole = {r.pk: r for r in _whole(user)}
        for row in body:
            referral = whole[Referral.objects.get(reference=row["reference"]).pk]
            referral.open_duplicate_reference = row.get("open_duplicate")
            built = ReferralSummaryOutput(referral, context=context).data
            clocks_by_id = {c["id"]: c for c in built["clocks"]}
            assert [c["id"] for c in row["clocks"]] and set(clocks_by_id) == {
                c["id"] for c in row["clocks"]
            }
            for got in row["clocks"]:
                want = clocks_by_id[got["id"]]
                stable = {
                    k: v
                    for k, v in want.items()
                    if k not in ("seconds_left", "time_left", "urgency", "status")
                }
                assert {k: got[k] for k in stable} == stable
            assert {k: v for k, v in row.items() if k != "clocks"} == {
                k: v for k, v in json.loads(json.dumps(built, default=str)).items() if k != "clocks"
            }
        assert [r["id"] for r in body] == [str(pk) for pk in order]


def test_detail_answer_equals_the_one_built_from_whole_rows(world, api, make_referral):
    now = _fixed_data_set(world, make_referral)
    user = world.coordinator
    for referral in _whole(user):
        body = api(user).get(f"/api/v1/referrals/{referral.pk}/").json()
        loaded = referral_detail(user=user).select_related("pathway_version").get(pk=referral.pk)
        again = ReferralDetailOutput(loaded, context={"now": now, "user": user}).data
        built = ReferralDetailOutput(referral, context={"now": now, "user": user}).data
        assert json.dumps(again["events"], default=str) == json.dumps(built["events"], default=str)
        assert body["events"] == json.loads(json.dumps(built["events"], default=str))
        assert {k: v for k, v in body.items() if k not in ("clocks", "escalations")} == {
            k: v
            for k, v in json.loads(json.dumps(built, default=str)).items()
            if k not in ("clocks", "escalations")
        }


def test_hand_built_events_are_exactly_the_declared_fields(world, make_referral):
    now = _fixed_data_set(world, make_referral)
    assert now
    events = list(ClinicalEvent.objects.select_related("recorded_by"))
    assert any(e.corrects_id for e in events) and any(e.ambulatory is False for e in events)
    withdrawn = {e.corrects_id for e in events if e.corrects_id}
    fast = EventsOutput(context={"withdrawn_ids": withdrawn})
    generic = EventOutput(context={"withdrawn_ids": withdrawn})
    for event in events:
        want = dict(serializers.Serializer.to_representation(generic, event))
        assert fast.to_representation(event) == want
        assert list(fast.to_representation(event)) == list(generic.fields)
