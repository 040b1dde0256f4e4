"""``manage.py load_imd``: the postcode → LSOA → IMD decile lookup, and the
audit's deprivation breakdown that reads it (NG234 1.1.13)."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.deprivation import canonical_postcode
from audit.models import PostcodeDeprivation
from audit.periods import Month
from audit.selectors.summary import AuditScope, audit_summary
from referrals.models import Patient
from tests.factories import ReferralFactory, patient_details

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "demo_imd.csv"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lookup.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_demo_lookup_loads_by_its_published_column_names() -> None:
    call_command("load_imd", str(FIXTURE))
    assert PostcodeDeprivation.objects.get(postcode="LS1 4AP").imd_decile == 2
    assert PostcodeDeprivation.objects.count() == len(FIXTURE.read_text().splitlines()) - 1


def test_the_ons_directory_names_load_too(tmp_path: Path) -> None:
    path = _write(tmp_path, "pcds,lsoa21cd,imd_decile\nls14ap,E01000001,7\n")
    call_command("load_imd", str(path))
    assert PostcodeDeprivation.objects.get(postcode="LS1 4AP").imd_decile == 7


def test_every_bad_line_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "postcode,lsoa_code,imd_decile\nLS1 4AP,E01000001,3\nNOT A PC,E1,3\nLS6 2QZ,,11\n",
    )
    with pytest.raises(CommandError) as refused:
        call_command("load_imd", str(path))
    message = str(refused.value)
    assert "line 3, column postcode" in message
    assert "line 4, column lsoa_code" in message
    assert "line 4, column imd_decile" in message
    assert not PostcodeDeprivation.objects.exists()


def test_a_file_without_a_decile_column_is_refused_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "postcode,lsoa_code\nLS1 4AP,E01000001\n")
    with pytest.raises(CommandError, match="no imd_decile column"):
        call_command("load_imd", str(path))


def test_loading_again_updates_and_replace_removes_the_rest(tmp_path: Path) -> None:
    header = "postcode,lsoa_code,imd_decile\n"
    call_command("load_imd", str(_write(tmp_path, header + "LS1 4AP,E1,3\nLS6 2QZ,E2,4\n")))
    call_command("load_imd", str(_write(tmp_path, header + "LS1 4AP,E1,5\n")))
    assert PostcodeDeprivation.objects.get(postcode="LS1 4AP").imd_decile == 5
    assert PostcodeDeprivation.objects.filter(postcode="LS6 2QZ").exists()
    path = _write(tmp_path, "postcode,lsoa_code,imd_decile\nLS1 4AP,E1,5\nLS1 4AP,E1,6\n")
    call_command("load_imd", str(path), "--replace")
    assert list(PostcodeDeprivation.objects.values_list("postcode", "imd_decile")) == [
        ("LS1 4AP", 6)
    ]


@pytest.mark.parametrize(
    ("written", "stored"),
    [("LS1 4AP", "LS1 4AP"), ("ls14ap", "LS1 4AP"), (" sw1a  1aa ", "SW1A 1AA"), ("12345", None)],
)
def test_postcodes_are_stored_as_patients_are(written: str, stored: str | None) -> None:
    assert canonical_postcode(written) == stored


def _decile_counts(service: Any, now: datetime) -> dict[str, int | None]:
    month = Month.of(now, timezone.get_current_timezone())
    summary = audit_summary(
        scope=AuditScope(alliance=service.alliance), first=month, last=month, now=now
    )
    return {
        cell["code"]: cell["referrals"] for cell in summary["totals"]["incidence"]["imd_decile"]
    }


def test_the_decile_comes_from_the_lookup_unknown_when_absent_and_a_stored_one_wins(
    service: Any, tmp_path: Path
) -> None:
    service.alliance.suppression_threshold = 1
    service.alliance.save()
    now = timezone.now() - timedelta(minutes=5)
    postcodes = ["LS1 4AP"] * 2 + ["LS6 2QZ"] * 2 + ["ZE9 9ZZ"] * 2
    for postcode in postcodes:
        ReferralFactory(service=service, now=now, patient=patient_details(postcode=postcode))
    # A lookup loaded after the referrals reaches them: it is read at report time.
    call_command(
        "load_imd",
        str(_write(tmp_path, "postcode,lsoa_code,imd_decile\nLS1 4AP,E1,2\nLS6 2QZ,E2,9\n")),
    )
    # An imported row's own decile is stored on the patient and wins.
    Patient.objects.filter(postcode="LS6 2QZ").update(imd_decile=4)
    counts = _decile_counts(service, now)
    assert counts["2"] == 2
    assert counts["4"] == 2
    assert counts["9"] == 0
    assert counts["unknown"] == 2
