"""Idempotent demo data (README, "Demo users"): alliance DEMO, service DEMO-MSCC,
referring organisations, the NG234 default pathway, a 24/7 rota for 30 days,
the demo users and a few synthetic referrals. Every password is
MSCC_DEMO_PASSWORD's; nothing secret is in the code. With
MSCC_DEMO_TOTP_SECRET (base32) set, the staff users are also given an
authenticator with that secret, so a script (the benchmarks) can sign in with
two-factor on; the embedded demo runs with two-factor off and sets none."""

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.services import totp_device_install
from accounts.two_factor import is_staff
from coordinator.services import referral_create, service_provision
from core.roles import Role
from notifications.models import Shift
from referrals.codes import OrganisationKind
from referrals.inputs import PatientDetails
from referrals.models import Alliance, Organisation, Patient, Service, User

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "demo_referrals.json"

ORGANISATIONS = [
    ("DEMO-GP", "Demo Street Surgery", OrganisationKind.GP_PRACTICE),
    ("DEMO-GP2", "Second Demo Practice", OrganisationKind.GP_PRACTICE),
    ("DEMO-WARD", "Demo General Hospital, Oncology Ward 7", OrganisationKind.WARD),
]

USERS = [
    ("demo-referrer", "Dr Rhea Ferrer", Role.REFERRER, {"organisation": "DEMO-GP"}),
    ("demo-referrer-2", "Dr Sam Second", Role.REFERRER, {"organisation": "DEMO-GP2"}),
    ("demo-ward", "Dr Wendy Ward", Role.REFERRER, {"organisation": "DEMO-WARD"}),
    ("demo-coordinator", "Cora Ordinator", Role.COORDINATOR, {"service": "DEMO-MSCC"}),
    ("demo-senior", "Dr Sena Senior", Role.SENIOR_CLINICIAN, {"service": "DEMO-MSCC"}),
    ("demo-lead", "Lee Lead", Role.ALLIANCE_LEAD, {"alliance": "DEMO"}),
    ("demo-admin", "Addy Admin", Role.SERVICE_ADMIN, {"service": "DEMO-MSCC"}),
]

ROTA_DAYS = 30
SHIFT_HOURS = 12


class Command(BaseCommand):
    help = "Load the demo alliance, service, users, rota and synthetic referrals (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("MSCC_DEMO_PASSWORD", "")
        # The demo users follow the password rules' length (NCSC: 12 by default).
        if len(password) < settings.MSCC_PASSWORD_MIN_LENGTH:
            raise CommandError(
                f"Set MSCC_DEMO_PASSWORD ({settings.MSCC_PASSWORD_MIN_LENGTH}+ characters) "
                "for the demo users."
            )
        totp_secret = os.environ.get("MSCC_DEMO_TOTP_SECRET", "")
        with transaction.atomic():
            alliance, _ = Alliance.objects.update_or_create(
                code="DEMO", defaults={"name": "Demo Cancer Alliance", "population": 2_700_000}
            )
            service, _ = Service.objects.update_or_create(
                code="DEMO-MSCC",
                # 01632 960xxx is Ofcom's range reserved for drama: never a real line.
                defaults={
                    "name": "Demo MSCC Service",
                    "alliance": alliance,
                    "coordinator_phone": "01632 960 000",
                },
            )
            organisations = {
                code: Organisation.objects.update_or_create(
                    code=code, defaults={"name": name, "kind": kind, "alliance": alliance}
                )[0]
                for code, name, kind in ORGANISATIONS
            }
            scopes = {
                "organisation": organisations,
                "service": {"DEMO-MSCC": service},
                "alliance": {"DEMO": alliance},
            }
            users = {}
            for username, name, role, scope in USERS:
                ((field, code),) = scope.items()
                first, _, last = name.rpartition(" ")
                user, _ = User.objects.update_or_create(
                    username=username,
                    defaults={
                        "role": role,
                        "first_name": first,
                        "last_name": last,
                        "email": f"{username}@example.invalid",
                        # The service admin configures the pathway in the admin site.
                        "is_staff": role == Role.SERVICE_ADMIN,
                        field: scopes[field][code],
                    },
                )
                user.set_password(password)
                user.save(update_fields=["password"])
                if totp_secret and is_staff(user):
                    totp_device_install(user=user, secret_base32=totp_secret)
                users[username] = user
            admin = users["demo-admin"]
            if service.lead_id is None:
                service.lead = users["demo-senior"]  # escalated to last, after two hours
                service.save(update_fields=["lead"])
            service_provision(service=service, user=admin)
            shifts = self._rota(service, users["demo-coordinator"], users["demo-senior"])
            made = self._referrals(organisations, service, users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: alliance DEMO, service DEMO-MSCC, {len(USERS)} users, "
                f"{shifts} new rota shifts, {made} new demo referrals."
            )
        )

    def _rota(self, service: Service, coordinator: User, senior: User) -> int:
        """12-hour shifts from 08:00 today (UK time) for 30 days, both roles."""
        start_day = timezone.localdate()
        made = 0
        for day in range(ROTA_DAYS + 1):
            for half in (0, 1):
                starts = _local(start_day + timedelta(days=day), 8 + SHIFT_HOURS * half)
                ends = starts + timedelta(hours=SHIFT_HOURS)
                for role, user in (("coordinator", coordinator), ("senior_clinician", senior)):
                    _, created = Shift.objects.get_or_create(
                        service=service,
                        role=role,
                        starts_at=starts,
                        defaults={"ends_at": ends, "user": user},
                    )
                    made += created
        # Cover the hours before 08:00 today too, so there is no gap right now.
        early = _local(start_day, 8) - timedelta(hours=SHIFT_HOURS)
        for role, user in (("coordinator", coordinator), ("senior_clinician", senior)):
            _, created = Shift.objects.get_or_create(
                service=service,
                role=role,
                starts_at=early,
                defaults={"ends_at": early + timedelta(hours=SHIFT_HOURS), "user": user},
            )
            made += created
        return made

    def _referrals(
        self, organisations: dict[str, Organisation], service: Service, users: dict[str, User]
    ) -> int:
        referrer_for = {
            "DEMO-GP": "demo-referrer",
            "DEMO-GP2": "demo-referrer-2",
            "DEMO-WARD": "demo-ward",
        }
        now = timezone.now()
        made = 0
        for item in json.loads(FIXTURES.read_text()):
            patient = dict(item["patient"])
            if Patient.objects.filter(nhs_number=patient["nhs_number"]).exists():
                continue
            patient["date_of_birth"] = date.fromisoformat(patient["date_of_birth"])
            clinical = {
                k: v
                for k, v in item.items()
                if k not in ("_note", "hours_ago", "organisation", "patient")
            }
            received = now - timedelta(hours=item["hours_ago"])
            referral_create(
                user=users[referrer_for[item["organisation"]]],
                now=received,
                organisation=organisations[item["organisation"]],
                service=service,
                patient=PatientDetails(**patient),
                clinical=clinical,
            )
            made += 1
        return made


def _local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour % 24, tzinfo=timezone.get_current_timezone())
