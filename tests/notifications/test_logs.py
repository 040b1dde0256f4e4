"""Structured logs (core/logs.py): a sweep and a delivery are logged as JSON
lines carrying ids and references, never the patient's identifiers."""

import json
import logging
from datetime import date, timedelta

import pytest
from django.utils import timezone

from coordinator.services import referral_create
from core.logs import WITHHELD, JsonFormatter, get_logger
from notifications.models import Delivery
from notifications.services.delivery import delivery_send
from pathways.models import Clock
from referrals.inputs import PatientDetails
from referrals.nhs_number import check_digit
from tests.notifications.conftest import run


def _synthetic_nhs_number() -> str:
    """A valid number from the never-issued 999 range, below the 999 1xx xxx
    block the shared fixtures hand out, so it cannot collide with theirs."""
    for stem in range(999_012_345, 999_099_999):
        digit = check_digit(str(stem))
        if digit is not None:
            return f"{stem}{digit}"
    raise AssertionError("no valid number in range")


NHS_NUMBER = _synthetic_nhs_number()
GIVEN, FAMILY = "Zebulon", "Quillfeather"
BIRTH = date(1948, 2, 29)
POSTCODE = "LS99 9ZZ"
# Every form in which an identifier could leak into a line.
IDENTIFIERS = [
    NHS_NUMBER,
    f"{NHS_NUMBER[:3]} {NHS_NUMBER[3:6]} {NHS_NUMBER[6:]}",
    GIVEN,
    FAMILY,
    BIRTH.isoformat(),
    BIRTH.strftime("%d/%m/%Y"),
    POSTCODE,
    POSTCODE.replace(" ", ""),
]


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The captured records as the console handler writes them."""
    formatter = JsonFormatter()
    return [formatter.format(r) for r in caplog.records]


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, object]]:
    return [entry for line in lines(caplog) if (entry := json.loads(line))["event"] == name]


def test_a_sweep_and_its_deliveries_log_ids_and_no_patient_identifiers(
    on_call, caplog, django_capture_on_commit_callbacks
):
    start = timezone.now()
    referral = referral_create(
        user=on_call.referrer,
        now=start,
        organisation=on_call.gp,
        service=on_call.service,
        patient=PatientDetails(
            nhs_number=NHS_NUMBER,
            given_name=GIVEN,
            family_name=FAMILY,
            date_of_birth=BIRTH,
            sex="male",
            postcode=POSTCODE,
        ),
        clinical={
            "cancer_status": "current_or_past",
            "primary_tumour": "breast",
            "neuro_features": ["limb_weakness"],
        },
    )
    clock = Clock.objects.get(referral=referral, kind="acknowledgement")
    caplog.set_level(logging.DEBUG)  # everything, not only what INFO shows

    with django_capture_on_commit_callbacks(execute=True):
        result, queued = run(start + timedelta(minutes=31))  # steps 1-3 due
    for delivery_id in queued:
        delivery_send(delivery_id=delivery_id, now=start + timedelta(minutes=31))

    (finished,) = events(caplog, "sweep.finished")
    assert finished["level"] == "INFO"
    assert finished["logger"] == "notifications.services.sweep"
    assert finished["clocks"] >= 1
    assert finished["escalations"] == len(result.escalations) >= 3
    assert finished["deliveries"] == result.deliveries
    assert finished["requeued"] == 0
    assert isinstance(finished["took_ms"], int)
    assert finished["time"].endswith("+00:00")

    raised = events(caplog, "escalation.raised")
    assert {e["escalation_id"] for e in raised} == {str(e.pk) for e in result.escalations}
    ack = [e for e in raised if e["clock_id"] == str(clock.pk)]
    assert ack and all(e["reference"] == referral.reference for e in ack)

    attempts = events(caplog, "delivery.attempt")
    assert {a["delivery_id"] for a in attempts} == set(queued)
    for attempt in attempts:
        delivery = Delivery.objects.get(pk=attempt["delivery_id"])
        assert attempt["escalation_id"] == str(delivery.escalation_id)
        assert attempt["reference"] == delivery.escalation.clock.referral.reference
        assert attempt["channel"] == delivery.channel
        assert attempt["attempt"] == 1
        assert attempt["outcome"] == "sent"
    assert {a["channel"] for a in attempts} >= {"in_app", "email"}

    # Nothing the handler would write carries an identifier, in any field.
    written = "\n".join(lines(caplog))
    assert referral.reference in written
    for identifier in IDENTIFIERS:
        assert identifier.lower() not in written.lower(), identifier


def test_a_failed_attempt_logs_the_error_type_not_its_text(on_call, make_referral, caplog):
    start = timezone.now()
    make_referral(now=start)
    on_call.coordinator.email = ""  # the e-mail cannot be sent
    on_call.coordinator.save()
    run(start + timedelta(minutes=30))  # at due: the coordinator by e-mail too
    email = Delivery.objects.filter(channel="email", address="").first()
    assert email is not None
    caplog.set_level(logging.INFO)
    with pytest.raises(Exception, match="no e-mail address"):
        delivery_send(delivery_id=email.pk, now=start)
    (attempt,) = events(caplog, "delivery.attempt")
    assert (attempt["level"], attempt["outcome"], attempt["attempt"]) == ("WARNING", "retry", 1)
    assert attempt["error_type"] == "ValueError"
    assert "e-mail address" not in json.dumps(attempt)


def test_the_helper_logs_an_event_with_fields_and_withholds_identifiers(caplog):
    caplog.set_level(logging.INFO)
    log = get_logger("mscc.example")
    log.info("referral.created", reference="MSCC-TEST-1", referral_id=42, took_ms=3)
    log.info("careless", nhs_number=NHS_NUMBER, name=f"{GIVEN} {FAMILY}", postcode=POSTCODE)
    first, second = (json.loads(line) for line in lines(caplog))
    assert first == {
        "time": first["time"],
        "level": "INFO",
        "logger": "mscc.example",
        "event": "referral.created",
        "reference": "MSCC-TEST-1",
        "referral_id": 42,
        "took_ms": 3,
    }
    assert caplog.records[0].funcName == (
        "test_the_helper_logs_an_event_with_fields_and_withholds_identifiers"
    )
    assert second["nhs_number"] == second["name_"] == second["postcode"] == WITHHELD


def test_settings_send_the_root_logger_through_the_json_formatter():
    formatters = [type(h.formatter) for h in logging.getLogger().handlers]
    assert JsonFormatter in formatters


def test_intake_events_and_status_log_ids_and_no_patient_identifiers(on_call, caplog):
    from coordinator.services import referral_event_add, referral_status_change

    caplog.set_level(logging.DEBUG)
    start = timezone.now() - timedelta(hours=2)
    referral = referral_create(
        user=on_call.referrer,
        now=start,
        organisation=on_call.gp,
        service=on_call.service,
        patient=PatientDetails(
            nhs_number=NHS_NUMBER,
            given_name=GIVEN,
            family_name=FAMILY,
            date_of_birth=BIRTH,
            sex="male",
            postcode=POSTCODE,
        ),
        clinical={
            "cancer_status": "current_or_past",
            "primary_tumour": "breast",
            "neuro_features": ["limb_weakness"],
        },
    )
    now = timezone.now()
    mri = referral_event_add(
        referral=referral,
        user=on_call.coordinator,
        now=now,
        kind="mri_performed",
        occurred_at=now - timedelta(minutes=30),
    )
    referral_event_add(
        referral=referral,
        user=on_call.coordinator,
        now=now,
        kind="entered_in_error",
        occurred_at=now,
        details=f"Not {GIVEN} {FAMILY}'s scan",  # free text is never logged
        corrects=mri.pk,
    )
    referral_status_change(
        referral=referral, user=on_call.coordinator, now=now, status="withdrawn", reason="x"
    )

    (created,) = events(caplog, "referral.created")
    assert (created["reference"], created["referral_id"]) == (referral.reference, str(referral.pk))
    assert created["category"] == "suspected_mscc"
    (recorded,) = events(caplog, "event.recorded")
    assert (recorded["event_id"], recorded["kind"]) == (str(mri.pk), "mri_performed")
    assert events(caplog, "event.withdrawn")[0]["event_id"] == str(mri.pk)
    assert events(caplog, "clocks.recomputed")
    assert events(caplog, "referral.status")[-1]["status"] == "withdrawn"
    written = "\n".join(lines(caplog))
    for identifier in IDENTIFIERS:
        assert identifier.lower() not in written.lower(), identifier
