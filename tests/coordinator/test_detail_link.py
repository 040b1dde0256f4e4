"""The referral page's form to link a duplicate (issue 8): inside the warning
that names another open referral for the same person in the service, shown
to the service's clinicians only. Parsed by LinkInput and written by
referral_link_duplicate, as the API's is: the later referral closes as a
duplicate of the earlier, its clocks cancelled; a refusal re-renders the page
with the error beside the input it names (a 4xx) and stores nothing.
"""

import re
from typing import Any

import pytest
from django.utils import timezone

from coordinator.templatetags.referral_pages import when
from pathways.models import Clock
from referrals.models import Referral
from tests.conftest import hours
from tests.factories import patient_details
from tests.page_helpers import field_block, fragment, signed_in, text


def url(referral: Referral) -> str:
    return f"/referrals/{referral.pk}/link/"


def page_of(referral: Referral) -> str:
    return f"/referrals/{referral.pk}/"


@pytest.fixture
def pair(world: Any, make_referral: Any) -> tuple[Referral, Referral]:
    """The same person referred twice, an hour apart: (earlier, later)."""
    patient = patient_details()
    earlier = make_referral(now=timezone.now() - hours(2), patient=patient)
    later = make_referral(now=timezone.now() - hours(1), patient=patient)
    return earlier, later


def still_open(*referrals: Referral) -> None:
    for referral in referrals:
        stored = Referral.objects.get(pk=referral.pk)
        assert stored.status == referral.status
        assert stored.duplicate_of_id is None
        assert "cancelled" not in {c.status for c in Clock.objects.filter(referral=referral)}


# --- What the page shows --------------------------------------------------------------------


def test_the_later_referral_offers_the_link_inside_the_warning(
    world: Any, pair: tuple[Referral, Referral]
) -> None:
    earlier, later = pair
    body = signed_in(world.coordinator).get(page_of(later)).content.decode()
    warning = fragment(body, "duplicate-warning")
    assert f"{earlier.reference} is also open for this NHS number" in text(warning)
    form = fragment(warning, "f-link-duplicate_of")  # the select
    assert f'<option value="{earlier.pk}" selected>{earlier.reference}</option>' in form
    assert f"{earlier.reference} was received {when(earlier.received_at)}." in text(warning)
    assert f'action="{url(later)}"' in warning
    assert 'name="csrfmiddlewaretoken"' in warning
    assert 'id="f-link-reason"' in warning
    statement = text(warning)
    assert f"This closes this referral, {later.reference} , as a duplicate" in statement
    assert "and cancels its clocks." in statement
    assert "Close as a duplicate" in statement


def test_the_earlier_referral_points_to_the_later_one_instead(
    world: Any, pair: tuple[Referral, Referral]
) -> None:
    earlier, later = pair
    body = signed_in(world.coordinator).get(page_of(earlier)).content.decode()
    warning = fragment(body, "duplicate-warning")
    assert f"{later.reference} is also open" in text(warning)
    # The service links only the later referral: no form here, a way to it.
    assert "<form" not in warning
    assert "This referral came first" in text(warning)
    assert f'href="{page_of(later)}"' in warning


@pytest.mark.parametrize("who", ["referrer", "referrer_same_alliance"])
def test_a_referrer_never_sees_the_warning_or_the_form(
    world: Any, make_referral: Any, who: str
) -> None:
    patient = patient_details()
    earlier = make_referral(now=timezone.now() - hours(2), patient=patient)
    later = make_referral(
        now=timezone.now() - hours(1),
        patient=patient,
        user=world.referrer_same_alliance,
        organisation=world.gp2,
    )
    user = getattr(world, who)
    mine = earlier if who == "referrer" else later
    body = signed_in(user).get(page_of(mine)).content.decode()
    assert 'id="duplicate-warning"' not in body
    assert "/link/" not in body
    assert "duplicate" not in body.lower()
    assert (later if mine is earlier else earlier).reference not in body


# --- Linking --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "senior"])
def test_linking_closes_the_later_referral_and_cancels_its_clocks(
    world: Any, pair: tuple[Referral, Referral], who: str
) -> None:
    earlier, later = pair
    client = signed_in(getattr(world, who))
    response = client.post(
        url(later), {"duplicate_of": str(earlier.pk), "reason": "Same episode, phoned in twice."}
    )
    assert response.status_code == 302
    assert response["Location"] == page_of(later)

    later.refresh_from_db()
    assert later.status == "closed"
    assert later.duplicate_of_id == earlier.pk
    assert "Same episode, phoned in twice." in later.status_reason
    assert {c.status for c in Clock.objects.filter(referral=later)} == {"cancelled"}
    still_open(earlier)

    body = client.get(page_of(later)).content.decode()
    assert f"Closed as a duplicate of {earlier.reference}" in body
    assert 'id="duplicate-warning"' not in body  # nothing left to link
    assert 'id="duplicate-warning"' not in client.get(page_of(earlier)).content.decode()


def bad(earlier: Referral, later: Referral, other: Referral) -> dict[str, Any]:
    """Each refused post: the body, the input named, the message, the status."""
    return {
        "no duplicate": ({"reason": "Same."}, "duplicate_of", "This field is required.", 400),
        "not an id": (
            {"duplicate_of": "MSCC-1234", "reason": "Same."},
            "duplicate_of",
            "Must be a valid UUID.",
            400,
        ),
        "itself": (
            {"duplicate_of": str(later.pk), "reason": "Same."},
            "duplicate_of",
            "Name another referral of this service.",
            400,
        ),
        "another person": (
            {"duplicate_of": str(other.pk), "reason": "Same."},
            "duplicate_of",
            "That referral is for another person or another service.",
            400,
        ),
        "no reason": (
            {"duplicate_of": str(earlier.pk), "reason": "  "},
            "reason",
            "This field is required.",
            400,
        ),
    }


@pytest.mark.parametrize(
    "case", ["no duplicate", "not an id", "itself", "another person", "no reason"]
)
def test_a_bad_link_is_refused_beside_its_input_and_stores_nothing(
    world: Any, make_referral: Any, pair: tuple[Referral, Referral], case: str
) -> None:
    earlier, later = pair
    other = make_referral(now=timezone.now() - hours(3))
    post, field, message, status = bad(earlier, later, other)[case]

    response = signed_in(world.coordinator).post(url(later), post)

    assert response.status_code == status
    body = response.content.decode()
    warning = fragment(body, "duplicate-warning")
    assert "<details" in warning and " open>" in warning  # opened on its error
    assert "Nothing was recorded" in warning
    block = field_block(warning, f"f-link-{field}")
    assert 'class="field field--error"' in block
    assert message in text(block)
    assert re.search(rf'id="f-link-{field}"[^>]*aria-invalid="true"', block)
    assert 'href="#duplicate-warning"' in fragment(body, "error-summary")
    still_open(earlier, later, other)


def test_the_earlier_referral_cannot_be_closed_as_the_duplicate(
    world: Any, pair: tuple[Referral, Referral]
) -> None:
    """A crafted post (the page offers no form there): 409, said in the warning."""
    earlier, later = pair
    response = signed_in(world.coordinator).post(
        url(earlier), {"duplicate_of": str(later.pk), "reason": "Same."}
    )
    assert response.status_code == 409
    warning = fragment(response.content.decode(), "duplicate-warning")
    assert f"This referral came first: link {later.reference} to it instead." in text(warning)
    still_open(earlier, later)


def test_a_duplicate_closed_since_the_page_opened_is_refused_with_409(
    world: Any, pair: tuple[Referral, Referral]
) -> None:
    earlier, later = pair
    client = signed_in(world.coordinator)
    client.post(f"/referrals/{earlier.pk}/status/", {"status": "withdrawn", "reason": "Wrong."})
    response = client.post(url(later), {"duplicate_of": str(earlier.pk), "reason": "Same."})
    assert response.status_code == 409
    warning = fragment(response.content.decode(), "duplicate-warning")
    assert f"{earlier.reference} is closed: link to the referral that is open." in text(warning)
    stored = Referral.objects.get(pk=later.pk)
    assert stored.status == later.status and stored.duplicate_of_id is None


# --- Who may ------------------------------------------------------------------------------------


def test_only_the_services_clinicians_may_link(world: Any, pair: tuple[Referral, Referral]) -> None:
    earlier, later = pair
    data = {"duplicate_of": str(earlier.pk), "reason": "Same."}
    assert signed_in(world.referrer).post(url(later), data).status_code == 403
    assert signed_in(world.lead).post(url(later), data).status_code == 403
    assert signed_in(world.admin).post(url(later), data).status_code == 403
    # Another service's coordinator: not theirs to see.
    assert signed_in(world.coordinator_other).post(url(later), data).status_code == 404
    still_open(earlier, later)


def test_the_form_needs_its_csrf_token(world: Any, pair: tuple[Referral, Referral]) -> None:
    earlier, later = pair
    client = signed_in(world.coordinator, enforce_csrf_checks=True)
    data = {"duplicate_of": str(earlier.pk), "reason": "Same."}
    assert client.post(url(later), data).status_code == 403
    still_open(earlier, later)


def test_only_post_is_answered(world: Any, pair: tuple[Referral, Referral]) -> None:
    assert signed_in(world.coordinator).get(url(pair[1])).status_code == 405
