"""The rules a referral's input must keep, enforced for every caller.

The API and the referral page parse what people send (types, shapes) and
then ask these checks; intake (``coordinator.services.referral_create``)
runs them again for callers that parse nothing of their own (``seed_demo``,
fixtures, benchmarks, the FHIR edge), so no caller can store a referral that
breaks them. Each check names the field it is about.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.errors import DomainError
from referrals import nhs_number
from referrals.codes import (
    CancerStatus,
    Haematological,
    ImagingFindings,
    ImagingModality,
    MovementPain,
    NeuroFeature,
    PainFeature,
    PrimaryTumour,
    Sex,
)

POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
TEXT_MAX = 5000
EARLIEST_BIRTH = date(1900, 1, 1)

# The closed code fields of a referral, and the enum each takes.
CODE_FIELDS: dict[str, type[StrEnum]] = {
    "cancer_status": CancerStatus,
    "primary_tumour": PrimaryTumour,
    "haematological": Haematological,
    "imaging_findings": ImagingFindings,
    "imaging_modality": ImagingModality,
    "movement_pain": MovementPain,
}
CODE_LIST_FIELDS: dict[str, type[StrEnum]] = {
    "pain_features": PainFeature,
    "neuro_features": NeuroFeature,
}
SCALES: dict[str, tuple[int, int]] = {"performance_status": (0, 4), "frailty_score": (1, 9)}
TEXT_FIELDS: dict[str, int] = {
    "presentation": TEXT_MAX,
    "neurological_assessment": TEXT_MAX,
    "imaging_report": TEXT_MAX,
    "oncology_history": TEXT_MAX,
    "individual_needs": TEXT_MAX,
    "referrer_contact": 100,
}


@dataclass(frozen=True)
class PatientDetails:
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    postcode: str


def nhs_number_checked(value: str) -> str:
    problem = nhs_number.problem(value)
    if problem:
        raise DomainError(problem, field="nhs_number")
    return nhs_number.normalise(value)


def date_of_birth_checked(value: date, today: date) -> date:
    if value > today:
        raise DomainError("The date of birth cannot be in the future.", field="date_of_birth")
    if value < EARLIEST_BIRTH:
        raise DomainError("The date of birth is before 1900: check it.", field="date_of_birth")
    return value


def postcode_checked(value: str) -> str:
    match = POSTCODE.match(value.strip().upper())
    if not match:
        raise DomainError("Not a UK postcode (e.g. LS1 4AP).", field="postcode")
    return f"{match.group(1)} {match.group(2)}"


def time_checked(
    value: datetime | None, now: datetime, *, what: str, field: str, look_back: bool = False
) -> datetime | None:
    """A time that may not be in the future. A few minutes of client clock
    skew (``skew``, MSCC_FUTURE_SKEW_SECONDS) is read as "now" rather than
    refused; a time without its UTC offset is refused (it is ambiguous when
    the clocks change). ``look_back``: nor more than MSCC_EVENT_LOOKBACK_DAYS
    before now (a suspicion months old is a slip of the keyboard, and its
    clock would be overdue at once)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise DomainError("Give the time with its UTC offset.", field=field)
    if value > now + timedelta(seconds=settings.MSCC_FUTURE_SKEW_SECONDS):
        raise DomainError(f"The {what} cannot be in the future.", field=field)
    days = settings.MSCC_EVENT_LOOKBACK_DAYS
    if look_back and value < now - timedelta(days=days):
        raise DomainError(f"The {what} is more than {days} days ago: check the date.", field=field)
    return min(value, now)


def clinical_problems(fields: Mapping[str, Any], date_of_birth: date) -> dict[str, list[str]]:
    """The rules between fields, each problem under the field to correct."""
    errors: dict[str, list[str]] = {}
    if fields.get("cancer_status") == CancerStatus.CURRENT_OR_PAST and not fields.get(
        "primary_tumour"
    ):
        errors["primary_tumour"] = [
            "Give the primary tumour for a current or past cancer ('unknown_primary' if not known)."
        ]
    onset, suspected = fields.get("neuro_onset_at"), fields.get("suspected_at")
    if onset and not fields.get("neuro_features"):
        # An onset of nothing: the referrer meant to tick a feature, or the
        # time belongs elsewhere. Refused by name rather than guessed.
        errors["neuro_onset_at"] = [
            "An onset time is for neurological symptoms: tick the neurological features "
            "(neuro_features) it belongs to, or leave it blank."
        ]
    if onset and suspected and suspected < onset:
        errors["suspected_at"] = [
            "Suspicion cannot come before the onset of neurological symptoms."
        ]
    if onset and timezone.localtime(onset).date() < date_of_birth:
        errors["neuro_onset_at"] = ["The onset cannot be before the date of birth."]
    if suspected and timezone.localtime(suspected).date() < date_of_birth:
        errors["suspected_at"] = ["Suspicion cannot be before the date of birth."]
    return errors


def _codes_problems(fields: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, enum in CODE_FIELDS.items():
        value = fields.get(name)
        if value and value not in enum._value2member_map_:
            errors[name] = [f"Unknown code {value!r}."]
    for name, enum in CODE_LIST_FIELDS.items():
        unknown = [v for v in fields.get(name) or [] if v not in enum._value2member_map_]
        if unknown:
            errors[name] = [f"Unknown code {v!r}." for v in unknown]
    for name, (low, high) in SCALES.items():
        value = fields.get(name)
        if value is not None and not low <= value <= high:
            errors[name] = [f"Give a whole number from {low} to {high}."]
    for name, longest in TEXT_FIELDS.items():
        if len(fields.get(name) or "") > longest:
            errors[name] = [f"Keep this to {longest} characters."]
    return errors


def referral_input_checked(
    *, patient: PatientDetails, clinical: Mapping[str, Any], now: datetime
) -> tuple[PatientDetails, dict[str, Any]]:
    """Every rule of a referral's input, for every caller: the patient's
    details normalised (NHS number, postcode), codes closed, times not in the
    future, the rules between fields. Raises one ``DomainError`` naming every
    field at fault (patient fields as ``patient.<name>``); stores nothing."""
    errors: dict[str, list[str]] = {}
    normalised: dict[str, Any] = {}
    for name, check in (
        ("nhs_number", lambda: nhs_number_checked(patient.nhs_number)),
        ("postcode", lambda: postcode_checked(patient.postcode)),
        (
            "date_of_birth",
            lambda: date_of_birth_checked(patient.date_of_birth, timezone.localdate(now)),
        ),
    ):
        try:
            normalised[name] = check()
        except DomainError as error:
            errors[f"patient.{name}"] = [error.message]
    if patient.sex not in Sex._value2member_map_:
        errors["patient.sex"] = [f"Unknown code {patient.sex!r}."]
    for name in ("given_name", "family_name"):
        if not getattr(patient, name).strip():
            errors[f"patient.{name}"] = ["This is needed to identify the patient."]

    fields = dict(clinical)
    for name, what in (
        ("neuro_onset_at", "onset of neurological symptoms"),
        ("suspected_at", "time MSCC or spinal metastases were suspected"),
    ):
        try:
            fields[name] = time_checked(
                fields.get(name), now, what=what, field=name, look_back=name == "suspected_at"
            )
        except DomainError as error:
            errors[name] = [error.message]
    errors.update(_codes_problems(fields))
    if not errors:
        errors.update(clinical_problems(fields, patient.date_of_birth))
    if errors:
        raise DomainError(errors=errors)
    return replace(patient, **normalised), fields
