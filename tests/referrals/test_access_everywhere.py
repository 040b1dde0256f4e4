"""Every read of patient data is recorded, whichever interface answers it
(issue 9, item 4): the admin's referral and patient pages (list, NHS number
search, one row, its history, a past version) and an idempotent replay of a
referral create, as the API and the pages already were. The access log's own
admin pages answer (no 500), and its stored paths keep no search term."""

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client

from referrals.models import PatientDataAccess, Referral, User
from referrals.services import access_path
from tests.conftest import PASSWORD, referral_body


@pytest.fixture
def superuser(db: Any) -> User:
    return User.objects.create_superuser(username="root", email="", password=PASSWORD)


@pytest.fixture
def admin_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def new_rows(before: int) -> list[PatientDataAccess]:
    return list(PatientDataAccess.objects.order_by("id")[before:])


ADMIN_PAGES = {
    # page: (url from the referral, the view recorded, whether patient ids are recorded)
    "referral list": ("/admin/referrals/referral/", "admin.referral.list", False),
    "referral search": ("/admin/referrals/referral/?q={reference}", "admin.referral.list", False),
    "referral change": ("/admin/referrals/referral/{id}/change/", "admin.referral.change", False),
    "referral history": (
        "/admin/referrals/referral/{id}/history/",
        "admin.referral.history",
        False,
    ),
    "referral past version": (
        "/admin/referrals/referral/{id}/history/{history_id}/",
        "admin.referral.history_version",
        False,
    ),
    "patient list": ("/admin/referrals/patient/", "admin.patient.list", True),
    "patient NHS number search": (
        "/admin/referrals/patient/?q={nhs_number}",
        "admin.patient.list",
        True,
    ),
    "patient change": (
        "/admin/referrals/patient/{patient_id}/change/",
        "admin.patient.change",
        True,
    ),
    "patient history": (
        "/admin/referrals/patient/{patient_id}/history/",
        "admin.patient.history",
        True,
    ),
    "patient past version": (
        "/admin/referrals/patient/{patient_id}/history/{patient_history_id}/",
        "admin.patient.history_version",
        True,
    ),
}


def admin_url(template: str, referral: Referral) -> str:
    return template.format(
        id=referral.pk,
        reference=referral.reference,
        history_id=referral.history.earliest().history_id,
        nhs_number=referral.patient.nhs_number,
        patient_id=referral.patient_id,
        patient_history_id=referral.patient.history.earliest().history_id,
    )


@pytest.mark.parametrize("page", list(ADMIN_PAGES))
def test_each_admin_page_of_patient_data_records_one_access(
    page: str, admin_client: Client, superuser: User, referral: Referral
) -> None:
    template, view, with_patient = ADMIN_PAGES[page]
    url = admin_url(template, referral)
    before = PatientDataAccess.objects.count()

    response = admin_client.get(url)

    assert response.status_code == 200
    (row,) = new_rows(before)
    assert (row.user, row.view, row.referral_ids) == (superuser, view, [str(referral.pk)])
    assert row.patient_ids == ([str(referral.patient_id)] if with_patient else [])
    # A search term (an NHS number, a reference) is never kept in the log.
    assert referral.patient.nhs_number not in row.path
    assert referral.reference not in row.path


def test_an_admin_search_that_finds_nobody_records_nothing(
    admin_client: Client, referral: Referral
) -> None:
    response = admin_client.get("/admin/referrals/patient/?q=9999999999")
    assert response.status_code == 200
    assert PatientDataAccess.objects.count() == 0


def test_a_refused_admin_page_records_nothing(referral: Referral) -> None:
    staff = User.objects.create_user(username="staff", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(staff)  # staff, but no permission on referrals or patients
    for url in ("/admin/referrals/referral/", f"/admin/referrals/referral/{referral.pk}/change/"):
        assert client.get(url).status_code == 403
    assert PatientDataAccess.objects.count() == 0


def test_an_idempotent_replay_of_a_referral_create_is_recorded(world: Any, api: Any) -> None:
    client = api(world.referrer)
    body = referral_body()
    first = client.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    before = PatientDataAccess.objects.count()

    again = client.post("/api/v1/referrals/", body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")

    assert again["Idempotency-Key-Replayed"] == "true"
    assert again.json()["patient"]["nhs_number"] == body["patient"]["nhs_number"]
    (row,) = new_rows(before)
    assert (row.user, row.view, row.referral_ids) == (
        world.referrer,
        "api.referral.create.replay",
        [first.json()["id"]],
    )


def test_a_refused_replay_records_nothing(world: Any, api: Any) -> None:
    client = api(world.referrer)
    client.post("/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY="r-2")
    before = PatientDataAccess.objects.count()
    other = referral_body()
    response = client.post("/api/v1/referrals/", other, format="json", HTTP_IDEMPOTENCY_KEY="r-2")
    assert response.status_code == 422
    assert new_rows(before) == []


def test_the_access_logs_admin_pages_answer(
    admin_client: Client, coordinator: User, api: Any, referral: Referral
) -> None:
    """Its history page answered 500: the log has no simple-history, it is never changed."""
    api(coordinator).get(f"/api/v1/referrals/{referral.pk}/")
    row = PatientDataAccess.objects.get()
    base = f"/admin/referrals/patientdataaccess/{row.pk}"
    for url in ("/admin/referrals/patientdataaccess/", f"{base}/change/", f"{base}/history/"):
        assert admin_client.get(url).status_code == 200, url
    # And it stays read-only: no add, no delete.
    assert admin_client.get("/admin/referrals/patientdataaccess/add/").status_code == 403
    assert admin_client.get(f"{base}/delete/").status_code == 403


def test_no_admin_history_page_answers_500(
    admin_client: Client, on_call: Any, referral: Referral, api: Any
) -> None:
    """Every model in the admin, with a row: its list, its row and the row's
    history answer (200, or a redirect or 403 where the admin says so)."""
    api(on_call.coordinator).get(f"/api/v1/referrals/{referral.pk}/")
    checked = 0
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.first()
        if obj is None:
            continue
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        for url in (base, f"{base}{obj.pk}/change/", f"{base}{obj.pk}/history/"):
            status = admin_client.get(url).status_code
            assert status in (200, 302, 403), (type(model_admin).__name__, url, status)
        # An id that is not one (simple-history's pages raised ValueError).
        for url in (
            f"{base}not-an-id/history/",
            f"{base}{obj.pk}/history/not-a-version/",
            f"{base}not-an-id/history/1/",
        ):
            status = admin_client.get(url).status_code
            assert status in (302, 404), (type(model_admin).__name__, url, status)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/api/v1/referrals/", "/api/v1/referrals/"),
        (
            "/api/v1/referrals/?nhs_number=9990000018&status=received&page=2",
            "/api/v1/referrals/?nhs_number=[redacted]&status=received&page=2",
        ),
        ("/admin/referrals/patient/?q=999+000+0018", "/admin/referrals/patient/?q=[redacted]"),
        ("/admin/referrals/patient/?q=Ada&o=1", "/admin/referrals/patient/?q=[redacted]&o=1"),
    ],
)
def test_the_access_log_keeps_no_search_term(path: str, kept: str) -> None:
    assert access_path(path) == kept
