"""manage.py export_referrals: referrals as historic records, in the
import's format; and the round trip, export then import, which must give the
audit the same referrals, clocks and events."""

import csv
import io
import logging
import stat
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.historic.columns import COLUMNS, TIME_COLUMNS
from audit.periods import Month
from audit.selectors.figures import Scope, raw_figures
from audit.selectors.summary import AuditScope, audit_summary
from coordinator.services import (
    referral_acknowledge,
    referral_clock_not_appropriate,
    referral_create,
    referral_event_add,
    referral_link_duplicate,
    referral_override_category,
    referral_status_change,
)
from pathways.codes import ClockKind
from referrals.codes import OrganisationKind
from referrals.inputs import PatientDetails
from referrals.models import Alliance, Organisation, Referral, Service, User
from tests.audit.historic import (
    FIXTURE,
    clocks_of,
    csv_text,
    events_of,
    fixture_rows,
    referral_facts,
    run_export,
    run_import,
    write_csv,
)
from tests.factories import (
    AllianceFactory,
    CoordinatorFactory,
    OrganisationFactory,
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


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _shifted(row: dict[str, str], delta: timedelta, reference: str) -> dict[str, str]:
    """The row with every time moved by ``delta``, under another reference."""
    moved = dict(row, reference=reference)
    for column in TIME_COLUMNS:
        if moved.get(column):
            moved[column] = (_at(moved[column]) + delta).isoformat()
    return moved


# --- the format ---------------------------------------------------------------------


def test_the_header_is_the_import_format_exactly(historic: Service) -> None:
    out, _ = run_export()

    header = out.splitlines()[0]
    assert header == ",".join(COLUMNS)
    assert header == FIXTURE.read_text().splitlines()[0]


def test_one_row_per_referral_in_received_order_with_the_files_values(
    historic: Service,
) -> None:
    run_import(FIXTURE)

    rows = _rows(run_export()[0])

    assert [r["reference"] for r in rows] == [f"HIST-000{i}" for i in range(1, 6)]
    given = {r["reference"]: r for r in fixture_rows()}
    for row in rows:
        source = given[row["reference"]]
        # Every column the fixture filled comes back as it was written.
        for column, value in source.items():
            if value:
                assert row[column] == value, (row["reference"], column)
    # Blank in the file, the referral's own value in the export.
    fifth = next(r for r in rows if r["reference"] == "HIST-0005")
    assert (fifth["status"], fifth["movement_pain"], fifth["back_pain"]) == (
        "closed",
        "none",
        "false",
    )
    assert fifth["suspected_at"] == ""  # assumed, so blank: assumed again on import


def test_events_are_the_latest_that_stand(historic: Service) -> None:
    referrer = ReferrerFactory(organisation=Organisation.objects.get(code="GP-A1"))
    coordinator = CoordinatorFactory(service=historic)
    received = _at("2025-05-01T10:00:00+01:00")
    referral = _live(referrer, historic, received, "9992000090")
    for at in ("2025-05-01T11:00:00+01:00", "2025-05-01T12:00:00+01:00"):
        referral_event_add(
            referral=referral,
            user=coordinator,
            now=_at(at),
            kind="mri_requested",
            occurred_at=_at(at),
        )
    first = referral_event_add(
        referral=referral,
        user=coordinator,
        now=_at("2025-05-01T18:00:00+01:00"),
        kind="mri_performed",
        occurred_at=_at("2025-05-01T18:00:00+01:00"),
    )
    wrong = referral_event_add(
        referral=referral,
        user=coordinator,
        now=_at("2025-05-02T09:00:00+01:00"),
        kind="mri_performed",
        occurred_at=_at("2025-05-02T09:00:00+01:00"),
    )
    referral_event_add(
        referral=referral,
        user=coordinator,
        now=_at("2025-05-02T09:05:00+01:00"),
        kind="entered_in_error",
        occurred_at=_at("2025-05-02T09:05:00+01:00"),
        corrects=wrong.pk,
        details="Another patient's scan.",
    )

    (row,) = _rows(run_export()[0])

    assert row["mri_requested_at"] == "2025-05-01T12:00:00+01:00"
    assert row["mri_performed_at"] == first.occurred_at.isoformat()
    assert row["status"] == "received"


def test_a_duplicate_is_left_out(historic: Service) -> None:
    referrer = ReferrerFactory(organisation=Organisation.objects.get(code="GP-A1"))
    coordinator = CoordinatorFactory(service=historic)
    first = _live(referrer, historic, _at("2025-05-01T10:00:00+01:00"), "9992000090")
    second = _live(referrer, historic, _at("2025-05-01T11:00:00+01:00"), "9992000090")
    referral_link_duplicate(
        referral=second,
        user=coordinator,
        now=_at("2025-05-01T11:10:00+01:00"),
        duplicate_of=first.pk,
        reason="Sent twice.",
    )

    rows = _rows(run_export()[0])

    assert [r["reference"] for r in rows] == [first.reference]


# --- scope -------------------------------------------------------------------------


def test_the_alliance_and_months_choose_the_referrals(historic: Service, tmp_path: Path) -> None:
    rows = fixture_rows()
    # 1 April 2025 00:30 in London is still 31 March in UTC: an April referral.
    april = _shifted(
        rows[1],
        _at("2025-04-01T00:30:00+01:00") - _at(rows[1]["received_at"]),
        "HIST-0006",
    )
    april["nhs_number"] = "9992000082"
    run_import(write_csv(tmp_path / "with-april.csv", [*rows, april]))
    other = ServiceFactory(code="B-MSCC", alliance=AllianceFactory(code="B"))
    OrganisationFactory(code="GP-B", alliance=other.alliance)
    b_rows = [dict(rows[0], reference="HIST-B1", service="B-MSCC", referring_organisation="GP-B")]
    run_import(write_csv(tmp_path / "b.csv", b_rows))

    def exported(*args: str) -> list[str]:
        return [r["reference"] for r in _rows(run_export(*args)[0])]

    assert exported("--alliance", "A", "--from", "2025-04", "--to", "2025-06") == [
        "HIST-0006",
        "HIST-0003",
        "HIST-0004",
        "HIST-0005",
    ]
    assert exported("--alliance", "A", "--to", "2025-03") == ["HIST-0001", "HIST-0002"]
    assert exported("--alliance", "A", "--from", "2025-06") == ["HIST-0004", "HIST-0005"]
    assert exported("--alliance", "B") == ["HIST-B1"]
    assert len(exported()) == 7


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--alliance", "NOPE"], "--alliance: no alliance NOPE"),
        (["--from", "2025-13"], "--from: The month must be 01 to 12"),
        (["--to", "March"], "--to: Give a month as YYYY-MM"),
        (["--from", "2025-06", "--to", "2025-03"], "--from is after --to"),
    ],
)
def test_bad_options_are_refused(historic: Service, args: list[str], says: str) -> None:
    with pytest.raises(CommandError, match=says):
        run_export(*args)


# --- streaming, the file, the logs ------------------------------------------------------


def test_queries_do_not_grow_with_the_referrals(historic: Service, tmp_path: Path) -> None:
    run_import(write_csv(tmp_path / "two.csv", fixture_rows()[:2]))
    with CaptureQueriesContext(connection) as two:
        assert len(_rows(run_export()[0])) == 2
    run_import(FIXTURE)
    with CaptureQueriesContext(connection) as five:
        assert len(_rows(run_export()[0])) == 5

    assert len(five.captured_queries) == len(two.captured_queries)


def test_chunks_keep_every_row(historic: Service) -> None:
    from audit.historic.exporting import historic_rows

    run_import(FIXTURE)

    chunked = [row[0] for row in historic_rows(chunk_size=2)]

    assert chunked == [f"HIST-000{i}" for i in range(1, 6)]


def test_output_to_a_file_only_its_owner_may_read(historic: Service, tmp_path: Path) -> None:
    run_import(FIXTURE)
    path = tmp_path / "export.csv"

    out, err = run_export("--output", str(path), "--progress-every", "2")

    assert out == ""
    assert path.read_bytes().decode() == run_export()[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.with_name("export.csv.partial").exists()
    assert [line.split(" rows,")[0] for line in err.splitlines()[:2]] == ["2", "4"]
    assert err.splitlines()[-1].startswith("Exported 5 referrals")
    assert err.splitlines()[-1].endswith("rows/s")


def test_no_patient_identifier_is_logged(historic: Service, caplog: Any) -> None:
    run_import(FIXTURE)
    caplog.clear()

    with caplog.at_level(logging.DEBUG):
        out, err = run_export()

    assert "9992000007" in out  # the file holds them...
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records) + err
    for identifier in ("9992000007", "1948-06-02", "LS1 4AP"):
        assert identifier not in logged  # ...nothing else does


# --- the round trip ------------------------------------------------------------------


def _live(
    referrer: User, service: Service, received: datetime, nhs: str, **clinical: Any
) -> Referral:
    fields = {
        "cancer_status": "current_or_past",
        "primary_tumour": "breast",
        "pain_features": ["progressive"],
        "neuro_features": ["limb_weakness"],
        "suspected_at": received - timedelta(hours=3),
        **clinical,
    }
    return referral_create(
        user=referrer,
        now=received,
        organisation=referrer.organisation,
        service=service,
        patient=PatientDetails(
            nhs_number=nhs,
            given_name="Round",
            family_name="Trip",
            date_of_birth=date(1950, 1, 1),
            sex="male",
            postcode="LS1 4AP",
        ),
        clinical=fields,
    )


def _record(referral: Referral, user: User, events: list[tuple[str, str]]) -> None:
    for kind, at in events:
        when = _at(at)
        if kind == "acknowledged":
            referral_acknowledge(referral=referral, user=user, now=when, at=when)
            continue
        referral_event_add(
            referral=referral,
            user=user,
            now=when,
            kind=kind,
            occurred_at=when,
            ambulatory=False if kind == "ambulatory_assessed" else None,
        )


def _live_referrals(service: Service) -> list[Referral]:
    """Referrals made and closed live, by a referrer and a coordinator, each
    closed when its record ends (as an import closes it)."""
    gp = Organisation.objects.get(code="GP-A1")
    referrer = ReferrerFactory(organisation=gp)
    coordinator = CoordinatorFactory(service=service)
    made = []

    # Overridden to suspected MSCC at receipt; closed along the state map.
    received = _at("2025-02-10T09:00:00+00:00")
    one = _live(referrer, service, received, "9992000104", neuro_features=[], neuro_onset_at=None)
    referral_override_category(
        referral=one, user=coordinator, now=received, category="suspected_mscc", reason="Judged."
    )
    _record(one, coordinator, [
        ("acknowledged", "2025-02-10T09:20:00+00:00"),
        ("advice_given", "2025-02-10T09:50:00+00:00"),
        ("mri_performed", "2025-02-11T07:00:00+00:00"),
        ("mscc_confirmed", "2025-02-11T08:00:00+00:00"),
        ("surgery_decision", "2025-02-11T10:00:00+00:00"),
        ("rt_decision", "2025-02-12T10:00:00+00:00"),
        ("ambulatory_assessed", "2025-02-28T10:00:00+00:00"),
    ])  # fmt: skip
    end = _at("2025-02-28T10:00:00+00:00")
    for status in ("treatment_planned", "treating", "closed"):
        referral_status_change(
            referral=one, user=coordinator, now=end, status=status, reason="Done."
        )
    made.append(one)

    # A mistaken event withdrawn; MRI marked not appropriate; then withdrawn.
    received = _at("2025-05-20T22:00:00+01:00")
    two = _live(referrer, service, received, "9992000112")
    _record(two, coordinator, [
        ("acknowledged", "2025-05-20T22:10:00+01:00"),
        ("mri_performed", "2025-05-21T01:00:00+01:00"),
    ])  # fmt: skip
    wrong = two.events.get(kind="mri_performed")
    referral_event_add(
        referral=two,
        user=coordinator,
        now=_at("2025-05-21T02:00:00+01:00"),
        kind="entered_in_error",
        occurred_at=_at("2025-05-21T02:00:00+01:00"),
        corrects=wrong.pk,
        details="Wrong patient.",
    )
    _record(two, coordinator, [("dexamethasone_given", "2025-05-21T03:00:00+01:00")])
    last = _at("2025-05-21T03:00:00+01:00")
    mri = two.clocks.get(kind=ClockKind.MRI, void=False)
    referral_clock_not_appropriate(
        referral=two, clock_id=mri.pk, reason="Declined MRI.", user=coordinator, now=last
    )
    referral_status_change(
        referral=two, user=coordinator, now=last, status="withdrawn", reason="Declined."
    )
    made.append(two)

    # The same episode sent twice: the later closed as its duplicate, not
    # exported; then the earlier one's record ends with the death.
    received = _at("2025-06-02T08:00:00+01:00")
    three = _live(referrer, service, received, "9992000120")
    _record(three, coordinator, [("acknowledged", "2025-06-02T08:05:00+01:00")])
    four = _live(referrer, service, _at("2025-06-02T09:00:00+01:00"), "9992000120")
    referral_link_duplicate(
        referral=four,
        user=coordinator,
        now=_at("2025-06-02T09:10:00+01:00"),
        duplicate_of=three.pk,
        reason="Sent twice.",
    )
    _record(three, coordinator, [("died", "2025-06-04T08:00:00+01:00")])
    made.append(three)
    return made


def _copy_of_alliance_a() -> dict[str, str]:
    """Alliance C: the same reference data as A under other codes (the
    round trip's second database, inside one test database). Both with a
    population and the least suppression, so the summaries show figures."""
    a = Alliance.objects.get(code="A")
    a.population, a.suppression_threshold = 1_000_000, 1
    a.save()
    c = AllianceFactory(
        code="C", population=a.population, suppression_threshold=a.suppression_threshold
    )
    ServiceFactory(code="C-MSCC", alliance=c)
    OrganisationFactory(code="GP-C1", kind=OrganisationKind.GP_PRACTICE, alliance=c)
    OrganisationFactory(code="WARD-C", kind=OrganisationKind.WARD, alliance=c)
    return {"A-MSCC": "C-MSCC", "GP-A1": "GP-C1", "WARD-A": "WARD-C"}


def _into_c(text: str, codes: dict[str, str]) -> str:
    rows = _rows(text)
    for row in rows:
        row["reference"] = "C" + row["reference"]
        row["service"] = codes[row["service"]]
        row["referring_organisation"] = codes[row["referring_organisation"]]
    return csv_text(rows)


def test_the_round_trip_gives_the_same_referrals_clocks_and_events(
    historic: Service, tmp_path: Path
) -> None:
    run_import(FIXTURE)
    live = _live_referrals(historic)
    exported, _ = run_export("--alliance", "A")
    codes = _copy_of_alliance_a()
    path = tmp_path / "c.csv"
    path.write_text(_into_c(exported, codes))

    out, _ = run_import(path)

    assert "rows read 8, imported 8" in out
    origin = Referral.objects.filter(service__code="A-MSCC", duplicate_of__isnull=True)
    assert origin.count() == 8
    assert {r.reference for r in live} <= {r.reference for r in origin}
    for referral in origin:
        copy = Referral.objects.get(reference="C" + referral.reference)
        assert copy.service.code == "C-MSCC"
        assert referral_facts(copy) == referral_facts(referral), referral.reference
        assert clocks_of(copy) == clocks_of(referral), referral.reference
        assert events_of(copy) == events_of(referral), referral.reference
    # And the copy exports as the origin did: the format is a fixed point.
    assert run_export("--alliance", "C")[0] == _into_c(exported, codes)
    # And the audit says the same of both, figure for figure.
    a, c = Alliance.objects.get(code="A"), Alliance.objects.get(code="C")
    first, last, now = Month(2025, 2), Month(2025, 7), timezone.now()
    back = {new: old for old, new in codes.items()} | {"C": "A"}
    raw_a = raw_figures(Scope(a.pk, None, first, last), now=now)
    raw_c = raw_figures(Scope(c.pk, None, first, last), now=now)
    assert raw_c.timeliness == raw_a.timeliness
    assert raw_c.intervals == raw_a.intervals
    assert {(d, m, back.get(code, code)): n for (d, m, code), n in raw_c.counts.items()} == (
        raw_a.counts
    )
    assert sum(n for (d, m, _), n in raw_a.counts.items() if d == "total") == 8
    summary_a = audit_summary(scope=AuditScope(a), first=first, last=last, now=now)
    summary_c = audit_summary(scope=AuditScope(c), first=first, last=last, now=now)
    assert _codes_back(summary_c, back) == summary_a
    service_a = audit_summary(scope=AuditScope(a, historic), first=first, last=last, now=now)
    service_c = audit_summary(
        scope=AuditScope(c, Service.objects.get(code="C-MSCC")), first=first, last=last, now=now
    )
    assert _codes_back(service_c, back) == service_a


def _codes_back(value: Any, back: dict[str, str]) -> Any:
    """The copy's codes (and the labels made of them) as the origin's."""
    if isinstance(value, dict):
        return {k: _codes_back(v, back) for k, v in value.items()}
    if isinstance(value, list):
        return [_codes_back(v, back) for v in value]
    if isinstance(value, str):
        for new, old in back.items():
            value = value.replace(new, old) if len(new) > 1 else (old if value == new else value)
        return value
    return value
