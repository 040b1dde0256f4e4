"""manage.py import_referrals: historic referrals through the live services,
all or none (audit/historic/, README "Historic audit data")."""

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.management.base import CommandError
from django.utils import timezone

from audit.historic.importing import IMPORTED, OVERRIDE_REASON
from coordinator.selectors import queue_for
from coordinator.services import (
    referral_acknowledge,
    referral_create,
    referral_event_add,
    referral_event_withdraw,
    referral_status_change,
)
from core.errors import Conflict
from notifications.models import Delivery, Escalation
from notifications.services.sweep import sweep
from pathways.codes import ClockKind, ClockStatus, EventKind
from pathways.models import ClinicalEvent, Clock
from referrals.codes import OrganisationKind, ReferralStatus
from referrals.inputs import PatientDetails
from referrals.models import Organisation, Patient, Referral, Service, User
from tests.audit.historic import (
    FIXTURE,
    clocks_of,
    events_of,
    fixture_rows,
    run_import,
    write_csv,
)
from tests.factories import (
    CoordinatorFactory,
    OrganisationFactory,
    PatientFactory,
    ReferrerFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def historic(service: Service, organisation: Organisation) -> Service:
    """Alliance A's reference data the fixture names: A-MSCC, GP-A1, WARD-A."""
    OrganisationFactory(
        code="WARD-A", name="WARD-A", kind=OrganisationKind.WARD, alliance=service.alliance
    )
    return service


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Referral, Patient, ClinicalEvent, Clock, Organisation, Service, User)
    }


def _refused(tmp_path: Path, rows: list[dict[str, str]], *args: str) -> str:
    """The CommandError's message for a file that must be refused whole."""
    before = _counts()
    with pytest.raises(CommandError) as refused:
        run_import(write_csv(tmp_path / "bad.csv", rows), *args)
    assert _counts() == before, "a refused file wrote something"
    message = str(refused.value)
    assert message.startswith("Nothing was written")
    return message


# --- a good file ------------------------------------------------------------------


def test_the_fixture_imports_as_closed_records_with_the_files_references(
    historic: Service,
) -> None:
    out, _ = run_import(FIXTURE)

    assert "rows read 5, imported 5, skipped 0" in out
    referrals = {r.reference: r for r in Referral.objects.all()}
    assert sorted(referrals) == [f"HIST-000{i}" for i in range(1, 6)]
    assert {r: referrals[r].status for r in referrals} == {
        "HIST-0001": ReferralStatus.CLOSED,
        "HIST-0002": ReferralStatus.CLOSED,
        "HIST-0003": ReferralStatus.DIED,
        "HIST-0004": ReferralStatus.CLOSED_NOT_MSCC,
        "HIST-0005": ReferralStatus.CLOSED,
    }
    assert {r.status_reason for r in referrals.values()} == {IMPORTED}
    # Closed where the record ends: the last moment it knows of.
    assert referrals["HIST-0001"].status_changed_at == _at("2025-03-25T15:00:00+00:00")
    # Nothing running, nothing left to escalate.
    assert not Clock.objects.filter(status=ClockStatus.RUNNING).exists()
    assert not Clock.objects.filter(next_escalation_at__isnull=False).exists()


def test_a_system_user_records_them_and_it_cannot_sign_in(historic: Service) -> None:
    run_import(FIXTURE)

    user = User.objects.get(username="historic-import.a-mscc")
    assert set(Referral.objects.values_list("referred_by", flat=True)) == {user.pk}
    assert set(ClinicalEvent.objects.values_list("recorded_by", flat=True)) == {user.pk}
    assert (user.role, user.service_id, user.is_active) == ("coordinator", historic.pk, False)
    assert not user.has_usable_password()
    backend = ModelBackend()
    assert not backend.user_can_authenticate(user)
    assert backend.authenticate(None, username=user.username, password="") is None


def test_a_system_user_someone_enabled_is_disabled_again(historic: Service, tmp_path: Path) -> None:
    run_import(FIXTURE)
    user = User.objects.get(username="historic-import.a-mscc")
    user.is_active = True
    user.set_password("an-admin-set-this-by-mistake")
    user.save()
    rows = fixture_rows()
    rows[0]["reference"] = "HIST-0099"
    rows[0]["nhs_number"] = "9992000066"

    run_import(write_csv(tmp_path / "one.csv", rows[:1]))

    user.refresh_from_db()
    assert not user.is_active
    assert not user.has_usable_password()


def test_patients_have_placeholder_names_and_the_files_imd_decile(historic: Service) -> None:
    run_import(FIXTURE)

    patient = Patient.objects.get(nhs_number="9992000007")
    assert (patient.given_name, patient.family_name) == ("Not recorded", "Not recorded")
    assert (patient.imd_decile, patient.sex, patient.postcode) == (3, "female", "LS1 4AP")
    assert Patient.objects.get(nhs_number="9992000015").imd_decile is None


def test_a_patient_already_held_keeps_their_name_and_raises_no_identity_check(
    historic: Service,
) -> None:
    PatientFactory(
        nhs_number="9992000007",
        given_name="Ada",
        family_name="Testpatient",
        date_of_birth=date(1948, 6, 2),
    )
    run_import(FIXTURE)

    patient = Patient.objects.get(nhs_number="9992000007")
    assert (patient.given_name, patient.family_name, patient.imd_decile) == (
        "Ada",
        "Testpatient",
        3,
    )
    assert not Referral.objects.get(reference="HIST-0001").identity_check_required


def test_the_files_category_stands_as_a_recorded_override(historic: Service) -> None:
    run_import(FIXTURE)

    # Pain without neurological features: triage says suspected spinal
    # metastases; the record says the service judged it suspected MSCC; MSCC
    # was then ruled out, which moves it back, as it does live.
    r = Referral.objects.get(reference="HIST-0002")
    assert r.triage_category == "suspected_spinal_metastases"
    assert r.overridden_category == "suspected_mscc"
    assert r.category_override_reason == OVERRIDE_REASON
    assert r.category_overridden_at == r.received_at
    assert r.category == "suspected_spinal_metastases"
    # The MRI clock ran to the emergency's 24 hours from suspicion, not the
    # week triage's category would have given it.
    emergency = [
        (c.started_at, c.status)
        for c in r.clocks.filter(kind=ClockKind.MRI, void=False)
        if c.due_at - c.started_at == timedelta(hours=24)
    ]
    assert emergency == [(r.suspected_at, ClockStatus.MET_LATE)]
    # Where the file's category is triage's, nothing is overridden.
    same = Referral.objects.get(reference="HIST-0001")
    assert (same.overridden_category, same.category_overridden_at) == ("", None)


def test_the_not_appropriate_reason_marks_the_clock(historic: Service) -> None:
    run_import(FIXTURE)

    r = Referral.objects.get(reference="HIST-0003")
    marked = r.clocks.get(not_appropriate=True)
    assert marked.kind == ClockKind.MRI
    assert marked.not_appropriate_reason.startswith("Too unwell to lie flat")
    # Marked at the death, the last moment the clock could still be open.
    assert marked.not_appropriate_at == _at("2025-04-09T06:00:00+01:00")
    assert r.status == ReferralStatus.DIED
    assert r.events.get(kind=EventKind.DIED).occurred_at == _at("2025-04-09T06:00:00+01:00")


def test_ambulatory_at_presentation_and_after_treatment(historic: Service) -> None:
    run_import(FIXTURE)

    first = Referral.objects.get(reference="HIST-0001")
    assert first.ambulatory is True
    assessed = first.events.get(kind=EventKind.AMBULATORY_ASSESSED)
    assert (assessed.ambulatory, assessed.occurred_at) == (True, _at("2025-03-20T11:00:00+00:00"))
    fifth = Referral.objects.get(reference="HIST-0005")
    assert fifth.ambulatory is None
    assert fifth.events.get(kind=EventKind.AMBULATORY_ASSESSED).ambulatory is False


def test_a_blank_suspicion_time_is_assumed_as_live(historic: Service) -> None:
    run_import(FIXTURE)

    r = Referral.objects.get(reference="HIST-0005")
    assert r.suspected_at_assumed
    assert r.suspected_at == r.received_at


def test_clocks_and_events_are_those_the_live_services_make(historic: Service) -> None:
    """HIST-0001 imported, and the same referral taken live: a referrer
    sends it, the coordinator records each event as it happens, and it is
    closed along the state map when the record ends. The audit sees the same
    clocks and the same events."""
    run_import(FIXTURE)
    imported = Referral.objects.get(reference="HIST-0001")

    referrer = ReferrerFactory(organisation=imported.referring_organisation)
    coordinator = CoordinatorFactory(service=historic)
    received = _at("2025-03-03T10:00:00+00:00")
    live = referral_create(
        user=referrer,
        now=received,
        organisation=imported.referring_organisation,
        service=historic,
        patient=PatientDetails(
            nhs_number="9992000074",
            given_name="Live",
            family_name="Twin",
            date_of_birth=date(1948, 6, 2),
            sex="female",
            postcode="LS1 4AP",
        ),
        clinical={
            "cancer_status": "current_or_past",
            "primary_tumour": "breast",
            "pain_features": ["progressive", "nocturnal"],
            "neuro_features": ["limb_weakness"],
            "neuro_onset_at": _at("2025-03-02T20:00:00+00:00"),
            "suspected_at": _at("2025-03-03T08:00:00+00:00"),
            "movement_pain": "moderate",
            "back_pain": True,
            "ambulatory": True,
        },
    )
    referral_acknowledge(referral=live, user=coordinator, now=_at("2025-03-03T10:12:00+00:00"))
    for kind, at in [
        ("advice_given", "2025-03-03T10:40:00+00:00"),
        ("mri_requested", "2025-03-03T11:00:00+00:00"),
        ("dexamethasone_given", "2025-03-03T11:05:00+00:00"),
        ("admitted", "2025-03-03T12:00:00+00:00"),
        ("mri_performed", "2025-03-03T19:30:00+00:00"),
        ("mri_reported", "2025-03-03T21:00:00+00:00"),
        ("mscc_confirmed", "2025-03-03T21:00:00+00:00"),
        ("rt_decision", "2025-03-04T09:00:00+00:00"),
        ("rt_delivered", "2025-03-04T16:00:00+00:00"),
        ("ambulatory_assessed", "2025-03-20T11:00:00+00:00"),
        ("discharged", "2025-03-25T15:00:00+00:00"),
    ]:
        referral_event_add(
            referral=live,
            user=coordinator,
            now=_at(at),
            kind=kind,
            occurred_at=_at(at),
            ambulatory=True if kind == "ambulatory_assessed" else None,
        )
    end = _at("2025-03-25T15:00:00+00:00")
    for status in ("treatment_planned", "treating", "closed"):
        referral_status_change(
            referral=live, user=coordinator, now=end, status=status, reason="Completed."
        )
    live.refresh_from_db()

    assert clocks_of(imported) == clocks_of(live)
    assert events_of(imported) == events_of(live)
    assert (imported.category, imported.triage_category) == (live.category, live.triage_category)
    # And what they are, by NG234: acknowledged in 12 minutes of its 30, MRI
    # within 24 hours of suspicion, radiotherapy within 24 hours of the decision.
    clocks = {c.kind: c for c in imported.clocks.filter(void=False)}
    assert clocks[ClockKind.ACKNOWLEDGEMENT].status == ClockStatus.MET
    assert clocks[ClockKind.MRI].started_at == _at("2025-03-03T08:00:00+00:00")
    assert clocks[ClockKind.MRI].stopped_at == _at("2025-03-03T19:30:00+00:00")
    assert clocks[ClockKind.MRI].status == ClockStatus.MET
    assert clocks[ClockKind.RADIOTHERAPY].status == ClockStatus.MET


# --- never in the queue, never escalated, nothing sent ------------------------------


def test_imported_referrals_never_enter_the_queue(historic: Service) -> None:
    run_import(FIXTURE)
    coordinator = CoordinatorFactory(service=historic)

    assert list(queue_for(user=coordinator)) == []


def test_imported_referrals_are_never_escalated(historic: Service) -> None:
    run_import(FIXTURE)

    result = sweep(now=timezone.now() + timedelta(days=3650), enqueue=lambda ids: None)

    assert result.escalations == []
    assert not Escalation.objects.exists()
    assert not Delivery.objects.exists()


def test_an_import_enqueues_nothing(
    historic: Service, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_import(FIXTURE)

    assert Referral.objects.count() == 5
    assert callbacks == []


def test_an_imported_closure_cannot_be_reopened(historic: Service) -> None:
    run_import(FIXTURE)
    r = Referral.objects.get(reference="HIST-0001")
    coordinator = CoordinatorFactory(service=historic)

    with pytest.raises(Conflict):
        referral_status_change(
            referral=r, user=coordinator, now=timezone.now(), status="triaged", reason="Oops."
        )
    with pytest.raises(Conflict):
        referral_event_withdraw(
            referral=r,
            event_id=r.events.get(kind="mri_performed").pk,
            reason="Oops.",
            user=coordinator,
            now=timezone.now(),
        )


def test_the_intake_limits_do_not_count_an_import(historic: Service, settings: Any) -> None:
    settings.MSCC_INTAKE_RATE_USER = "1/h"
    settings.MSCC_INTAKE_RATE_ORG = "1/h"

    run_import(FIXTURE)

    assert Referral.objects.count() == 5


# --- dry run, idempotence, progress ---------------------------------------------------


def test_a_dry_run_writes_nothing_and_says_what_it_would(historic: Service) -> None:
    before = _counts()

    out, _ = run_import(FIXTURE, "--dry-run")

    assert _counts() == before
    assert "Dry run, nothing written: would import 5 referrals" in out
    assert "rows read 5, imported 5, skipped 0" in out


def test_running_the_same_file_again_writes_nothing_new(historic: Service) -> None:
    run_import(FIXTURE)
    before = _counts()
    history = Referral.history.count()

    out, _ = run_import(FIXTURE)

    assert _counts() == before
    assert Referral.history.count() == history
    assert "rows read 5, imported 0, skipped 5" in out
    assert "skipped, already imported: HIST-0001, HIST-0002" in out


def test_a_file_with_new_rows_imports_only_those(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    run_import(write_csv(tmp_path / "first.csv", rows[:2]))

    out, _ = run_import(FIXTURE)

    assert "rows read 5, imported 3, skipped 2" in out
    assert Referral.objects.count() == 5


def test_progress_lines_and_the_summary(historic: Service) -> None:
    out, err = run_import(FIXTURE, "--progress-every", "2")

    assert [line.split(" rows,")[0] for line in err.splitlines()] == ["2/5", "4/5", "5/5"]
    assert all(line.endswith("rows/s") for line in err.splitlines())
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("Imported 5 referrals (35 events); rows read 5, imported 5")
    assert summary.endswith("rows/s")


# --- every problem, by line and column, and nothing written --------------------------

BAD_CELLS = [
    ("received_at", "2025-03-03 10:00", "not an ISO 8601 time with an offset"),
    ("received_at", "yesterday", "not an ISO 8601 time with an offset"),
    ("received_at", "2099-01-01T00:00:00+00:00", "in the future"),
    ("suspected_at", "2025-03-03T10:01:00+00:00", "after received_at"),
    ("suspected_at", "2024-10-01T10:00:00+00:00", "more than 90 days ago"),
    ("neuro_onset_at", "2025-03-03T08:00:00", "not an ISO 8601 time with an offset"),
    ("acknowledged_at", "2025-03-03T09:59:00+00:00", "before received_at"),
    ("mri_performed_at", "2099-03-03T19:30:00+00:00", "in the future"),
    ("mri_performed_at", "2024-09-01T19:30:00+00:00", "more than 90 days before"),
    ("nhs_number", "9992000008", "Modulus 11"),
    ("nhs_number", "12345", "10 digits"),
    ("nhs_number", "", "a value is needed"),
    ("date_of_birth", "02/06/1948", "not a date as YYYY-MM-DD"),
    ("date_of_birth", "2026-01-01", "date of birth cannot be in the future"),
    ("sex", "f", "unknown code 'f'"),
    ("postcode", "nowhere", "not a UK postcode"),
    ("imd_decile", "11", "a whole number from 1 to 10"),
    ("imd_decile", "0", "a whole number from 1 to 10"),
    ("cancer_status", "", "a value is needed"),
    ("cancer_status", "maybe", "unknown code 'maybe'"),
    ("primary_tumour", "brain", "unknown code 'brain'"),
    ("primary_tumour", "", "give the primary tumour"),
    ("category", "urgent", "unknown code 'urgent'"),
    ("pain_features", "progressive;sharp", "unknown code 'sharp'"),
    # The rule between two columns is reported where the live form reports it.
    ("neuro_features", "", "neuro_onset_at: an onset time is for neurological symptoms"),
    ("imaging_findings", "fracture", "unknown code 'fracture'"),
    ("ambulatory_at_presentation", "yes", "give true, false or leave it blank"),
    ("ambulatory_after_treatment", "", "needed with ambulatory_assessed_at"),
    ("status", "finished", "unknown code 'finished'"),
    ("status", "died", "died_at: needed with status died"),
    ("reference", "MSCC 0001", "a reference is 1 to 16 letters"),
    ("reference", "H" * 17, "a reference is 1 to 16 letters"),
    ("referring_organisation", "GP-NOWHERE", "no referring organisation GP-NOWHERE"),
    ("service", "NO-MSCC", "no service NO-MSCC"),
    ("mri_not_appropriate_reason", "x" * 5001, "keep the reason to 5000 characters"),
]


@pytest.mark.parametrize(("column", "value", "says"), BAD_CELLS)
def test_a_bad_value_is_reported_by_line_and_column(
    historic: Service, tmp_path: Path, column: str, value: str, says: str
) -> None:
    rows = fixture_rows()
    rows[0][column] = value  # HIST-0001, line 2
    reported, _, says = says.rpartition(": ") if ": " in says else (column, "", says)

    message = _refused(tmp_path, rows)

    problem = next(
        (line for line in message.splitlines() if line.startswith("line 2, column ")), ""
    )
    assert problem.startswith(f"line 2, column {reported}: "), message
    assert says.lower() in problem.lower(), message


def test_an_event_after_the_death_is_refused(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[2]["mri_performed_at"] = "2025-04-09T07:00:00+01:00"  # HIST-0003 died at 06:00

    message = _refused(tmp_path, rows)

    assert "line 4, column mri_performed_at: after died_at" in message


def test_a_closure_beside_a_death_is_refused(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[2]["status"] = "withdrawn"

    assert "line 4, column status: withdrawn with died_at" in _refused(tmp_path, rows)


def test_a_walk_assessed_without_its_time_is_refused(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[1]["ambulatory_after_treatment"] = "true"  # HIST-0002 has no ambulatory_assessed_at

    message = _refused(tmp_path, rows)

    assert (
        "line 3, column ambulatory_assessed_at: needed with ambulatory_after_treatment" in message
    )


def test_a_reference_twice_in_the_file_is_refused(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[3]["reference"] = "HIST-0001"

    assert "line 5, column reference: also on line 2" in _refused(tmp_path, rows)


def test_a_service_of_another_alliance_is_refused(historic: Service, tmp_path: Path) -> None:
    ServiceFactory(code="B-MSCC")
    rows = fixture_rows()
    rows[0]["service"] = "B-MSCC"

    message = _refused(tmp_path, rows)

    assert (
        "line 2, column service: B-MSCC is not an MSCC service of GP-A1's cancer alliance (A)"
        in (message)
    )


def test_the_header_must_have_every_required_column(historic: Service, tmp_path: Path) -> None:
    columns = [c for c in fixture_rows()[0] if c not in ("received_at", "died_at")] + ["colour"]

    with pytest.raises(CommandError) as refused:
        run_import(write_csv(tmp_path / "h.csv", fixture_rows(), columns))

    message = str(refused.value)
    assert "line 1, column colour: not a column of the historic format" in message
    assert "line 1, column received_at: a required column is missing from the header" in message
    assert "line 1, column died_at: a required column is missing from the header" in message
    assert not Referral.objects.exists()


def test_the_optional_columns_may_be_left_out(historic: Service, tmp_path: Path) -> None:
    from audit.historic.columns import REQUIRED

    run_import(write_csv(tmp_path / "required.csv", fixture_rows(), REQUIRED))

    assert Referral.objects.count() == 5
    # Without a status column every record closes as closed (or died).
    assert set(Referral.objects.values_list("status", flat=True)) == {"closed", "died"}


def test_a_row_of_the_wrong_length_is_refused(historic: Service, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "short.csv", fixture_rows())
    path.write_text(path.read_text() + "HIST-0009,9992000082\n")

    with pytest.raises(CommandError) as refused:
        run_import(path)

    assert "line 7: 2 values for the header's" in str(refused.value)
    assert not Referral.objects.exists()


def test_an_empty_file_is_refused(historic: Service, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")

    with pytest.raises(CommandError, match="line 1: the file is empty"):
        run_import(path)


def test_every_bad_row_is_reported_in_one_run(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[0]["received_at"] = "2025-03-03 10:00"
    rows[2]["nhs_number"] = "9992000024"
    rows[2]["sex"] = "x"
    rows[4]["category"] = "soon"

    message = _refused(tmp_path, rows)

    assert "4 problems on 3 lines" in message
    for expected in (
        "line 2, column received_at: not an ISO 8601 time with an offset",
        "line 4, column nhs_number:",
        "line 4, column sex: unknown code 'x'",
        "line 6, column category: unknown code 'soon'",
    ):
        assert expected in message


def test_what_a_service_refuses_is_reported_too_and_nothing_is_written(
    historic: Service, tmp_path: Path
) -> None:
    """A radiotherapy clock is started by a decision to treat: a record with
    none cannot have one marked not appropriate. Only the service knows, so
    the rows before it went in, and were rolled back with it."""
    rows = fixture_rows()
    rows[3]["radiotherapy_not_appropriate_reason"] = "Declined."
    rows[4]["surgery_not_appropriate_reason"] = "Unfit for surgery."

    message = _refused(tmp_path, rows)

    assert "line 5, column radiotherapy_not_appropriate_reason: no radiotherapy clock" in message
    # HIST-0005's surgery clock started at the decision and was met: it can be marked.
    assert "line 6" not in message


def test_a_dry_run_reports_the_same_problems(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[3]["radiotherapy_not_appropriate_reason"] = "Declined."

    message = _refused(tmp_path, rows, "--dry-run")

    assert "line 5, column radiotherapy_not_appropriate_reason" in message


# --- organisations and services ---------------------------------------------------------


def test_create_missing_makes_an_organisation_in_its_services_alliance(
    historic: Service, tmp_path: Path
) -> None:
    rows = fixture_rows()
    rows[0]["referring_organisation"] = "GP-NEW"
    path = write_csv(tmp_path / "new.csv", rows)

    message = _refused(tmp_path, rows)
    assert "line 2, column referring_organisation: no referring organisation GP-NEW" in message
    out, _ = run_import(path, "--create-missing")

    created = Organisation.objects.get(code="GP-NEW")
    assert (created.alliance_id, created.kind) == (historic.alliance_id, OrganisationKind.OTHER)
    assert "organisation GP-NEW created" in out
    assert Referral.objects.get(reference="HIST-0001").referring_organisation == created


def test_create_missing_makes_a_service_in_its_organisations_alliance(
    historic: Service, tmp_path: Path
) -> None:
    rows = fixture_rows()[:1]
    rows[0]["service"] = "A2-MSCC"

    run_import(write_csv(tmp_path / "new.csv", rows), "--create-missing")

    created = Service.objects.get(code="A2-MSCC")
    assert created.alliance_id == historic.alliance_id
    assert created.pathway_versions.exists()  # provisioned as the admin would
    assert Referral.objects.get(reference="HIST-0001").service == created
    assert User.objects.filter(username="historic-import.a2-mscc", is_active=False).exists()


def test_create_missing_never_makes_an_alliance(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[0]["service"] = "Z-MSCC"
    rows[0]["referring_organisation"] = "GP-Z"

    message = _refused(tmp_path, rows, "--create-missing")

    assert "line 2, column service: neither Z-MSCC nor GP-Z exists" in message
    assert "never makes an alliance" in message


def test_a_dry_run_with_create_missing_makes_nothing(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[0]["referring_organisation"] = "GP-NEW"
    before = _counts()

    out, _ = run_import(write_csv(tmp_path / "new.csv", rows), "--create-missing", "--dry-run")

    assert _counts() == before
    assert "organisation GP-NEW would be created" in out


def test_a_column_is_reported_once(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[0]["suspected_at"] = "2025-03-04T10:00:00+00:00"  # a day after receipt

    message = _refused(tmp_path, rows)

    assert message.count("line 2, column suspected_at") == 1
    assert "line 2, column suspected_at: after received_at" in message


def test_a_spreadsheets_file_imports(historic: Service, tmp_path: Path) -> None:
    """Saved by a spreadsheet: a byte-order mark and CRLF line ends."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + FIXTURE.read_text().replace("\n", "\r\n").encode())

    out, _ = run_import(path)

    assert "rows read 5, imported 5" in out
