"""The notifications page and the nav's live badge: who may open them, what
they show (grouped per referral and clock, newest first, read or unread in
words, a link to the referral, the live time left), opening marks nothing
read (acknowledging or marking does, issue 11), and acknowledging a clock
from the page stops its repeats, with "already acknowledged" said as a
message."""

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from notifications.codes import Channel, DeliveryStatus
from notifications.inbox_views import INBOX_PAGE_SIZE
from notifications.models import Delivery, Escalation
from notifications.selectors.escalations import inbox_unread_count
from notifications.services.delivery import delivery_send
from notifications.services.escalations import escalation_acknowledge
from notifications.services.notices import coverage_gap_notices
from referrals.models import PatientDataAccess
from tests.notifications.conftest import run

INBOX = "/notifications/"
BADGE = "/notifications/badge/"
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/queue/"}


def signed_in(user: Any, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def text(response: Any) -> str:
    """What a reader sees: tags dropped, white space collapsed."""
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()))


def acknowledge_url(escalation: Escalation) -> str:
    return f"/notifications/escalations/{escalation.pk}/acknowledge/"


@pytest.fixture
def raised(on_call: Any, make_referral: Any) -> Any:
    """A referral whose acknowledgement clock is overdue: steps 1-3 raised,
    1 and 2 superseded by 3 (the catch-up), whose in-app delivery is sent to
    the on-call coordinator."""
    referral = make_referral(now=timezone.now() - timedelta(minutes=31))
    run(timezone.now())
    for delivery in Delivery.objects.filter(channel=Channel.IN_APP):
        delivery_send(delivery_id=delivery.pk, now=timezone.now())
    return referral


def at_due() -> Escalation:
    """Step 3, at the due time: the step that repeats every 15 minutes."""
    return Escalation.objects.get(step__position=3)


# --- Who may open the page ---------------------------------------------------------------


def test_the_inbox_by_role(world: Any) -> None:
    assert Client().get(INBOX).status_code == 302  # to the sign-in page
    for user in (world.referrer, world.lead):
        assert signed_in(user).get(INBOX).status_code == 403
    for user in (world.coordinator, world.senior, world.admin):
        response = signed_in(user).get(INBOX)
        assert response.status_code == 200
        assert "You have no notifications." in text(response)


# --- What it shows -------------------------------------------------------------------------


def test_the_inbox_groups_my_notifications_per_referral_and_clock(
    world: Any, on_call: Any, make_referral: Any
) -> None:
    """Two referrals: the older one with its acknowledgement clock overdue and
    its MRI clock warned, the newer one with its acknowledgement clock
    overdue. Newest first, grouped per referral, each clock under it with its
    time left and one Acknowledge."""
    now = timezone.now()
    older = make_referral(now=now - timedelta(hours=19))
    newer = make_referral(now=now - timedelta(minutes=40))
    run(now)
    for delivery in Delivery.objects.filter(channel=Channel.IN_APP):
        delivery_send(delivery_id=delivery.pk, now=now)
    newest = Delivery.objects.get(channel=Channel.IN_APP, escalation__clock__referral=newer)
    newest.created_at = now + timedelta(seconds=1)
    newest.save()
    response = signed_in(world.coordinator).get(INBOX)
    body = response.content.decode()
    ids = re.findall(r'id="notification-([0-9a-f-]+)"', body)
    assert len(ids) == 3  # one per clock: the catch-up sent the latest step only
    assert ids[0] == str(newest.pk)
    assert body.index(f"referral-{newer.pk}") < body.index(f"referral-{older.pk}")
    assert f'href="/referrals/{older.pk}/#escalations"' in body
    assert body.count('type="submit" class="button button--primary">Acknowledge') == 3
    page = text(response)
    assert f"{newer.reference} Emergency Suspected MSCC" in page
    assert f"{newer.reference}: Acknowledgement overdue by 10 min" in page  # as sent
    assert "Acknowledgement overdue by 10 min (as of" in page  # live, as of the render
    assert re.search(r"MRI due in 4 h 59 min \(as of \d\d:\d\d (GMT|BST) ?\)", page)
    assert "escalation step 3: At the due time → the on-call coordinator." in page
    # Superseded steps were never sent: they are not counted as waiting. The
    # escalations each clock shows as waiting are exactly those sent.
    waiting = [int(n) for n in re.findall(r"(\d+) escalations? of this clock waits?", page)]
    sent = [
        Escalation.objects.filter(
            clock__referral__in=[older, newer],
            acknowledged_at__isnull=True,
            superseded_at__isnull=True,
            clock__kind=kind,
            clock__referral=referral,
        ).count()
        for referral, kind in (
            (newer, "acknowledgement"),
            (older, "acknowledgement"),
            (older, "mri"),
        )
    ]
    assert sorted(waiting) == sorted(sent)
    assert Escalation.objects.filter(superseded_at__isnull=False).exists()
    assert page.count("Unread") >= 3
    assert "OVERDUE" not in page
    assert re.search(r"Sent \w{3} \d+ \w{3} \d{4}, \d\d:\d\d (GMT|BST)", page)  # UK time
    assert 'data-due="' in body and 'data-label="MRI"' in body  # for the live update
    # Somebody else's notifications are not in mine.
    assert "notification-" not in signed_in(world.coordinator_other).get(INBOX).content.decode()


def test_opening_the_page_marks_nothing_read(world: Any, raised: Any) -> None:
    client = signed_in(world.coordinator)
    assert inbox_unread_count(user=world.coordinator) == 1
    client.get(INBOX)
    client.get(INBOX)
    assert inbox_unread_count(user=world.coordinator) == 1
    assert "1 unread." in text(client.get(INBOX))


def test_marking_one_read_and_all_shown_read(world: Any, raised: Any) -> None:
    queued: list[str] = []
    coverage_gap_notices(service=world.service, now=timezone.now(), enqueue=queued.extend)
    notice = Delivery.objects.get(escalation__isnull=True, channel=Channel.IN_APP)
    notice.recipient = world.coordinator
    notice.status = DeliveryStatus.SENT
    notice.save()
    client = signed_in(world.coordinator)
    assert inbox_unread_count(user=world.coordinator) == 2
    answer = client.post(f"/notifications/{notice.pk}/read/", {"page": "1"})
    assert answer.status_code == 302 and answer["Location"] == "/notifications/?page=1"
    assert inbox_unread_count(user=world.coordinator) == 1
    body = client.get(INBOX).content.decode()
    shown = re.findall(r'name="delivery" value="([0-9a-f-]+)"', body)
    assert len(shown) == 1  # the unread one on the page
    # Another's notification in the form is not marked, nor a bad id accepted.
    other = signed_in(world.senior)
    assert other.post("/notifications/read/", {"delivery": shown}).status_code == 302
    assert inbox_unread_count(user=world.coordinator) == 1
    assert client.post("/notifications/read/", {"delivery": ["nope"]}).status_code == 400
    client.post("/notifications/read/", {"delivery": shown, "page": "1"})
    assert inbox_unread_count(user=world.coordinator) == 0
    assert "1 notification marked read." in text(client.get(INBOX))
    assert signed_in(world.senior).post(f"/notifications/{notice.pk}/read/").status_code == 404


def test_pages_of_fifty(world: Any) -> None:
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            channel=Channel.IN_APP,
            recipient=world.coordinator,
            recipient_key=f"test:{n}",
            subject=f"Notice {n:02d}",
            body="A notice.",
            status=DeliveryStatus.SENT,
            created_at=now - timedelta(minutes=n),
            sent_at=now - timedelta(minutes=n),
        )
        for n in range(INBOX_PAGE_SIZE + 5)
    )
    client = signed_in(world.coordinator)
    first = text(client.get(INBOX))
    assert "Notice 00" in first
    assert f"Notice {INBOX_PAGE_SIZE - 1}" in first
    assert f"Notice {INBOX_PAGE_SIZE}" not in first
    assert "Page 1 of 2" in first
    second = text(client.get(INBOX, {"page": 2}))
    assert f"Notice {INBOX_PAGE_SIZE + 4}" in second
    assert inbox_unread_count(user=world.coordinator) == INBOX_PAGE_SIZE + 5  # none read


def test_a_rota_notice_has_no_referral_and_no_acknowledge(world: Any) -> None:
    queued: list[str] = []
    coverage_gap_notices(service=world.service, now=timezone.now(), enqueue=queued.extend)
    for delivery in Delivery.objects.filter(channel=Channel.IN_APP):
        delivery_send(delivery_id=delivery.pk, now=timezone.now())
    response = signed_in(world.admin).get(INBOX)
    page = text(response)
    assert "A-MSCC: nobody on call for part of the next 14 days" in page
    assert "Referral" not in page
    assert "Acknowledge" not in page


def test_the_inbox_shows_no_patient_data_and_records_no_access(world: Any, raised: Any) -> None:
    """Decision: the inbox shows referral references, categories and clocks,
    never a patient's name or NHS number, so it writes no access record;
    the referral page, which shows the patient, records its own."""
    page = text(signed_in(world.coordinator).get(INBOX))
    assert raised.patient.family_name.upper() not in page.upper()
    assert raised.patient.nhs_number not in page.replace(" ", "")
    assert not PatientDataAccess.objects.exists()


# --- The badge -----------------------------------------------------------------------------


def test_the_badge_on_every_page_counts_unread(world: Any, raised: Any) -> None:
    client = signed_in(world.coordinator)
    for url in ("/queue/", "/referrals/mine/", f"/referrals/{raised.pk}/", "/rota/"):
        body = client.get(url).content.decode()
        assert 'id="nav-notifications"' in body, url
        assert 'class="nav-notifications nav-notifications--unread"' in body  # strong style
        assert 'hx-trigger="every 30s"' in body
        assert ">Notifications (1)</a>" in body
        assert 'aria-label="Notifications (1 unread)"' in body  # not colour alone
    escalation_acknowledge(escalation_id=at_due().pk, user=world.senior, now=timezone.now())
    body = client.get("/queue/").content.decode()
    assert ">Notifications (0)</a>" in body
    assert 'class="nav-notifications"' in body
    admin_page = signed_in(world.admin).get("/rota/").content.decode()
    assert 'id="nav-notifications"' in admin_page


def test_no_badge_for_roles_without_an_inbox(world: Any) -> None:
    for user in (world.referrer, world.lead):
        assert 'id="nav-notifications"' not in signed_in(user).get("/").content.decode()
        assert signed_in(user).get(BADGE, **HX).status_code == 403


def test_the_badge_endpoint_answers_only_a_change(world: Any, raised: Any) -> None:
    client = signed_in(world.coordinator)
    changed = client.get(BADGE, {"shown": "0"}, **HX)
    assert changed.status_code == 200
    assert ">Notifications (1)</a>" in changed.content.decode()
    # The newest unread emergency notification, for the optional audible alert.
    marker = str(int(Delivery.objects.get(channel=Channel.IN_APP).created_at.timestamp() * 1000))
    assert f'data-emergency="{marker}"' in changed.content.decode()
    assert (
        f'hx-get="/notifications/badge/?shown=1&amp;emergency={marker}"' in changed.content.decode()
    )
    unchanged = {"shown": "1", "emergency": marker}
    assert client.get(BADGE, unchanged, **HX).status_code == 204  # nothing to swap
    assert client.get(BADGE, {"shown": "1"}, **HX).status_code == 200  # a new emergency
    assert client.post(BADGE, **HX).status_code == 405


def test_the_badge_stops_polling_once_signed_out(world: Any) -> None:
    response = Client().get(BADGE, {"shown": "2"}, **HX)
    assert response.status_code == 286  # htmx: swap this, then stop polling
    assert "signed out" in response.content.decode()


# --- Acknowledging from the page -----------------------------------------------------------


def test_acknowledging_from_the_page_stops_the_repeats(world: Any, raised: Any) -> None:
    escalation = at_due()
    client = signed_in(world.coordinator)
    assert f'action="{acknowledge_url(escalation)}"' in client.get(INBOX).content.decode()
    response = client.post(acknowledge_url(escalation), {"page": "1"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/?page=1"
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == world.coordinator
    assert escalation.next_repeat_at is None
    run(timezone.now() + timedelta(minutes=20))
    assert not escalation.deliveries.filter(round=1).exists()
    page = text(client.get(INBOX))
    assert "Acknowledgement clock of" in page and "(3 escalations)" in page
    assert "no more repeats will be sent" in page  # the message after the redirect
    assert "Acknowledged by Coordinator at" in page
    assert f'action="{acknowledge_url(escalation)}"' not in client.get(INBOX).content.decode()


def test_an_unacknowledged_escalation_repeats(world: Any, raised: Any) -> None:
    """The control for the test above: without an acknowledgement, round 1 goes."""
    run(timezone.now() + timedelta(minutes=20))
    assert at_due().deliveries.filter(round=1).exists()


def test_already_acknowledged_is_a_message_not_an_error(world: Any, raised: Any) -> None:
    escalation = at_due()
    client = signed_in(world.coordinator)
    client.get(INBOX)  # the button is on the coordinator's page...
    escalation_acknowledge(escalation_id=escalation.pk, user=world.senior, now=timezone.now())
    response = client.post(acknowledge_url(escalation), {"page": "1"}, follow=True)  # ...then
    assert response.status_code == 200
    page = text(response)
    assert "Already acknowledged by Senior." in page
    assert "Acknowledged by Senior at" in page
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == world.senior


def test_who_may_acknowledge_from_the_page(world: Any, raised: Any) -> None:
    escalation = at_due()
    url = acknowledge_url(escalation)
    assert signed_in(world.coordinator_other).post(url).status_code == 404  # another service
    assert signed_in(world.referrer).post(url).status_code == 403
    assert signed_in(world.admin).post(url).status_code == 403  # an inbox, but not clinical
    assert signed_in(world.coordinator).get(url).status_code == 405
    assert (
        signed_in(world.coordinator)
        .post("/notifications/escalations/00000000-0000-0000-0000-000000000000/acknowledge/")
        .status_code
        == 404
    )
    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None


def test_acknowledging_needs_the_csrf_token(world: Any, raised: Any) -> None:
    client = signed_in(world.coordinator, enforce_csrf_checks=True)
    assert client.post(acknowledge_url(at_due())).status_code == 403
    assert at_due().acknowledged_at is None


def test_without_javascript_the_sound_is_not_offered_and_the_time_left_says_as_of(
    world: Any, raised: Any
) -> None:
    """The sound needs JavaScript: its choice is hidden until alerts.js shows
    it. The time left is the server's, as of the moment the page was drawn."""
    body = signed_in(world.coordinator).get(INBOX).content.decode()
    assert '<div class="audible-alert" id="audible-alert" hidden>' in body
    assert '<script src="/static/notifications/alerts.js" defer></script>' in body
    assert "<script>" not in body  # no inline script (the CSP allows none)
    assert re.search(r"\(as of <span data-as-of>\d\d:\d\d (GMT|BST)</span>\)", body)
