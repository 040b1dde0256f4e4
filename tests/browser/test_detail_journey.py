"""The referral page as the coordinator's working page, in a real browser: a
coordinator opens a suspected-MSCC referral, records "MRI performed" and sees
the MRI clock stop as met, then records an MDT decision to treat with
radiotherapy and sees the 24-hour radiotherapy clock start and the 8 Gy advice
(NG234 1.10.5) appear: each answered in place, without a page load.

Drives Debian's chromium through Playwright's sync API, as test_journey.py
does. Screenshots go to /tmp, never into the repository.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in
from tests.conftest import hours

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path("/tmp/mscc-detail")  # noqa: S108 - outside the repository on purpose


def still_the_same_page(page: Page) -> None:
    """The marker set when the page was opened is still there: no page load."""
    assert page.evaluate("window.__openedOnce") is True


def test_mri_then_radiotherapy_decision_moves_the_clocks(
    live_server: Any, world: Any, make_referral: Any, browser: Browser
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Suspected two hours ago: the MRI clock has about 22 hours left.
    referral = make_referral(now=timezone.now() - hours(2), presentation="Legs weak since 6 a.m.")
    assert referral.category == "suspected_mscc"
    mri = referral.clocks.get(kind="mri")

    page = sign_in(browser, live_server.url, "coordinator")
    expect(page).to_have_url(live_server.url + "/queue/")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    expect(page.get_by_role("heading", name="Clocks")).to_be_visible()
    page.evaluate("window.__openedOnce = true")

    clocks = page.locator("#clocks")
    mri_row = page.locator(f"#clock-{mri.pk}")
    expect(mri_row).to_contain_text("Running")
    expect(mri_row).to_contain_text(" left")
    expect(mri_row).to_contain_text("NG234 1.5.2; QS56 statement 3")
    expect(page.locator(".clock-row--radiotherapy")).to_have_count(0)
    expect(page.locator("#advice")).to_contain_text("NG234 1.5.2")
    page.screenshot(path=str(SCREENSHOTS / "1-opened.png"), full_page=True)

    # --- Acknowledge, late: the acknowledgement clock was overdue. --------------------------
    ack_row = clocks.locator(".clock-row--acknowledgement")
    expect(ack_row).to_contain_text("OVERDUE")
    page.locator("#summary").get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#summary")).to_contain_text("Triaged")
    expect(ack_row).to_contain_text("Met late")
    expect(clocks).not_to_contain_text("OVERDUE")
    still_the_same_page(page)

    # --- A form sent without its event is refused beside the input. ---------------------
    event_form = page.locator("#form-event")
    event_form.get_by_role("button", name="Record event").click()
    expect(event_form).to_contain_text("This field is required.")
    expect(page.locator("#f-event-kind")).to_be_focused()
    # An error looks like one, in the form, and nothing covers the fields
    # (issue 11: it was a green corner notice over them).
    problem = event_form.locator(".form-problem")
    expect(problem).to_contain_text("Error: Nothing was recorded")
    assert problem.evaluate("e => getComputedStyle(e).borderLeftColor") != problem.evaluate(
        "() => getComputedStyle(document.querySelector('.message--success') || document.body)"
        ".borderLeftColor"
    )
    expect(page.locator("#detail-notice")).to_be_empty()
    expect(mri_row).to_contain_text("Running")
    still_the_same_page(page)
    event_form.screenshot(path=str(SCREENSHOTS / "2-event-refused.png"))

    # --- MRI performed: the MRI clock stops, met. -----------------------------------------
    event_form.get_by_label("What happened").select_option("mri_performed")
    event_form.get_by_label("Details").fill("Whole-spine MRI: cord compression at T8.")
    event_form.get_by_role("button", name="Record event").click()

    expect(mri_row).to_contain_text("Met")
    expect(mri_row).not_to_contain_text("Running")
    expect(mri_row).to_contain_text("Stopped")
    expect(clocks).not_to_contain_text("OVERDUE")
    expect(page.locator("#timeline")).to_contain_text("MRI performed")
    expect(page.locator("#timeline")).to_contain_text("cord compression at T8")
    expect(page.locator("#detail-notice")).to_contain_text("Recorded: MRI performed.")
    expect(page.locator("#advice")).not_to_contain_text("NG234 1.5.2")
    expect(event_form.get_by_label("What happened")).to_have_value("")  # ready for the next
    still_the_same_page(page)
    clocks.screenshot(path=str(SCREENSHOTS / "3-mri-met-clocks.png"))

    # --- MDT decision: radiotherapy. A 24-hour clock starts; the 8 Gy advice shows. -------
    mdt_form = page.locator("#form-mdt")
    decided = timezone.localtime(timezone.now() - timedelta(minutes=10))
    mdt_form.get_by_label("When it was decided").fill(decided.strftime("%Y-%m-%dT%H:%M"))
    mdt_form.get_by_label("Decision (required)", exact=True).select_option("radiotherapy")
    mdt_form.get_by_label("Participants").fill("Dr A Oncologist (clinical oncology); coordinator")
    mdt_form.get_by_label("Reasons").fill("Radiosensitive primary; not a surgical candidate.")
    mdt_form.get_by_label("Personalised care plan").fill("Single fraction today; steroids on.")
    mdt_form.get_by_role("button", name="Record MDT decision").click()

    rt_row = page.locator(".clock-row--radiotherapy")
    expect(rt_row).to_have_count(1)
    expect(rt_row).to_contain_text("Radiotherapy")
    expect(rt_row).to_contain_text("Running")
    expect(rt_row).to_contain_text("Target 24 h")
    expect(rt_row).to_contain_text("23 h")
    expect(rt_row).to_contain_text("NG234 1.10.4, 1.1.21")
    advice = page.locator("#advice")
    expect(advice).to_contain_text("NG234 1.10.5")
    expect(advice).to_contain_text("8 Gy single fraction")
    expect(advice).to_contain_text("NG234 1.10.4")
    expect(page.locator("#mdt")).to_contain_text("Dr A Oncologist (clinical oncology)")
    expect(page.locator("#timeline")).to_contain_text("Decision to treat with radiotherapy")
    expect(mri_row).to_contain_text("Met")
    still_the_same_page(page)
    clocks.screenshot(path=str(SCREENSHOTS / "4-radiotherapy-clocks.png"))
    page.screenshot(path=str(SCREENSHOTS / "5-after-decision.png"), full_page=True)

    # What the browser showed is what was stored.
    rt = referral.clocks.get(kind="radiotherapy")
    assert rt.status == "running"
    assert rt.due_at - rt.started_at == timedelta(hours=24)
    mri.refresh_from_db()
    assert mri.status == "met"

    # --- A reload shows the same (the page works as a plain page too). --------------------
    page.reload()
    expect(page.locator(f"#clock-{rt.pk}")).to_contain_text("Running")
    expect(page.locator(f"#clock-{mri.pk}")).to_contain_text("Met")
    expect(page.locator("#advice")).to_contain_text("NG234 1.10.5")


def test_withdraw_an_event_mark_a_clock_and_record_a_score(
    live_server: Any, world: Any, make_referral: Any, browser: Browser
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    referral = make_referral(now=timezone.now() - hours(1))
    mri = referral.clocks.get(kind="mri")
    ack = referral.clocks.get(kind="acknowledgement")
    page = sign_in(browser, live_server.url, "coordinator")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    page.evaluate("window.__openedOnce = true")

    # MRI recorded by mistake, then withdrawn: the MRI clock runs again.
    event_form = page.locator("#form-event")
    event_form.get_by_label("What happened").select_option("mri_performed")
    event_form.get_by_role("button", name="Record event").click()
    mri_row = page.locator(f"#clock-{mri.pk}")
    expect(mri_row).to_contain_text("Met")
    event = referral.events.get(kind="mri_performed")
    item = page.locator(f"#event-{event.pk}")
    item.get_by_text("Withdraw (entered in error)").click()
    item.get_by_role("button", name="Withdraw this event").click()
    expect(item).to_contain_text("Say why the event was entered in error.")
    expect(item.get_by_label("Why it was entered in error")).to_be_focused()
    item.get_by_label("Why it was entered in error").fill("Another patient's scan.")
    item.get_by_role("button", name="Withdraw this event").click()
    expect(item).to_contain_text("Entered in error: Another patient's scan.")
    expect(item.locator("s").first).to_be_visible()
    expect(mri_row).to_contain_text("Running")
    page.locator("#timeline").screenshot(path=str(SCREENSHOTS / "6-withdrawn.png"))

    # The acknowledgement standard marked not appropriate, with the reason.
    ack_row = page.locator(f"#clock-{ack.pk}")
    ack_row.locator("summary").click()
    ack_row.get_by_label("Reason").fill("Phoned in by the coordinator: acknowledged in person.")
    ack_row.get_by_role("button", name="Confirm not appropriate").click()
    expect(ack_row).to_contain_text("Reason: Phoned in by the coordinator")
    expect(ack_row.locator("details")).to_have_count(0)
    page.locator("#clocks").screenshot(path=str(SCREENSHOTS / "7-not-appropriate.png"))

    # A SINS score, with its published labels: 3 + 3 + 2 + 0 + 2 + 1 = 11.
    sins = page.locator("#form-sins")
    sins.get_by_label("Location").select_option("junctional")
    sins.get_by_label("Pain").select_option("mechanical")
    sins.get_by_label("Bone lesion").select_option("lytic")
    sins.get_by_label("Radiographic spinal alignment").select_option("normal")
    sins.get_by_label("Vertebral body collapse").select_option("under_50")
    sins.get_by_label("Posterolateral involvement").select_option("unilateral")
    sins.get_by_role("button", name="Record SINS score").click()
    scores = page.locator("#scores")
    expect(scores).to_contain_text("11")
    expect(scores).to_contain_text("Indeterminate")
    expect(scores).to_contain_text("NG234 1.9.3")
    expect(sins).to_contain_text("recorded: 11")
    still_the_same_page(page)
    scores.screenshot(path=str(SCREENSHOTS / "8-scores.png"))
    page.locator(".score-forms").screenshot(path=str(SCREENSHOTS / "9-score-forms.png"))
