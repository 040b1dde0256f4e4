"""Listing referrals: scoped, filterable, paginated, newest first."""

from datetime import timedelta

from django.utils import timezone

from referrals.models import Referral

URL = "/api/v1/referrals/"


def _refs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["reference"] for r in response.json()["results"]]


def test_list_without_filters_shows_open_and_closed_newest_first(world, api, make_referral):
    now = timezone.now()
    older = make_referral(now=now - timedelta(hours=2))
    newer = make_referral(now=now)
    Referral.objects.filter(pk=older.pk).update(status="withdrawn")
    assert _refs(api(world.referrer).get(URL)) == [newer.reference, older.reference]


def test_list_filters(world, api, make_referral):
    now = timezone.now()
    mscc = make_referral(now=now - timedelta(hours=3))
    mets = make_referral(neuro_features=[], pain_features=["nocturnal"], now=now)
    Referral.objects.filter(pk=mscc.pk).update(status="died")
    client = api(world.coordinator)
    assert _refs(client.get(URL, {"open": "true"})) == [mets.reference]
    assert _refs(client.get(URL, {"open": "false"})) == [mscc.reference]
    assert _refs(client.get(URL, {"category": "suspected_mscc"})) == [mscc.reference]
    assert _refs(client.get(URL, {"status": "received"})) == [mets.reference]
    assert _refs(client.get(URL, {"nhs_number": mets.patient.nhs_number})) == [mets.reference]
    since = (now - timedelta(hours=1)).isoformat()
    assert _refs(client.get(URL, {"received_from": since})) == [mets.reference]
    assert _refs(client.get(URL, {"received_to": since})) == [mscc.reference]


def test_unknown_filter_value_is_a_400_naming_it(world, api):
    response = api(world.coordinator).get(URL, {"category": "urgent"})
    assert response.status_code == 400
    assert "category" in response.json()


def test_list_is_paginated(world, api, make_referral):
    for _ in range(3):
        make_referral()
    body = api(world.referrer).get(URL, {"page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_hand_built_summary_is_exactly_the_declared_fields(world, make_referral, api):
    from coordinator.api.serializers import (
        HELD_IDENTITY_ONLY,
        ReferralSummaryFields,
        ReferralSummaryOutput,
    )
    from coordinator.selectors import referral_list

    plain = make_referral(neuro_features=[], pain_features=["nocturnal"])
    acknowledged = make_referral(now=timezone.now() - timedelta(hours=2))
    api(world.coordinator).post(f"/api/v1/referrals/{acknowledged.pk}/acknowledge/")
    Referral.objects.filter(pk=plain.pk).update(identity_check_required=True)
    context = {"now": timezone.now(), "user": world.coordinator}
    referrals = list(referral_list(user=world.coordinator))
    fast = ReferralSummaryOutput(referrals, many=True, context=context).data
    generic = ReferralSummaryFields(referrals, many=True, context=context).data
    assert [dict(r) for r in fast] == [dict(r) for r in generic]
    assert list(fast[0]) == list(ReferralSummaryFields().fields)
    # A referrer's rows: the same on both paths, without the identity check.
    context = {"now": timezone.now(), "user": world.referrer}
    fast = ReferralSummaryOutput(referrals, many=True, context=context).data
    generic = ReferralSummaryFields(referrals, many=True, context=context).data
    assert [dict(r) for r in fast] == [dict(r) for r in generic]
    assert list(fast[0]) == [
        f for f in ReferralSummaryFields().fields if f not in HELD_IDENTITY_ONLY
    ]


def test_hand_built_clock_is_exactly_the_declared_fields(world, make_referral, api):
    from rest_framework import serializers

    from coordinator.api.serializers import ClockOutput
    from coordinator.selectors import clock_view

    referral = make_referral(now=timezone.now() - timedelta(hours=2))
    api(world.coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    now = timezone.now()
    output = ClockOutput()
    for clock in referral.clocks.all():  # one met late, one running
        view = clock_view(clock, now)
        generic = serializers.Serializer.to_representation(output, view)
        assert output.to_representation(view) == dict(generic)
        assert list(output.to_representation(view)) == list(output.fields)
