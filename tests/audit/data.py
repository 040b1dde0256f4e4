"""Referrals for the audit dashboard's tests: some months of suspected-MSCC
referrals, acknowledged and imaged, through the services (as intake and a
coordinator would make them), so the charts have points and the tables have
both shown and suppressed figures.

Every referral's patient is a synthetic one with its own NHS number, and
the family name is unusual enough that a test can assert it never reaches
the page.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from audit.periods import Month
from referrals.models import Referral
from tests.conftest import hours
from tests.factories import ClinicalEventFactory, ReferrerFactory, patient_details

FAMILY_NAME = "Zanzibarsky"

# (referrals, of which imaged late) each month, oldest first: percentages met
# 100, 53.8, (3 referrals: suppressed), 100, 50, 100.
MONTHS: tuple[tuple[int, int], ...] = ((13, 0), (13, 6), (3, 0), (13, 0), (14, 7), (13, 0))


@dataclass
class Made:
    months: list[Month]
    referrals: list[Referral] = field(default_factory=list)

    @property
    def first(self) -> Month:
        return self.months[0]

    @property
    def last(self) -> Month:
        return self.months[-1]


def past_months(count: int) -> list[Month]:
    """The ``count`` whole months before this one, oldest first."""
    month = Month.of(timezone.now(), timezone.get_current_timezone())
    months = []
    for _ in range(count):
        month = month.previous()
        months.append(month)
    return months[::-1]


def audit_referrals(
    world: Any, make_referral: Any, plan: tuple[tuple[int, int], ...] = MONTHS
) -> Made:
    """``plan``'s referrals in the months before this one: each acknowledged
    after 12 minutes and imaged in 2 to 14 hours (the late ones after 30);
    every third from a ward, and the first of each month walking after
    treatment."""
    zone = timezone.get_current_timezone()
    made = Made(past_months(len(plan)))
    ward_doctor = ReferrerFactory(username="referrer-ward", organisation=world.ward)
    for month, (count, late) in zip(made.months, plan, strict=True):
        start = month.start(zone) + timedelta(days=9, hours=8)
        for index in range(count):
            received = start + timedelta(hours=index * 5)
            ward = index % 3 == 2
            referral = make_referral(
                now=received,
                patient=patient_details(family_name=FAMILY_NAME, given_name="Audit"),
                organisation=world.ward if ward else world.gp,
                user=ward_doctor if ward else world.referrer,
                primary_tumour="prostate" if index % 2 else "breast",
            )
            later = received + hours(72)
            ClinicalEventFactory(
                referral=referral,
                user=world.coordinator,
                now=later,
                kind="acknowledged",
                occurred_at=received + hours(0.2),
            )
            took = 30 if index < late else 2 + index
            ClinicalEventFactory(
                referral=referral,
                user=world.coordinator,
                now=later,
                kind="mri_performed",
                occurred_at=received + hours(took),
            )
            if index == 0:
                ClinicalEventFactory(
                    referral=referral,
                    user=world.coordinator,
                    now=later,
                    kind="ambulatory_assessed",
                    occurred_at=received + hours(48),
                    ambulatory=True,
                )
            made.referrals.append(referral)
    return made
