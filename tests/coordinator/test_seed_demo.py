from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.models import Shift
from pathways.models import PathwayVersion
from referrals.models import Organisation, Referral, Service, User

USERS = [
    "demo-referrer",
    "demo-referrer-2",
    "demo-coordinator",
    "demo-senior",
    "demo-lead",
    "demo-admin",
]


def test_seed_demo_is_idempotent_and_makes_the_contract(db, monkeypatch):
    monkeypatch.setenv("MSCC_DEMO_PASSWORD", "a-demo-password")
    call_command("seed_demo")
    counts = (
        User.objects.count(),
        Referral.objects.count(),
        Shift.objects.count(),
        PathwayVersion.objects.count(),
    )
    call_command("seed_demo")
    assert (
        User.objects.count(),
        Referral.objects.count(),
        Shift.objects.count(),
        PathwayVersion.objects.count(),
    ) == counts

    service = Service.objects.get(code="DEMO-MSCC")
    assert service.alliance.code == "DEMO"
    assert set(Organisation.objects.values_list("code", flat=True)) >= {
        "DEMO-GP",
        "DEMO-GP2",
        "DEMO-WARD",
    }
    for username in USERS:
        assert User.objects.get(username=username).check_password("a-demo-password")
    assert User.objects.get(username="demo-referrer-2").organisation.code == "DEMO-GP2"
    assert PathwayVersion.objects.filter(service=service).count() == 1


def test_seed_demo_rota_covers_every_minute_of_the_next_30_days(db, monkeypatch):
    monkeypatch.setenv("MSCC_DEMO_PASSWORD", "a-demo-password")
    call_command("seed_demo")
    now = timezone.now()
    for role in ("coordinator", "senior_clinician"):
        shifts = list(Shift.objects.filter(role=role).order_by("starts_at"))
        covered_to = now
        for shift in shifts:
            if shift.starts_at <= covered_to:
                covered_to = max(covered_to, shift.ends_at)
        assert covered_to >= now + timedelta(days=30), role


def test_seed_demo_refuses_without_a_password(db, monkeypatch):
    monkeypatch.delenv("MSCC_DEMO_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="MSCC_DEMO_PASSWORD"):
        call_command("seed_demo")
