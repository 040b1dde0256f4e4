"""History with the acting user (token requests included) and the
append-only record of who viewed patient data."""

import pytest
from django.db import DatabaseError, connection, transaction

from core.models import AppendOnlyError
from pathways.models import Clock
from referrals.models import PatientDataAccess, Referral
from tests.conftest import referral_body


def test_history_records_the_token_user_who_created_and_acknowledged(referrer, coordinator, api):
    response = api(referrer).post("/api/v1/referrals/", referral_body(), format="json")
    referral = Referral.objects.get(pk=response.json()["id"])
    assert referral.history.earliest().history_user == referrer
    clock = Clock.objects.get(referral=referral, kind="acknowledgement")
    assert clock.history.earliest().history_user == referrer

    api(coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    latest = referral.history.latest()
    assert latest.history_user == coordinator
    assert latest.status == "triaged"
    assert clock.history.latest().history_user == coordinator
    assert clock.history.latest().status == "met"


def test_every_patient_data_view_is_recorded(referrer, coordinator, api, referral):
    api(coordinator).get(f"/api/v1/referrals/{referral.pk}/")
    api(coordinator).get("/api/v1/queue/")
    api(referrer).get("/api/v1/referrals/")
    rows = list(
        PatientDataAccess.objects.order_by("id").values_list(
            "user__username", "view", "referral_ids"
        )
    )
    assert rows == [
        ("coordinator", "api.referral.detail", [str(referral.pk)]),
        ("coordinator", "api.queue", [str(referral.pk)]),
        ("referrer", "api.referral.list", [str(referral.pk)]),
    ]


def test_refused_views_record_nothing(world, api, referral):
    api(world.referrer_other).get(f"/api/v1/referrals/{referral.pk}/")
    api(world.lead).get("/api/v1/referrals/")
    assert PatientDataAccess.objects.count() == 0


def test_access_records_cannot_be_changed_or_deleted_through_the_orm(coordinator, api, referral):
    api(coordinator).get(f"/api/v1/referrals/{referral.pk}/")
    row = PatientDataAccess.objects.get()
    row.view = "edited"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()


@pytest.mark.postgres
def test_access_records_cannot_be_changed_even_in_sql(coordinator, api, referral):
    api(coordinator).get(f"/api/v1/referrals/{referral.pk}/")
    for statement in (
        "UPDATE referrals_patientdataaccess SET view = 'x'",
        "DELETE FROM referrals_patientdataaccess",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert PatientDataAccess.objects.get().view == "api.referral.detail"
