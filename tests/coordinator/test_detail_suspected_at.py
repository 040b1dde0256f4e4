"""The referral page's form for the suspicion time (issue 8): asked for
prominently while the time is assumed, folded away once it is confirmed.
It is parsed by SuspectedAtInput and written by referral_suspected_at_correct,
as the API's is: the clocks that run from suspicion move; a refusal re-renders
the page with the error beside the input it names (a 4xx) and stores nothing.
"""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from pathways.models import Clock
from referrals.models import Referral
from tests.conftest import hours
from tests.page_helpers import field_block, fragment, signed_in, text


def local(value: datetime) -> str:
    """A datetime-local input's value: UK wall-clock time."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def url(referral: Referral) -> str:
    return f"/referrals/{referral.pk}/suspected-at/"


def page_of(referral: Referral) -> str:
    return f"/referrals/{referral.pk}/"


def unchanged(referral: Referral, mri: Clock) -> None:
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.suspected_at, stored.suspected_at_assumed) == (stored.received_at, True)
    assert stored.suspected_at_reason == ""
    assert not stored.history.filter(suspected_at_assumed=False).exists()
    clock = Clock.objects.get(pk=mri.pk)
    assert (clock.started_at, clock.due_at) == (mri.started_at, mri.due_at)


# --- What the page shows --------------------------------------------------------------------


def test_an_assumed_time_is_asked_for_before_the_clocks(world: Any, make_referral: Any) -> None:
    referral = make_referral(now=timezone.now() - hours(2))
    assert referral.suspected_at_assumed
    body = signed_in(world.coordinator).get(page_of(referral)).content.decode()
    form = fragment(body, "form-suspected-at")
    # Prominent: straight after the summary, before the clocks, and not folded away.
    assert body.index('id="form-suspected-at"') < body.index('id="clocks"')
    assert "<details" not in form
    assert "Confirm or correct when MSCC was first suspected" in form
    assert "the time it was received is assumed" in text(form)
    assert f'action="{url(referral)}"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'type="datetime-local" id="f-suspected-suspected_at"' in form
    assert f'value="{local(referral.received_at)}"' in form
    assert 'id="f-suspected-reason"' in form


def test_a_confirmed_time_is_available_folded_away(world: Any, make_referral: Any) -> None:
    now = timezone.now()
    referral = make_referral(now=now, suspected_at=now - hours(5))
    assert not referral.suspected_at_assumed
    body = signed_in(world.coordinator).get(page_of(referral)).content.decode()
    form = fragment(body, "form-suspected-at")
    assert body.index('id="record"') < body.index('id="form-suspected-at"')
    assert '<details class="form-details">' in form  # closed until asked for
    assert "Correct the suspicion time" in form
    assert f'action="{url(referral)}"' in form


def test_a_closed_referral_offers_no_correction(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/status/", {"status": "withdrawn", "reason": "Wrong service."}
    )
    body = signed_in(world.coordinator).get(page_of(referral)).content.decode()
    assert 'id="form-suspected-at"' not in body
    assert "confirm or correct it" not in body  # the summary no longer asks


@pytest.mark.parametrize("who", ["referrer", "lead", "admin"])
def test_only_the_services_clinicians_see_the_form(
    world: Any, make_referral: Any, who: str
) -> None:
    referral = make_referral()
    response = signed_in(getattr(world, who)).get(page_of(referral))
    assert response.status_code in (200, 403, 404)
    body = response.content.decode()
    assert 'id="form-suspected-at"' not in body
    assert "/suspected-at/" not in body


# --- Confirming or correcting it --------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "senior"])
def test_a_correction_moves_the_clocks_and_comes_back_to_the_page(
    world: Any, make_referral: Any, who: str
) -> None:
    referral = make_referral(now=timezone.now() - hours(1))
    mri = referral.clocks.get(kind="mri")
    earlier = minute(referral.received_at - hours(20))
    client = signed_in(getattr(world, who))
    response = client.post(
        url(referral),
        {"suspected_at": local(earlier), "reason": "GP letter: weakness noticed yesterday."},
    )
    assert response.status_code == 302
    assert response["Location"] == page_of(referral)

    referral.refresh_from_db()
    assert (referral.suspected_at, referral.suspected_at_assumed) == (earlier, False)
    assert referral.suspected_at_reason == "GP letter: weakness noticed yesterday."
    assert referral.history.filter(suspected_at=referral.received_at).exists()  # kept
    moved = Clock.objects.get(referral=referral, kind="mri")
    assert moved.pk == mri.pk  # the same clock, moved
    assert (moved.started_at, moved.due_at) == (earlier, earlier + hours(24))

    body = client.get(page_of(referral)).content.decode()
    assert "Suspicion time recorded" in body
    assert "assumed" not in text(fragment(body, "summary"))
    form = fragment(body, "form-suspected-at")
    assert "<details" in form  # folded away now it is confirmed
    assert "How it is known: GP letter: weakness noticed yesterday." in text(form)


def test_confirming_the_receipt_time_clears_the_assumption(world: Any, make_referral: Any) -> None:
    referral = make_referral(now=timezone.now() - hours(1))
    response = signed_in(world.coordinator).post(
        url(referral),
        {"suspected_at": local(referral.received_at), "reason": "Suspected in clinic and sent."},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert not referral.suspected_at_assumed
    assert referral.suspected_at == minute(referral.received_at)


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"suspected_at": ""}, "suspected_at", "This field is required."),
        ({"suspected_at": "yesterday"}, "suspected_at", "Give the time"),
        ({"suspected_at": "FUTURE"}, "suspected_at", "cannot be in the future"),
        ({"suspected_at": "AFTER_RECEIPT"}, "suspected_at", "give a time before it was received"),
        ({"suspected_at": "BEFORE_ONSET"}, "suspected_at", "before the onset"),
        ({"reason": ""}, "reason", "This field is required."),
        ({"reason": "   "}, "reason", "This field is required."),
        ({"reason": "x" * 5001}, "reason", "no more than 5000"),
    ],
)
def test_a_bad_correction_is_refused_beside_its_input_and_stores_nothing(
    world: Any, make_referral: Any, post: dict[str, str], field: str, message: str
) -> None:
    now = timezone.now()
    referral = make_referral(now=now - hours(3), neuro_onset_at=now - hours(30))
    mri = referral.clocks.get(kind="mri")
    times = {
        "FUTURE": local(now + hours(2)),
        "AFTER_RECEIPT": local(referral.received_at + timedelta(minutes=5)),
        "BEFORE_ONSET": local(now - hours(40)),
    }
    data = {"suspected_at": local(referral.received_at - hours(5)), "reason": "Phoned the GP."}
    data.update({k: times.get(v, v) for k, v in post.items()})

    response = signed_in(world.coordinator).post(url(referral), data)

    assert response.status_code == 400
    body = response.content.decode()
    form = fragment(body, "form-suspected-at")
    assert "Nothing was recorded" in form
    # The message is beside its input: in the input's own field block, which
    # is marked, and the input says it is invalid.
    block = field_block(form, f"f-suspected-{field}")
    assert 'class="field field--error"' in block
    assert message in text(block)
    assert re.search(rf'id="f-suspected-{field}"[^>]*aria-invalid="true"', block)
    # What was typed is kept, and the summary at the top points at the form.
    assert 'href="#form-suspected-at"' in fragment(body, "error-summary")
    unchanged(referral, mri)


def test_a_closed_referral_refuses_a_correction_with_409(world: Any, make_referral: Any) -> None:
    """Closed after the page was opened: the refusal is said in the form."""
    referral = make_referral(now=timezone.now() - hours(1))
    mri = referral.clocks.get(kind="mri")
    client = signed_in(world.coordinator)
    client.post(f"/referrals/{referral.pk}/status/", {"status": "withdrawn", "reason": "Wrong."})
    mri.refresh_from_db()
    response = client.post(
        url(referral), {"suspected_at": local(referral.received_at), "reason": "Phoned the GP."}
    )
    assert response.status_code == 409
    form = fragment(response.content.decode(), "form-suspected-at")
    assert "its suspicion time cannot change" in text(form)
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.suspected_at_assumed and stored.suspected_at_reason == ""


# --- Who may ------------------------------------------------------------------------------------


def test_a_referrer_may_not_correct_it(world: Any, make_referral: Any) -> None:
    referral = make_referral(now=timezone.now() - hours(1))
    mri = referral.clocks.get(kind="mri")
    data = {"suspected_at": local(referral.received_at - hours(2)), "reason": "I know best."}
    assert signed_in(world.referrer).post(url(referral), data).status_code == 403
    assert signed_in(world.lead).post(url(referral), data).status_code == 403
    # Another service's coordinator: not theirs to see.
    assert signed_in(world.coordinator_other).post(url(referral), data).status_code == 404
    unchanged(referral, mri)


def test_the_form_needs_its_csrf_token(world: Any, make_referral: Any) -> None:
    referral = make_referral(now=timezone.now() - hours(1))
    mri = referral.clocks.get(kind="mri")
    client = signed_in(world.coordinator, enforce_csrf_checks=True)
    data = {"suspected_at": local(referral.received_at - hours(2)), "reason": "Phoned the GP."}
    assert client.post(url(referral), data).status_code == 403
    unchanged(referral, mri)


def test_only_post_is_answered(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    assert signed_in(world.coordinator).get(url(referral)).status_code == 405
