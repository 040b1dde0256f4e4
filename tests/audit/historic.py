"""Helpers for the historic import and export tests: the synthetic fixture
(``historic_referrals.csv``: five referrals of alliance A, NHS numbers from
the never-issued 999 range), CSV in and out, and what to compare of two
referrals."""

import csv
import io
from pathlib import Path
from typing import Any

from django.core.management import call_command

from audit.historic.columns import COLUMNS
from pathways.codes import EventKind
from referrals.models import Referral

FIXTURE = Path(__file__).with_name("historic_referrals.csv")


def fixture_rows() -> list[dict[str, str]]:
    with FIXTURE.open(newline="") as f:
        return list(csv.DictReader(f))


def csv_text(rows: list[dict[str, str]], columns: tuple[str, ...] | list[str] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def write_csv(path: Path, rows: list[dict[str, str]], columns: Any = COLUMNS) -> Path:
    path.write_text(csv_text(rows, columns), encoding="utf-8")
    return path


def run_import(path: Path, *args: str) -> tuple[str, str]:
    """(stdout, stderr) of ``import_referrals``; raises CommandError."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_referrals", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_export(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_referrals", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def clocks_of(referral: Referral) -> list[tuple[Any, ...]]:
    """The clocks the audit counts (void ones never are), comparably."""
    return sorted(
        (c.kind, c.status, c.started_at, c.due_at, c.stopped_at, c.not_appropriate)
        for c in referral.clocks.filter(void=False)
    )


def events_of(referral: Referral) -> list[tuple[Any, ...]]:
    """The events that stand, comparably."""
    return sorted(
        (e.kind, e.occurred_at, e.ambulatory)
        for e in referral.events.filter(correction__isnull=True).exclude(
            kind=EventKind.ENTERED_IN_ERROR
        )
    )


def referral_facts(referral: Referral) -> dict[str, Any]:
    """What the audit reads of a referral, beside its clocks and events."""
    p = referral.patient
    return {
        "patient": (p.nhs_number, p.date_of_birth, p.sex, p.postcode, p.imd_decile),
        "organisation_kind": referral.referring_organisation.kind,
        "received_at": referral.received_at,
        "suspected_at": referral.suspected_at,
        "suspected_at_assumed": referral.suspected_at_assumed,
        "neuro_onset_at": referral.neuro_onset_at,
        "cancer_status": referral.cancer_status,
        "primary_tumour": referral.primary_tumour,
        "pain_features": referral.pain_features,
        "neuro_features": referral.neuro_features,
        "imaging_findings": referral.imaging_findings,
        "imaging_modality": referral.imaging_modality,
        "haematological": referral.haematological,
        "movement_pain": referral.movement_pain,
        "ambulatory": referral.ambulatory,
        "triage_category": referral.triage_category,
        "category": referral.category,
        "status": referral.status,
    }
