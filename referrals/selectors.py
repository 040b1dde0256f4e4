"""Reads for referrals, every one scoped to what the user may see.

The scope is decided in one place, ``referrals_visible_to``: a referrer sees
their own organisation's referrals; coordinators and senior clinicians their
service's; alliance leads and service admins no patient-level data at all.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from core.permissions import ACTION_ROLES
from core.roles import Role
from referrals import rules
from referrals.codes import (
    CancerStatus,
    Haematological,
    ImagingFindings,
    ImagingModality,
    MovementPain,
    NeuroFeature,
    PainFeature,
    PrimaryTumour,
)
from referrals.models import Organisation, Referral, User


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    """Every referral ``user`` may see: the base of every patient-level read."""
    referrals = Referral.objects.all()
    if user.role == Role.REFERRER and user.organisation_id:
        return referrals.filter(referring_organisation_id=user.organisation_id)
    if user.role in (Role.COORDINATOR, Role.SENIOR_CLINICIAN) and user.service_id:
        return referrals.filter(service_id=user.service_id)
    return referrals.none()


@dataclass(frozen=True)
class PatientShown:
    """A referral's patient details as one user is shown them; ``None`` is
    "not recorded"."""

    nhs_number: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    sex: str | None
    postcode: str | None

    @property
    def formatted_nhs_number(self) -> str:
        n = self.nhs_number
        return f"{n[:3]} {n[3:6]} {n[6:]}"


def identity_held_visible_to(user: User) -> bool:
    """Whether ``user`` may see what is held for an NHS number and any
    identity mismatch: the service's coordinators and senior clinicians."""
    return user.role in ACTION_ROLES["patient_identity_held"]


def patient_held(referral: Referral) -> PatientShown:
    """The record held for the referral's NHS number (coordinators and seniors only)."""
    p = referral.patient
    return PatientShown(
        p.nhs_number, p.given_name, p.family_name, p.date_of_birth, p.sex, p.postcode
    )


def patient_as_sent(referral: Referral) -> PatientShown:
    """The patient details exactly as the referral sent them: never the held
    record, which would tell a referrer that someone else referred this person.

    A referral from before the as-sent details were kept, and not backfilled
    (referrals/migrations/0010_backfill_sent_details.py), shows the held
    name, date of birth, sex and postcode only where no mismatch was flagged
    (they matched what was sent); otherwise only the NHS number, the rest
    "not recorded".
    """
    nhs = referral.patient.nhs_number
    if referral.sent_date_of_birth is not None:
        return PatientShown(
            nhs,
            referral.sent_given_name or None,
            referral.sent_family_name or None,
            referral.sent_date_of_birth,
            referral.sent_sex or None,
            referral.sent_postcode or None,
        )
    if referral.identity_check_required:
        return PatientShown(nhs, None, None, None, None, None)
    return patient_held(referral)


def patient_shown_to(user: User, referral: Referral) -> PatientShown:
    """The patient details ``user`` sees on ``referral``: the held record for
    the service's clinicians, the details as sent for everyone else."""
    if identity_held_visible_to(user):
        return patient_held(referral)
    return patient_as_sent(referral)


def triage_input_for(referral: Referral) -> rules.TriageInput:
    return rules.TriageInput(
        cancer_status=CancerStatus(referral.cancer_status),
        pain_features=frozenset(PainFeature(p) for p in referral.pain_features),
        neuro_features=frozenset(NeuroFeature(n) for n in referral.neuro_features),
        imaging_findings=ImagingFindings(referral.imaging_findings),
        imaging_modality=(
            ImagingModality(referral.imaging_modality) if referral.imaging_modality else None
        ),
        known_spinal_metastases=referral.known_spinal_metastases,
        back_pain=referral.back_pain,
        instability_signs=referral.instability_signs,
        movement_pain=MovementPain(referral.movement_pain),
        primary_tumour=PrimaryTumour(referral.primary_tumour) if referral.primary_tumour else None,
        haematological=Haematological(referral.haematological),
        age_years=age_at(_date_of_birth(referral), referral.received_at.date()),
    )


def _date_of_birth(referral: Referral) -> date:
    """The date of birth the referral gave (what was held, for a referral
    made before the details sent were kept)."""
    return referral.sent_date_of_birth or referral.patient.date_of_birth


def age_at(born: date, on: date) -> int:
    """Age in whole years on ``on``."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def referral_times_since(
    *, since: datetime, user: User | None = None, organisation: Organisation | None = None
) -> list[datetime]:
    """When each referral made by ``user`` (or from ``organisation``) after
    ``since`` was received, oldest first: what the intake limits count."""
    referrals = Referral.objects.filter(received_at__gt=since)
    if user is not None:
        referrals = referrals.filter(referred_by=user)
    if organisation is not None:
        referrals = referrals.filter(referring_organisation=organisation)
    return list(referrals.order_by("received_at").values_list("received_at", flat=True))
