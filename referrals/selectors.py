"""Reads for referrals, every one scoped to what the user may see.

The scope is decided in one place, ``referrals_visible_to``: a referrer sees
their own organisation's referrals; coordinators and senior clinicians their
service's; alliance leads and service admins no patient-level data at all.
"""

from django.db.models import QuerySet

from core.roles import Role
from referrals import rules
from referrals.codes import (
    CancerStatus,
    Haematological,
    ImagingFindings,
    MovementPain,
    NeuroFeature,
    PainFeature,
    PrimaryTumour,
)
from referrals.models import Referral, User


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    """Every referral ``user`` may see: the base of every patient-level read."""
    referrals = Referral.objects.all()
    if user.role == Role.REFERRER and user.organisation_id:
        return referrals.filter(referring_organisation_id=user.organisation_id)
    if user.role in (Role.COORDINATOR, Role.SENIOR_CLINICIAN) and user.service_id:
        return referrals.filter(service_id=user.service_id)
    return referrals.none()


def triage_input_for(referral: Referral) -> rules.TriageInput:
    return rules.TriageInput(
        cancer_status=CancerStatus(referral.cancer_status),
        pain_features=frozenset(PainFeature(p) for p in referral.pain_features),
        neuro_features=frozenset(NeuroFeature(n) for n in referral.neuro_features),
        imaging_findings=ImagingFindings(referral.imaging_findings),
        known_spinal_metastases=referral.known_spinal_metastases,
        back_pain=referral.back_pain,
        instability_signs=referral.instability_signs,
        movement_pain=MovementPain(referral.movement_pain),
        primary_tumour=PrimaryTumour(referral.primary_tumour) if referral.primary_tumour else None,
        haematological=Haematological(referral.haematological),
    )
