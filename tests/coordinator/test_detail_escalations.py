"""The referral page's Escalations panel: who was told what, when (each step
raised, each delivery with its status in words), acknowledging from the page
(in place with htmx, or POST-redirect-GET), and who sees it."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from notifications.codes import Channel, DeliveryStatus
from notifications.models import Delivery, Escalation
from notifications.services.delivery import delivery_send
from notifications.services.escalations import escalation_acknowledge
from referrals.models import PatientDataAccess
from tests.notifications.conftest import run
from tests.page_helpers import fragment, html, signed_in, swapped, text

# The coordinator and senior clinician on call (the escalation tests' fixture).

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}
LIVE = ("summary", "advice", "clocks", "timeline", "mdt", "escalations", "scores")


@pytest.fixture
def raised(on_call: Any, make_referral: Any) -> Any:
    """A referral whose acknowledgement clock is overdue: steps 1-3 raised,
    the in-app deliveries sent, the e-mails still waiting."""
    referral = make_referral(now=timezone.now() - timedelta(minutes=31))
    run(timezone.now())
    for delivery in Delivery.objects.filter(channel=Channel.IN_APP):
        delivery_send(delivery_id=delivery.pk, now=timezone.now())
    return referral


def at_due() -> Escalation:
    return Escalation.objects.get(step__position=3)


def page_of(referral: Any) -> str:
    return f"/referrals/{referral.pk}/"


def acknowledge_url(referral: Any, escalation: Escalation) -> str:
    return f"/referrals/{referral.pk}/escalations/{escalation.pk}/acknowledge/"


# --- What the panel shows ------------------------------------------------------------------


def test_the_panel_says_who_was_told_what_when(world: Any, raised: Any) -> None:
    body = html(signed_in(world.coordinator).get(page_of(raised)))
    assert 'href="#escalations"' in body
    panel = fragment(body, "escalations")
    words = text(panel)
    assert "Acknowledgement clock, step 1: Warning, with 50% of the target left" in words
    assert "Acknowledgement clock, step 3: At the due time → the on-call coordinator" in words
    assert "in-app, e-mail, pager or SMS gateway; repeated every 15 min until acknowledged" in words
    assert "Step due" in words
    assert "Raised at" in words
    assert "Round 0 (first sending)" in words
    # Steps 1 and 2 were superseded by step 3 at catch-up (issue 11): said, and
    # with nothing to acknowledge (it was 3 open steps, each with a button).
    assert words.count("Not acknowledged.") == 1
    assert words.count("Superseded, not sent:") == 2
    assert len(re.findall(r"<button[^>]*>Acknowledge", panel)) == 1
    step3 = text(fragment(body, f"escalation-{at_due().pk}"))
    assert f"{raised.reference}: Acknowledgement overdue by 1 min" in step3  # what (issue 11)
    assert "In-app Coordinator Sent" in step3  # how, to whom, status in words
    assert "E-mail Coordinator coordinator@example.invalid Waiting to be sent" in step3
    assert re.search(r"Sent \w{3} \d+ \w{3} \d{4}, \d\d:\d\d (GMT|BST) 1 —", step3)  # sent, 1 try
    # The step names a pager, but this service has no gateway: said, not hidden.
    assert "Not sent by pager or SMS gateway: this service has none set up." in step3


def test_a_gateway_message_is_listed(world: Any, on_call: Any, make_referral: Any) -> None:
    world.service.webhook_url = "https://pager.example.invalid/hook"
    world.service.save()
    referral = make_referral(now=timezone.now() - timedelta(minutes=31))
    run(timezone.now())
    body = html(signed_in(world.coordinator).get(page_of(referral)))
    step3 = text(fragment(body, f"escalation-{at_due().pk}"))
    assert "Pager or SMS gateway The service's pager or SMS gateway Waiting to be sent" in step3
    assert "Not sent by" not in step3


def test_a_failed_delivery_shows_its_error(world: Any, raised: Any, settings: Any) -> None:
    settings.MSCC_DELIVERY_MAX_ATTEMPTS = 1  # the first failure is the last
    email = at_due().deliveries.get(channel=Channel.EMAIL)
    email.address = ""
    email.save()
    assert delivery_send(delivery_id=email.pk, now=timezone.now()).status == DeliveryStatus.FAILED
    body = html(signed_in(world.coordinator).get(page_of(raised)))
    step3 = text(fragment(body, f"escalation-{at_due().pk}"))
    assert "FAILED: not sent" in step3
    assert "ValueError: The recipient has no e-mail address." in step3


def test_referrers_do_not_see_escalations(world: Any, raised: Any) -> None:
    """Decision: escalations are the service's own paging of its staff; the
    referrer sees the clocks and the timeline, not who was paged."""
    client = signed_in(world.referrer)
    body = html(client.get(page_of(raised)))
    assert 'id="escalations"' not in body
    assert 'href="#escalations"' not in body
    live = html(client.get(f"/referrals/{raised.pk}/live/", **HX))
    assert swapped(live) == set(LIVE) - {"escalations"}


def test_the_panel_is_live(world: Any, raised: Any) -> None:
    live = html(signed_in(world.coordinator).get(f"/referrals/{raised.pk}/live/", **HX))
    assert swapped(live) >= set(LIVE)
    assert "Not acknowledged." in text(fragment(live, "escalations"))


def test_no_escalations_yet(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    panel = fragment(html(signed_in(world.coordinator).get(page_of(referral))), "escalations")
    assert "No escalations yet" in text(panel)


# --- Acknowledging from the referral page --------------------------------------------------


def test_acknowledge_from_the_referral_page_stops_the_repeats(world: Any, raised: Any) -> None:
    escalation = at_due()
    client = signed_in(world.coordinator)
    response = client.post(acknowledge_url(raised, escalation))
    assert response.status_code == 302
    assert response["Location"] == page_of(raised)
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == world.coordinator
    run(timezone.now() + timedelta(minutes=20))
    assert not escalation.deliveries.filter(round=1).exists()
    body = html(client.get(page_of(raised)))
    assert "no more repeats will be sent" in text(body)  # the message after the redirect
    row = text(fragment(body, f"escalation-{escalation.pk}"))
    assert "Acknowledged by Coordinator at" in row
    assert "Acknowledge escalation" not in row


def test_acknowledge_in_place_with_htmx(world: Any, raised: Any) -> None:
    escalation = at_due()
    body = html(signed_in(world.senior).post(acknowledge_url(raised, escalation), **HX))
    assert swapped(body) >= {*LIVE, "detail-notice", "heartbeat-banner"}
    row = fragment(body, f"escalation-{escalation.pk}")
    assert "data-done" in row  # focus goes to what was recorded
    assert "Acknowledged by Senior at" in text(row)
    assert "Escalation acknowledged (Acknowledgement clock)" in text(
        fragment(body, "detail-notice")
    )
    assert at_due().acknowledged_by == world.senior


def test_already_acknowledged_is_said_beside_it(world: Any, raised: Any) -> None:
    escalation = at_due()
    escalation_acknowledge(escalation_id=escalation.pk, user=world.senior, now=timezone.now())
    client = signed_in(world.coordinator)
    in_place = client.post(acknowledge_url(raised, escalation), **HX)
    assert in_place.status_code == 200
    body = html(in_place)
    assert swapped(body) == {"escalations", "heartbeat-banner", "detail-notice"}
    assert not text(fragment(body, "detail-notice"))  # emptied: the refusal is said beside it
    row = text(fragment(body, f"escalation-{escalation.pk}"))
    assert "Already acknowledged by Senior." in row
    assert "Acknowledged by Senior at" in row
    whole = client.post(acknowledge_url(raised, escalation))  # without JavaScript
    assert whole.status_code == 200
    page = html(whole)
    assert f'href="#escalation-{escalation.pk}"' in page  # the error summary points at it
    assert "Already acknowledged by Senior." in text(fragment(page, f"escalation-{escalation.pk}"))
    assert at_due().acknowledged_by == world.senior


def test_who_may_acknowledge_on_the_referral_page(
    world: Any, raised: Any, make_referral: Any
) -> None:
    escalation = at_due()
    url = acknowledge_url(raised, escalation)
    assert signed_in(world.referrer).post(url).status_code == 403
    assert signed_in(world.coordinator_other).post(url).status_code == 404  # another service
    other = make_referral()
    wrong_referral = acknowledge_url(other, escalation)  # not this referral's escalation
    assert signed_in(world.coordinator).post(wrong_referral).status_code == 404
    assert signed_in(world.coordinator).get(url).status_code == 405
    assert at_due().acknowledged_at is None


def test_acknowledging_records_access(world: Any, raised: Any) -> None:
    client = signed_in(world.coordinator)
    client.post(acknowledge_url(raised, at_due()), **HX)
    views = list(PatientDataAccess.objects.values_list("view", "referral_ids"))
    assert views == [("page.referral_detail.escalation", [str(raised.pk)])]


def test_a_step_superseded_at_catch_up_says_so_and_offers_no_acknowledge(
    world: Any, raised: Any
) -> None:
    # Steps 1-3 fell due in one sweep, all to the on-call coordinator: 1 and 2
    # were superseded by 3 (issue 11, catch-up). The panel says so, in words,
    # and only step 3 can be acknowledged.
    superseded = Escalation.objects.filter(superseded_at__isnull=False).select_related("step")
    assert sorted(e.step.position for e in superseded) == [1, 2]
    panel = fragment(html(signed_in(world.coordinator).get(page_of(raised))), "escalations")
    for escalation in superseded:
        article = fragment(panel, f"escalation-{escalation.pk}")
        assert "Superseded, not sent:" in text(article)
        assert "step 3: At the due time" in text(article)
        assert acknowledge_url(raised, escalation) not in article
    assert acknowledge_url(raised, at_due()) in panel
