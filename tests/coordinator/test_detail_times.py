"""The referral page's times: the escalation panel never shows a time before
the referral arrived as if it were when someone was told, and the suspicion
time's box has the time held written out beside it (a browser shows the box
in its own locale's order)."""

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone

from notifications.models import Escalation
from tests.notifications.conftest import run
from tests.page_helpers import fragment, html, signed_in, text

WRITTEN = r"\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d (GMT|BST)"


def test_a_step_due_before_the_referral_arrived_says_so(
    world: Any, on_call: Any, make_referral: Any
) -> None:
    now = timezone.now()
    # Suspected 20 hours before it arrived: the 24-hour MRI clock's first
    # warning (half the target left) fell due 8 hours before the referral.
    referral = make_referral(
        now=now - timedelta(minutes=1), suspected_at=now - timedelta(hours=20, minutes=1)
    )
    run(timezone.now())
    early = Escalation.objects.get(clock__kind="mri", step__position=1)
    assert early.fire_at < referral.received_at
    body = html(signed_in(world.coordinator).get(f"/referrals/{referral.pk}/"))
    words = text(fragment(body, f"escalation-{early.pk}"))
    assert "Step due Before the referral arrived (received " in words
    assert "(due before the referral arrived; raised at its first sweep)" in words
    assert re.search(r"Raised at " + WRITTEN, words)
    assert "Fired at" not in words


def test_a_step_due_after_the_referral_shows_its_time(
    world: Any, on_call: Any, make_referral: Any
) -> None:
    referral = make_referral(now=timezone.now() - timedelta(minutes=31))
    run(timezone.now())
    step = Escalation.objects.filter(clock__kind="acknowledgement").earliest("fire_at")
    body = html(signed_in(world.coordinator).get(f"/referrals/{referral.pk}/"))
    words = text(fragment(body, f"escalation-{step.pk}"))
    assert re.search(r"Step due " + WRITTEN, words)
    assert "Before the referral arrived" not in words


def test_the_suspicion_time_is_written_out_beside_its_box(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    body = html(signed_in(world.coordinator).get(f"/referrals/{referral.pk}/"))
    assert re.search(r"Held now: " + WRITTEN + r"\. No later than", text(body))
