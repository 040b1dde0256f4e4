"""Every page of the service's own (not Django's admin), role by role, in a
real browser: axe-core finds 0 WCAG 2.1 A or AA violations at 1280 px and at
390 px wide, nothing scrolls sideways at 390 px, no page answers 5xx or logs
a console error, and no in-app link is broken (4xx).

Each role signs in and walks every page reachable by plain links from its
start page and the navigation (page_checks.Crawler), on a busy service
(busy_service.py). Then the pages links do not reach: a 404, a 403, forms
sent with errors, the API docs; and, signed out, the sign-in pages (a wrong
password, the code step, two-factor set-up when required) and the 500 page.

One browser per test, one tab per role. The pages and the time taken are
printed (``pytest -s``) and written to /tmp/mscc-every-page/. With
MSCC_AXE_SCREENSHOTS=1 each page is also photographed at both widths there.
"""

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route, expect

from accounts.services import totp_device_install
from core import database_faults
from mscc.errors import server_error
from tests.browser.busy_service import busy_service
from tests.browser.conftest import sign_in
from tests.browser.page_checks import AXE_OPTIONS, Checked, Crawler, PageChecker
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OUT = Path("/tmp/mscc-every-page")  # noqa: S108 - outside the repository on purpose

# A page each role may not open (the 403 page, with that role's navigation).
FORBIDDEN = {
    "referrer": "/queue/",
    "coordinator": "/audit/",
    "senior": "/audit/",
    "lead": "/notifications/",
    "admin": "/referrals/new/",
}
# Base32 of an authenticator secret for the code step (synthetic).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _send_empty(page: Page, form: str, button: str) -> None:
    """Send a form with nothing filled in (the browser's own checks off, so
    the service's error messages are what shows)."""
    page.locator(form).evaluate("f => { f.noValidate = true; }")
    page.locator(form).get_by_role("button", name=button).click()
    page.wait_for_load_state("load")


def _extra_pages(role: str, checker: PageChecker, base: str, busy: Any) -> list[Checked]:
    """The pages no link reaches, for this role."""
    done = [
        checker.visit(base + "/no-such-page/", label="404 page", expected_status=404),
        checker.visit(base + FORBIDDEN[role], label="403 page", expected_status=403),
    ]
    page = checker.page
    if role in ("referrer", "coordinator"):
        checker.open(base + "/referrals/new/")
        done.append(
            checker.after(
                "/referrals/new/ sent empty",
                lambda p: _send_empty(p, "form.referral-form", "Send referral"),
                expected_status=400,  # bad input: a 4xx naming the fields
            )
        )
        expect(page.locator("#error-summary")).to_be_visible()
    if role in ("referrer", "coordinator"):
        # The referral list's search (a POST: an NHS number is never in an address).
        overdue = busy.open["overdue"]
        checker.open(base + "/referrals/mine/")
        page.get_by_label("NHS number, name or reference").fill(overdue.patient.nhs_number)
        done.append(
            checker.after(
                "/referrals/mine/ searched by NHS number",
                lambda p: (
                    p.locator("#referral-search").get_by_role("button", name="Search").click()
                ),
            )
        )
        expect(page.locator("#referral-results")).to_contain_text(overdue.reference)
        page.get_by_label("NHS number, name or reference").fill("")
        page.get_by_label("Clocks").select_option(index=1)
        done.append(
            checker.after(
                "/referrals/mine/ filtered by clocks",
                lambda p: (
                    p.locator("#referral-search").get_by_role("button", name="Search").click()
                ),
            )
        )
    if role == "coordinator":
        checker.open(f"{base}/referrals/{busy.open['overdue'].pk}/")
        event = page.locator("#form-event")
        done.append(
            checker.after(
                "/referrals/{id}/ event form sent empty",
                lambda p: event.get_by_role("button", name="Record event").click(),
            )
        )
        expect(event).to_contain_text("This field is required.")
        checker.open(base + "/accounts/password/")
        done.append(
            checker.after(
                "/accounts/password/ sent empty",
                lambda p: _send_empty(p, "main form", "Change password"),
            )
        )
        done.append(checker.visit(base + "/api/docs/", label="/api/docs/"))
    if role == "admin":
        checker.open(base + "/rota/")
        done.append(
            checker.after(
                "/rota/ shift form sent empty",
                lambda p: _send_empty(p, "form[action='/rota/shifts/']", "Add shift"),
                expected_status=400,  # bad input: a 4xx naming the field
            )
        )
    if role == "admin":
        checker.open(base + "/team/invite/")
        done.append(
            checker.after(
                "/team/invite/ sent empty",
                lambda p: _send_empty(p, "form.team-invite-form", "Send the invitation"),
                expected_status=400,  # bad input: a 4xx naming the fields
            )
        )
        # The deactivation's confirmation, with the rota gaps it would open.
        checker.open(base + "/team/")
        done.append(
            checker.after(
                "/team/ deactivation preview",
                lambda p: p.get_by_role("button", name="Deactivate").first.click(),
            )
        )
    if role in ("lead", "admin"):
        done.append(
            checker.visit(
                base + "/audit/?from=2026-13", label="/audit/ with a bad month", expected_status=400
            )
        )
    return done


def _signed_out_pages(checker: PageChecker, base: str, world: Any, settings: Any) -> list[Checked]:
    page = checker.page
    done = [
        checker.visit(base + "/no-such-page/", label="404 page, signed out", expected_status=404),
        checker.visit(base + "/accounts/login/", label="sign-in page"),
    ]
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill("not-the-password")
    done.append(
        checker.after(
            "sign-in page, wrong password",
            lambda p: p.get_by_role("button", name="Sign in").click(),
        )
    )
    expect(page.locator(".error-summary")).to_be_visible()
    # The code step: a user with an authenticator.
    totp_device_install(user=world.coordinator, secret_base32=TOTP_SECRET)
    sign_in_as(page, base, "coordinator")
    expect(page).to_have_url(base + "/accounts/login/code/")
    done.append(checker.check("sign-in code page", 200))
    page.get_by_label("Code").first.fill("000000")
    done.append(
        checker.after(
            "sign-in code page, wrong code",
            lambda p: p.locator("main form button[type=submit]").first.click(),
        )
    )
    expect(page.locator(".error-summary")).to_be_visible()
    # Two-factor required at a first sign-in: set it up before anything else.
    settings.MSCC_REQUIRE_2FA = True
    page.context.clear_cookies()
    sign_in_as(page, base, "senior")
    expect(page).to_have_url(base + "/accounts/two-factor/setup/")
    done.append(checker.check("two-factor set-up, required", 200))
    page.get_by_label("Code from the app").fill("000000")
    done.append(
        checker.after(
            "two-factor set-up, wrong code",
            lambda p: p.get_by_role("button", name="Turn on two-factor").click(),
        )
    )
    expect(page.locator(".error-summary")).to_be_visible()
    settings.MSCC_REQUIRE_2FA = False
    page.context.clear_cookies()
    # The 500 and database-fault 503 pages, as the service renders them,
    # served at addresses of their own (nothing can be made to fail on cue).
    errors = {
        "/a-server-error/": server_error(RequestFactory().get("/")),
        "/a-database-fault/": database_faults.page_answer(),
    }
    for path, answer in errors.items():
        page.route(base + path, _serving(answer))
        done.append(
            checker.visit(
                base + path, label=f"{answer.status_code} page", expected_status=answer.status_code
            )
        )
    return done


def _serving(answer: HttpResponse) -> Callable[[Route], None]:
    # One argument only: Playwright passes the request too to a handler of two.
    def serve(route: Route) -> None:
        route.fulfill(status=answer.status_code, body=answer.content, content_type="text/html")

    return serve


def sign_in_as(page: Page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def _report(role: str, checked: list[Checked], crawled: int, seconds: float) -> str:
    lines = [f"{role}: {len(checked)} pages ({crawled} by links) in {seconds:.1f} s"]
    lines += [f"  {c.status} {c.url}" for c in checked]
    problems = [p for c in checked for p in c.problems]
    lines += [f"{len(problems)} problem(s)"] + [f"  {p}" for p in problems]
    text = "\n".join(lines)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{role}.txt").write_text(text + "\n")
    print("\n" + text)  # the run's record, read with pytest -s
    return text


@pytest.mark.parametrize(
    "role", ["referrer", "coordinator", "senior", "lead", "admin", "signed-out"]
)
def test_every_page_is_accessible_at_both_widths(
    live_server: Any,
    world: Any,
    on_call: Any,
    make_referral: Any,
    browser: Browser,
    settings: Any,
    role: str,
) -> None:
    started = time.monotonic()
    busy = busy_service(world, make_referral)
    assert timezone.now() > busy.open["overdue"].received_at
    base = live_server.url
    shots: Path | None = None
    if os.environ.get("MSCC_AXE_SCREENSHOTS"):
        shots = OUT / role
        shots.mkdir(parents=True, exist_ok=True)

    if role == "signed-out":
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London"
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        checker = PageChecker(page, shots)
        checked = _signed_out_pages(checker, base, world, settings)
        crawled = 0
    else:
        page = sign_in(browser, base, role)
        page.wait_for_load_state("load")
        checker = PageChecker(page, shots)
        crawler = Crawler(checker, base)
        checked = crawler.crawl("/")
        crawled = len(checked)
        checked += _extra_pages(role, checker, base, busy)
        assert crawled > 3, f"{role} reached only {crawled} pages by links"

    report = _report(role, checked, crawled, time.monotonic() - started)
    problems = checker.problems
    assert not problems, (
        f"{len(problems)} problem(s) for {role}:\n" + "\n".join(problems) + ("\n\n" + report)
    )


def test_the_axe_rules_are_wcag_2_1_a_and_aa(browser: Browser) -> None:
    """The bundled axe-core runs the WCAG 2.0 and 2.1 A and AA rules (a 2.1
    rule among them), and not its best-practice rules: a page made to break
    some of each shows exactly which run."""
    page = browser.new_page()
    page.set_content(
        "<html><body><img src='data:,'>"  # image-alt: WCAG 2.0 A
        "<label>Postcode <input autocomplete='nonsense'></label>"  # autocomplete-valid: 2.1 AA
        "<p>Text outside any landmark</p>"  # region: best practice only
        "</body></html>"
    )
    found = {v["id"] for v in Axe().run(page, options=AXE_OPTIONS).response["violations"]}
    page.close()
    assert {"image-alt", "autocomplete-valid", "html-has-lang"} <= found
    assert "region" not in found
