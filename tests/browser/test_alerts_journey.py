"""Alerts in a real browser at desktop and phone widths (issue 11): three
suspected-MSCC referrals whose acknowledgement clocks were first swept when
already overdue make three notifications, not nine, grouped per referral;
the time left moves on by itself; one Acknowledge covers one clock and no
other; the optional audible alert fires for a new emergency notification
and stays silent once turned off. axe-core finds no violation, and the page
never scrolls sideways.

The browser's clock is Playwright's (``page.clock``), so the 30-second live
update and the badge's 30-second poll run without waiting 30 seconds.
Screenshots go to /tmp/alerts, never into the repository.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from notifications.codes import Channel, DeliveryStatus
from notifications.models import Delivery, Escalation
from notifications.services.delivery import delivery_send
from tests.browser.conftest import sign_in
from tests.notifications.conftest import run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/alerts")  # noqa: S108 - outside the repository on purpose


def no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def send_in_app() -> None:
    for delivery in Delivery.objects.filter(channel=Channel.IN_APP, status=DeliveryStatus.PENDING):
        delivery_send(delivery_id=delivery.pk, now=timezone.now())


def played(page: Page) -> str:
    return page.evaluate("document.body.dataset.alertsPlayed")


@pytest.mark.parametrize("width", [1280, 390])
def test_an_overdue_catch_up_grouped_acknowledged_once_per_clock_with_an_audible_alert(
    live_server: Any, on_call: Any, make_referral: Any, browser: Browser, width: int
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    start = timezone.now() - timedelta(minutes=40)
    referrals = [make_referral(now=start) for _ in range(3)]
    run(timezone.now())
    send_in_app()
    # The 9 notifications (steps 1-3 of each clock) are now 3.
    assert Delivery.objects.filter(channel=Channel.IN_APP).count() == 3
    assert Escalation.objects.filter(superseded_by__isnull=False).count() == 6

    page = sign_in(browser, live_server.url, "coordinator")
    page.set_viewport_size({"width": width, "height": 900})
    page.clock.install()  # the page's timers and Date, moved on by the test
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_role("heading", name="Notifications", exact=True)).to_be_visible()
    groups = page.locator(".alert-referral")
    expect(groups).to_have_count(3)
    for referral in referrals:
        group = page.locator(f"section[aria-labelledby='referral-{referral.pk}']")
        expect(group).to_contain_text(referral.reference)
        expect(group).to_contain_text("Emergency")
        expect(group).to_contain_text("Suspected MSCC")
        expect(group.locator(".alert-clock")).to_have_count(1)
        expect(group.get_by_role("button", name="Acknowledge Acknowledgement clock")).to_have_count(
            1
        )
    expect(page.locator(".alert-item")).to_have_count(3)
    expect(page.locator("body")).not_to_contain_text("OVERDUE")

    # The time left, live: two minutes on, every clock reads two minutes later.
    first_left = page.locator(".time-left").first
    expect(first_left).to_contain_text("Acknowledgement overdue by 10 min")
    page.clock.fast_forward("02:01")
    expect(first_left).to_contain_text("Acknowledgement overdue by 12 min")

    # The audible alert: offered (JavaScript is on), off until turned on.
    toggle = page.get_by_label("Play a sound when a new emergency notification arrives")
    expect(toggle).to_be_visible()
    expect(toggle).not_to_be_checked()
    no_axe_violations(page)
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"1-notifications-{width}.png"), full_page=True)

    # One Acknowledge covers that clock's three escalations, never another clock's.
    first = referrals[0]
    group = page.locator(f"section[aria-labelledby='referral-{first.pk}']")
    group.get_by_role("button", name="Acknowledge Acknowledgement clock").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Acknowledgement clock of {first.reference} acknowledged (3 escalations)"
    )
    group = page.locator(f"section[aria-labelledby='referral-{first.pk}']")
    expect(group).to_contain_text("Acknowledged by")
    expect(group.get_by_role("button", name="Acknowledge Acknowledgement clock")).to_have_count(0)
    assert (
        Escalation.objects.filter(clock__referral=first, acknowledged_at__isnull=True).count() == 0
    )
    for other in referrals[1:]:
        assert (
            Escalation.objects.filter(clock__referral=other, acknowledged_at__isnull=True).count()
            == 3
        )
    expect(page.get_by_role("button", name="Acknowledge Acknowledgement clock")).to_have_count(2)
    expect(page.locator("#nav-notifications")).to_have_text("Notifications (2)")
    no_axe_violations(page)
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"2-acknowledged-{width}.png"), full_page=True)

    # Turned on: a new emergency notification sounds at the badge's next poll.
    toggle = page.get_by_label("Play a sound when a new emergency notification arrives")
    toggle.check()
    assert played(page) == "0"
    make_referral(now=timezone.now() - timedelta(minutes=16))  # its first warning is due
    run(timezone.now())
    send_in_app()
    page.clock.fast_forward("00:31")
    expect(page.locator("#nav-notifications")).to_have_text("Notifications (3)")
    # (expect polls from Python: wait_for_function would need eval, which the CSP forbids)
    expect(page.locator("body")).to_have_attribute("data-alerts-played", "1")
    page.clock.fast_forward("00:31")  # nothing new: no second tone
    page.clock.run_for(1000)
    expect(page.locator("#nav-notifications")).to_have_text("Notifications (3)")
    assert played(page) == "1"

    # Turned off (and remembered after a reload): another arrives, no sound.
    page.reload()
    toggle = page.get_by_label("Play a sound when a new emergency notification arrives")
    expect(toggle).to_be_checked()
    toggle.uncheck()
    make_referral(now=timezone.now() - timedelta(minutes=16))
    run(timezone.now())
    send_in_app()
    page.clock.fast_forward("00:31")
    expect(page.locator("#nav-notifications")).to_have_text("Notifications (4)")
    page.clock.run_for(1000)  # past htmx's settle, where the alert would fire
    expect(page.locator("body")).to_have_attribute("data-alerts-played", "0")  # off: silent
    page.reload()
    expect(
        page.get_by_label("Play a sound when a new emergency notification arrives")
    ).not_to_be_checked()
    no_axe_violations(page)
    no_sideways_scroll(page)
