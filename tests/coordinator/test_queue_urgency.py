"""Each clock's urgency (comfortable, due soon, overdue) in the API and the
pages: from the referral's frozen escalation policy's latest warning step
(25% of the target left by default), in words as well as colour, with the
queue's order and ``status`` unchanged, and no query per referral."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordinator.selectors import clock_view, due_soon_fraction_of, due_soon_fractions_for
from notifications.codes import StepWhen
from notifications.models import EscalationStep
from pathways.clock_rules import DUE_SOON_FRACTION
from tests.page_helpers import fragment, html, signed_in, text

QUEUE = "/api/v1/queue/"


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def _clocks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["kind"]: c for c in body["clocks"]}


@pytest.fixture
def three(world: Any, make_referral: Any) -> dict[str, Any]:
    """Suspected-MSCC referrals whose 30-minute acknowledgement clock is
    overdue (40 min old), due soon (26 min old: 4 min left, under 25%) and
    comfortable (2 min old)."""
    now = timezone.now()
    return {
        "overdue": make_referral(now=now - minutes(40)),
        "due_soon": make_referral(now=now - minutes(26)),
        "comfortable": make_referral(now=now - minutes(2)),
    }


def test_the_queue_api_gives_each_clock_its_urgency(world: Any, api: Any, three: Any) -> None:
    rows = api(world.coordinator).get(QUEUE).json()["results"]
    by_reference = {r["reference"]: r for r in rows}
    for expected, referral in three.items():
        clock = _clocks(by_reference[referral.reference])["acknowledgement"]
        assert clock["urgency"] == expected
    overdue = _clocks(by_reference[three["overdue"].reference])
    # status keeps its meaning: breached, not "overdue"; the MRI clock is on track.
    assert overdue["acknowledgement"]["status"] == "breached"
    assert overdue["mri"]["status"] == "running"
    assert overdue["mri"]["urgency"] == "comfortable"
    # The queue's order is unchanged: category, then the earliest due clock.
    assert [r["reference"] for r in rows] == [
        three["overdue"].reference,
        three["due_soon"].reference,
        three["comfortable"].reference,
    ]


def test_a_stopped_or_measured_clock_has_no_urgency(world: Any, api: Any, three: Any) -> None:
    referral = three["comfortable"]
    body = api(world.coordinator).post(f"/api/v1/referrals/{referral.pk}/acknowledge/").json()
    clocks = _clocks(body)
    assert clocks["acknowledgement"]["status"] == "met"
    assert clocks["acknowledgement"]["urgency"] is None
    assert clocks["dexamethasone"]["measured"] is True  # neurological features
    assert clocks["dexamethasone"]["urgency"] is None


def test_the_list_detail_and_create_answers_carry_urgency(world: Any, api: Any, three: Any) -> None:
    client = api(world.coordinator)
    listed = client.get("/api/v1/referrals/").json()["results"]
    assert {_clocks(r)["acknowledgement"]["urgency"] for r in listed} == {
        "overdue",
        "due_soon",
        "comfortable",
    }
    detail = client.get(f"/api/v1/referrals/{three['due_soon'].pk}/").json()
    assert _clocks(detail)["acknowledgement"]["urgency"] == "due_soon"
    from tests.conftest import referral_body

    created = api(world.referrer).post("/api/v1/referrals/", referral_body(), format="json")
    assert created.status_code == 201
    assert _clocks(created.json())["acknowledgement"]["urgency"] == "comfortable"


def _warning_fractions(policy: Any, fraction: float) -> None:
    EscalationStep.objects.filter(policy=policy, when=StepWhen.WARNING).update(fraction=fraction)


def test_due_soon_follows_the_referrals_frozen_policy(
    world: Any, api: Any, make_referral: Any
) -> None:
    # 20 minutes into a 30-minute clock: a third left. Due soon only under a
    # policy whose latest warning fires with half the target left.
    referral = make_referral(now=timezone.now() - minutes(20))
    client = api(world.coordinator)
    before = _clocks(client.get(f"/api/v1/referrals/{referral.pk}/").json())
    assert before["acknowledgement"]["urgency"] == "comfortable"
    _warning_fractions(referral.escalation_policy, 0.5)
    after = _clocks(client.get(f"/api/v1/referrals/{referral.pk}/").json())
    assert after["acknowledgement"]["urgency"] == "due_soon"
    queued = client.get(QUEUE).json()["results"][0]
    assert _clocks(queued)["acknowledgement"]["urgency"] == "due_soon"


def test_a_policy_without_warning_steps_uses_the_default(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    EscalationStep.objects.filter(policy=referral.escalation_policy, when=StepWhen.WARNING).delete()
    fractions = due_soon_fractions_for([referral])
    assert due_soon_fraction_of(referral, fractions) == DUE_SOON_FRACTION == 0.25


def test_an_unusable_policy_fraction_falls_back_to_the_default(
    world: Any, make_referral: Any
) -> None:
    referral = make_referral(now=timezone.now() - minutes(26))
    _warning_fractions(referral.escalation_policy, 0.0)  # a warning at the due time
    fraction = due_soon_fraction_of(referral, due_soon_fractions_for([referral]))
    assert fraction == DUE_SOON_FRACTION
    clock = referral.clocks.get(kind="acknowledgement")
    assert clock_view(clock, timezone.now(), fraction)["urgency"] == "due_soon"


def test_the_queue_stays_at_a_fixed_number_of_queries_with_urgency(
    world: Any, api: Any, make_referral: Any
) -> None:
    client = api(world.coordinator)

    def count() -> tuple[int, set[str]]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(QUEUE + "?page_size=100")
        assert response.status_code == 200
        urgencies = {c["urgency"] for r in response.json()["results"] for c in r["clocks"]}
        sql = [q["sql"] for q in queries.captured_queries]
        # The policies' warning steps: read once for the page, not per referral.
        assert sum('"notifications_escalationstep"' in s for s in sql) == 1
        return len(sql), urgencies

    now = timezone.now()
    make_referral(now=now - minutes(40))
    make_referral(now=now - minutes(26))
    small, _ = count()
    for i in range(20):
        make_referral(now=now - minutes(i * 2))
    large, urgencies = count()
    assert large == small
    assert {"overdue", "due_soon", "comfortable"} <= urgencies


def test_the_queue_page_says_urgency_in_words(world: Any, three: Any) -> None:
    body = html(signed_in(world.coordinator).get("/queue/"))
    overdue = text(fragment(body, f"row-{three['overdue'].pk}"))
    due_soon_html = fragment(body, f"row-{three['due_soon'].pk}")
    comfortable = text(fragment(body, f"row-{three['comfortable'].pk}"))
    assert "Acknowledgement: OVERDUE by" in overdue
    assert "Acknowledgement: Due soon: " in text(due_soon_html)
    assert "row--due-soon" in due_soon_html  # the colour, beside the words
    assert 'class="badge badge--due-soon">Due soon: ' in due_soon_html
    assert "Acknowledgement: On track: " in comfortable
    assert "MRI: On track: 23 h" in comfortable
    # In order: overdue first, comfortable last.
    assert (
        body.index(f"row-{three['overdue'].pk}")
        < body.index(f"row-{three['due_soon'].pk}")
        < body.index(f"row-{three['comfortable'].pk}")
    )
    assert "Find a referral" in body
    assert 'href="/referrals/mine/"' in body


def test_the_queue_rows_and_print_list_say_urgency(world: Any, three: Any) -> None:
    client = signed_in(world.coordinator)
    rows = text(html(client.get("/queue/rows/")))
    assert "Due soon: " in rows
    assert "On track: " in rows
    printed = text(html(client.get("/queue/print/")))
    assert "When printed: OVERDUE by" in printed
    assert "When printed: Due soon: " in printed
    assert "When printed: On track: " in printed


def test_the_detail_clocks_panel_says_urgency_in_words(world: Any, three: Any) -> None:
    client = signed_in(world.coordinator)
    panel = fragment(html(client.get(f"/referrals/{three['due_soon'].pk}/")), "clocks")
    assert 'data-urgency="due_soon"' in panel
    assert "Due soon: " in text(panel)
    assert "On track: 23 h" in text(panel)  # the MRI clock
    overdue = fragment(html(client.get(f"/referrals/{three['overdue'].pk}/")), "clocks")
    assert "OVERDUE by" in text(overdue)


def test_an_unusable_fraction_is_never_handed_to_the_rule(world: Any, make_referral: Any) -> None:
    # The selector leaves out a stored warning fraction of 0 or 1 (the column
    # allows it, the admin does not), so no caller (the queue, the list's
    # due-soon filter) can pass it to urgency_at, which would raise.
    from notifications.selectors.policies import due_soon_fractions

    referral = make_referral()
    policy_id = referral.escalation_policy_id
    _warning_fractions(referral.escalation_policy, 1.0)
    assert policy_id not in due_soon_fractions({policy_id})
    _warning_fractions(referral.escalation_policy, 0.4)
    assert due_soon_fractions({policy_id}) == {policy_id: 0.4}
