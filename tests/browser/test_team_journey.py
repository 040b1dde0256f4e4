"""A service admin's team in a real browser, two-factor on as in production:
the admin invites a coordinator; the invitee opens the link, chooses a
password and sets up two-factor; the admin deactivates someone after seeing
the rota gaps it opens. axe-core finds no violation on any of these pages
at 1280 and 390 px, and none scrolls sideways at 390 px. Screenshots in
/tmp/team/."""

import base64
import hmac
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from accounts.services import totp_device_install
from referrals.models import User
from tests.browser.conftest import sign_in
from tests.factories import ShiftFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/team")  # noqa: S108 - outside the repository on purpose
ADMIN_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NEW_PASSWORD = "cobalt harbour lantern 42"


def app_code(key_text: str) -> str:
    """The code an authenticator app shows now for a base32 key (RFC 6238)."""
    key_text = key_text.replace(" ", "")
    key = base64.b32decode(key_text + "=" * (-len(key_text) % 8))
    mac = hmac.new(key, int(time.time() // 30).to_bytes(8, "big"), "sha1").digest()
    offset = mac[-1] & 0x0F
    return f"{(int.from_bytes(mac[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def checked(page: Page, name: str) -> None:
    """axe at 1280 and 390 px, no sideways scroll at 390 px, a screenshot at each."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        results = Axe().run(page)
        assert results.violations_count == 0, f"{name} at {width}: {results.generate_report()}"
        scroll, client = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"{name} is {scroll} px wide in a {client} px window"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def admin_signed_in(browser: Browser, base_url: str) -> Page:
    page = sign_in(browser, base_url, "admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("Code").fill(app_code(ADMIN_SECRET))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Admin")
    return page


def test_invite_join_with_two_factor_and_deactivate_after_the_gap_preview(
    live_server: Any, world: Any, browser: Browser, settings: Any
) -> None:
    settings.MSCC_REQUIRE_2FA = True
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    world.admin.is_staff = True  # may open the admin site's pathway and policy settings
    world.admin.save(update_fields=["is_staff"])
    totp_device_install(user=world.admin, secret_base32=ADMIN_SECRET)
    now = timezone.now()
    # The coordinator is on call tomorrow for 12 hours, nobody else then.
    ShiftFactory(
        service=world.service,
        user=world.coordinator,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=12),
    )

    # --- The admin: home page, team page, the invitation. ---------------------------
    admin = admin_signed_in(browser, live_server.url)
    expect(admin.get_by_role("link", name="Pathway settings")).to_be_visible()
    expect(admin.get_by_role("link", name="Escalation policy")).to_be_visible()
    checked(admin, "home")
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Your team")
    checked(admin, "team")
    admin.get_by_role("link", name="Invite someone").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Invite someone to your team")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.locator(".error-summary")).to_be_visible()
    checked(admin, "invite-errors")
    admin.get_by_label("Username").fill("nia")
    admin.get_by_label("First name").fill("Nia")
    admin.get_by_label("Last name").fill("Newcome")
    admin.get_by_label("E-mail").fill("nia.newcome@example.invalid")
    admin.get_by_label("Phone").fill("01632 960 123")
    admin.get_by_label("Coordinator").check()
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Invitation sent")
    checked(admin, "invite-sent")
    link = admin.get_by_label("Invitation link for nia").input_value()
    assert "/accounts/invite/?token=" in link

    # --- The invitee: the link, a password, two-factor. -----------------------------
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London"
    )
    invitee = context.new_page()
    invitee.set_default_timeout(15_000)
    invitee.goto(link.replace(settings.MSCC_BASE_URL, live_server.url))
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Choose your password")
    assert "token" not in invitee.url
    checked(invitee, "invite-password")
    invitee.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    invitee.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Set my password").click()
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    key = invitee.locator("#totp-secret").inner_text()
    invitee.get_by_label("Code from the app").fill(app_code(key))
    invitee.get_by_role("button", name="Turn on two-factor").click()
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    invitee.get_by_role("link", name="I have kept them: go on").click()
    expect(invitee).to_have_url(live_server.url + "/queue/")
    # The link, opened again, is refused.
    invitee.goto(link.replace(settings.MSCC_BASE_URL, live_server.url))
    expect(invitee.get_by_role("heading", level=1)).to_have_text(
        "This invitation link has been used"
    )
    checked(invitee, "invite-used")
    context.close()

    # --- The admin deactivates the coordinator, after the gap preview. -------------
    admin.goto(live_server.url + "/team/")
    expect(admin.get_by_role("heading", name="Nia Newcome")).to_be_visible()
    admin.get_by_role("button", name=f"Deactivate {world.coordinator.get_full_name()}").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Deactivate")
    expect(admin.get_by_role("heading", name="Gaps this opens: NOBODY ON CALL")).to_be_visible()
    expect(admin.locator(".team-gaps li")).to_have_count(1)
    checked(admin, "deactivate-preview")
    admin.get_by_role(
        "button", name=f"Deactivate {world.coordinator.get_full_name()}", exact=True
    ).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Your team")
    expect(admin.locator(".messages")).to_contain_text("1 rota gap(s) opened")
    checked(admin, "team-after")
    assert not User.objects.get(pk=world.coordinator.pk).is_active
