"""Escalation policies: the pure rules, drafts and publishing through the
services, the freeze of a referral to the policy it started under, and the
admin where a service admin configures their own service's policy and only
theirs (docs/clinical-rules.md, section 7; issue 4)."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications import policy_rules
from notifications.codes import Channel, Recipient, StepWhen
from notifications.models import EscalationPolicy, EscalationStep, Heartbeat, Shift
from notifications.policy_defaults import DEFAULT_STEPS
from notifications.policy_rules import StepData
from notifications.selectors import escalation_policy_current, policy_steps
from notifications.services import (
    PolicyInvalid,
    escalation_policy_draft_create,
    escalation_policy_publish,
    escalation_policy_update,
    escalation_step_create,
    escalation_step_delete,
    escalation_step_update,
    escalation_steps_save,
)
from notifications.services.policies import step_data
from referrals.models import User
from tests.admin_forms import inline_post, signed_in, staff, texts
from tests.factories import ServiceAdminFactory

CHANGELIST = reverse("admin:notifications_escalationpolicy_changelist")
SHIFTS = reverse("admin:notifications_shift_changelist")
HEARTBEATS = reverse("admin:notifications_heartbeat_changelist")
PREFIX = "steps"
MINUTES = timedelta(minutes=1)

WARNING = StepData(
    position=1,
    when=StepWhen.WARNING.value,
    recipient=Recipient.ON_CALL_COORDINATOR.value,
    channels=[Channel.IN_APP.value],
    fraction=0.5,
)
AFTER_DUE = StepData(
    position=2,
    when=StepWhen.AFTER_DUE.value,
    recipient=Recipient.ON_CALL_SENIOR.value,
    channels=[Channel.IN_APP.value, Channel.EMAIL.value],
    delay=30 * MINUTES,
    repeat_every=30 * MINUTES,
)


def defaults() -> list[StepData]:
    return [
        StepData(
            position=n,
            when=s.when.value,
            recipient=s.recipient.value,
            channels=[c.value for c in s.channels],
            fraction=s.fraction,
            delay=s.delay,
            repeat_every=s.repeat_every,
        )
        for n, s in enumerate(DEFAULT_STEPS, start=1)
    ]


def contents(policy: EscalationPolicy) -> list[dict[str, Any]]:
    return list(
        policy.steps.order_by("position").values(
            *(
                f.attname
                for f in EscalationStep._meta.concrete_fields
                if f.name not in ("id", "policy")
            )
        )
    )


def step_at(policy: EscalationPolicy, position: int) -> EscalationStep:
    return policy.steps.get(position=position)


@pytest.fixture
def draft(world) -> EscalationPolicy:
    return escalation_policy_draft_create(policy=world.policy, user=world.admin)


@pytest.fixture
def other_admin(world) -> User:
    """B-MSCC's service admin, also staff."""
    return ServiceAdminFactory(username="admin-b", service=world.other_service, is_staff=True)


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser(username="root", password="x")


# --- the pure rules -----------------------------------------------------------


def test_the_default_policy_passes_every_rule():
    steps = defaults()
    assert all(policy_rules.step_errors(s) == {} for s in steps)
    assert policy_rules.publish_errors(steps) == {}


@pytest.mark.parametrize(
    ("base", "changes", "field"),
    [
        (WARNING, {"when": "whenever"}, "when"),
        (WARNING, {"when": ""}, "when"),
        # A warning: 0 < fraction < 1 and no delay.
        (WARNING, {"fraction": None}, "fraction"),
        (WARNING, {"fraction": 0}, "fraction"),
        (WARNING, {"fraction": 1}, "fraction"),
        (WARNING, {"fraction": 1.5}, "fraction"),
        (WARNING, {"fraction": -0.25}, "fraction"),
        (WARNING, {"fraction": True}, "fraction"),
        (WARNING, {"fraction": "0.5"}, "fraction"),
        (WARNING, {"delay": 10 * MINUTES}, "delay"),
        # At due: neither a fraction nor a delay.
        (WARNING, {"when": "at_due"}, "fraction"),
        (WARNING, {"when": "at_due", "fraction": None, "delay": MINUTES}, "delay"),
        # After due: a positive delay and no fraction.
        (AFTER_DUE, {"delay": None}, "delay"),
        (AFTER_DUE, {"delay": timedelta(0)}, "delay"),
        (AFTER_DUE, {"delay": -MINUTES}, "delay"),
        (AFTER_DUE, {"fraction": 0.5}, "fraction"),
        # Whom.
        (WARNING, {"recipient": "the_porter"}, "recipient"),
        (WARNING, {"recipient": "named_user"}, "named_user"),
        (WARNING, {"named_user_id": 7}, "named_user"),
        # How.
        (WARNING, {"channels": []}, "channels"),
        (WARNING, {"channels": ["sms"]}, "channels"),
        (WARNING, {"channels": ["email", "in_app", "email"]}, "channels"),
        (WARNING, {"channels": "email"}, "channels"),
        (WARNING, {"channels": [["email"]]}, "channels"),
        # Repeats: at least 5 minutes apart.
        (AFTER_DUE, {"repeat_every": 4 * MINUTES}, "repeat_every"),
        (AFTER_DUE, {"repeat_every": timedelta(0)}, "repeat_every"),
        (AFTER_DUE, {"repeat_every": 300}, "repeat_every"),
        # Where in the list.
        (WARNING, {"position": 0}, "position"),
        (WARNING, {"position": 1000}, "position"),
        (WARNING, {"position": True}, "position"),
    ],
)
def test_each_broken_rule_names_its_field(base: StepData, changes: dict[str, Any], field: str):
    errors = policy_rules.step_errors(replace(base, **changes))
    assert list(errors) == [field]
    assert errors[field][0]


def test_the_edges_that_are_allowed():
    assert policy_rules.step_errors(replace(AFTER_DUE, repeat_every=5 * MINUTES)) == {}
    assert policy_rules.step_errors(replace(WARNING, fraction=0.01)) == {}
    at_due = StepData(position=3, when="at_due", recipient="service_lead", channels=["webhook"])
    assert policy_rules.step_errors(at_due) == {}
    named = replace(at_due, recipient="named_user", named_user_id=7)
    assert policy_rules.step_errors(named) == {}


def test_positions_must_be_unique():
    errors = policy_rules.publish_errors([WARNING, replace(AFTER_DUE, position=1)])
    assert list(errors) == ["position"]
    assert "1" in errors["position"][0]


@pytest.mark.parametrize(
    "steps",
    [
        [],
        [AFTER_DUE],
        # After due is too late, and the senior clinician is not the first contact.
        [replace(AFTER_DUE, recipient="on_call_coordinator")],
        [replace(WARNING, recipient="on_call_senior")],
        [replace(WARNING, recipient="service_lead", when="at_due", fraction=None)],
    ],
)
def test_a_policy_must_reach_the_coordinator_at_or_before_due(steps: list[StepData]):
    errors = policy_rules.publish_errors(steps)
    assert list(errors) == ["steps"]
    assert "coordinator" in errors["steps"][0]


def test_an_at_due_step_to_the_coordinator_is_enough():
    at_due = replace(WARNING, when="at_due", fraction=None)
    assert policy_rules.publish_errors([at_due, AFTER_DUE]) == {}


def test_publish_errors_name_the_step_and_its_field():
    steps = defaults()
    steps[3] = replace(steps[3], delay=None)
    assert list(policy_rules.publish_errors(steps)) == ["steps.4.delay"]


def test_a_step_is_described_in_words():
    # In hours and minutes, channels by name (issue 11).
    assert policy_rules.describe_step(replace(WARNING, fraction=0.25)) == (
        "Warns with 25% of the target time left: the on-call coordinator by in-app"
    )
    assert policy_rules.describe_step(AFTER_DUE) == (
        "30 min after due: the on-call senior clinician by in-app, e-mail; "
        "every 30 min until acknowledged"
    )
    later = replace(AFTER_DUE, delay=timedelta(minutes=90), repeat_every=timedelta(hours=2))
    assert policy_rules.describe_step(later).startswith("1 h 30 min after due: ")
    assert policy_rules.describe_step(later).endswith("; every 2 h until acknowledged")
    named = replace(WARNING, recipient="named_user", named_user_id=1)
    assert policy_rules.describe_step(named, "Dr Jones").endswith(": Dr Jones by in-app")


# --- drafts -------------------------------------------------------------------


def test_a_draft_copies_a_named_user_too(world, draft, now):
    escalation_step_create(
        policy=draft,
        user=world.admin,
        data=StepData(
            position=9,
            when="after_due",
            recipient="named_user",
            named_user_id=world.senior.pk,
            channels=["email"],
            delay=timedelta(hours=4),
        ),
    )
    escalation_policy_publish(policy=draft, user=world.admin, now=now)
    v3 = escalation_policy_draft_create(policy=draft, user=world.admin)
    assert step_at(v3, 9).named_user == world.senior
    assert contents(v3) == contents(draft)


# --- editing a draft, and never a published policy ----------------------------


def test_a_draft_is_edited_through_the_services(world, draft):
    first = step_at(draft, 1)
    escalation_step_update(
        step=first, user=world.admin, data=replace(step_data(first), fraction=0.75)
    )
    added = escalation_step_create(
        policy=draft,
        user=world.admin,
        data=StepData(
            position=6,
            when="after_due",
            recipient="named_user",
            named_user_id=world.senior.pk,
            channels=["email", "in_app"],
            delay=timedelta(hours=4),
        ),
    )
    escalation_step_delete(step=step_at(draft, 5), user=world.admin)
    escalation_policy_update(policy=draft, user=world.admin, note="Warn earlier; Dr Senior")

    first.refresh_from_db()
    assert first.fraction == 0.75
    assert added.policy == draft
    assert added.channels == ["email", "in_app"]
    assert added.named_user == world.senior
    assert sorted(draft.steps.values_list("position", flat=True)) == [1, 2, 3, 4, 6]
    draft.refresh_from_db()
    assert draft.note == "Warn earlier; Dr Senior"
    # The original is untouched.
    assert step_at(world.policy, 1).fraction == 0.5
    assert world.policy.steps.count() == len(DEFAULT_STEPS)


def test_a_draft_refuses_a_broken_step_and_names_the_field(world, draft):
    first = step_at(draft, 1)
    with pytest.raises(PolicyInvalid) as refused:
        escalation_step_update(
            step=first,
            user=world.admin,
            data=replace(step_data(first), fraction=2, channels=[], repeat_every=MINUTES),
        )
    assert set(refused.value.errors) == {"fraction", "channels", "repeat_every"}
    first.refresh_from_db()
    assert first.fraction == 0.5

    with pytest.raises(PolicyInvalid) as refused:
        escalation_step_create(
            policy=draft, user=world.admin, data=replace(AFTER_DUE, position=9, delay=None)
        )
    assert list(refused.value.errors) == ["delay"]
    assert draft.steps.count() == len(DEFAULT_STEPS)


def test_a_named_user_must_be_an_active_user_of_the_service(world, draft):
    named = StepData(
        position=9,
        when="at_due",
        recipient="named_user",
        channels=["in_app"],
        named_user_id=world.coordinator_other.pk,
    )
    with pytest.raises(PolicyInvalid) as refused:
        escalation_step_create(policy=draft, user=world.admin, data=named)
    assert list(refused.value.errors) == ["named_user"]

    # The alliance lead of the service's alliance may be named.
    escalation_step_create(
        policy=draft, user=world.admin, data=replace(named, named_user_id=world.lead.pk)
    )
    world.senior.is_active = False
    world.senior.save()
    with pytest.raises(PolicyInvalid):
        escalation_step_create(
            policy=draft,
            user=world.admin,
            data=replace(named, position=10, named_user_id=world.senior.pk),
        )


def test_a_position_already_taken_is_refused(world, draft):
    second = step_at(draft, 2)
    with pytest.raises(PolicyInvalid) as refused:
        escalation_step_update(
            step=second, user=world.admin, data=replace(step_data(second), position=1)
        )
    assert list(refused.value.errors) == ["position"]
    with pytest.raises(PolicyInvalid):
        escalation_step_create(policy=draft, user=world.admin, data=replace(WARNING, position=3))
    assert sorted(draft.steps.values_list("position", flat=True)) == [1, 2, 3, 4, 5]


def test_steps_can_swap_places_in_one_save(world, draft):
    first, second, third = (step_at(draft, n) for n in (1, 2, 3))
    escalation_steps_save(
        policy=draft,
        user=world.admin,
        updated=[
            (first, replace(step_data(first), position=2)),
            (second, replace(step_data(second), position=3)),
            (third, replace(step_data(third), position=1)),
        ],
    )
    for step, position in ((first, 2), (second, 3), (third, 1)):
        step.refresh_from_db()
        assert step.position == position
        # History holds the real positions only, never the parked ones.
        assert max(step.history.values_list("position", flat=True)) <= 5
        assert step.history.latest().history_user == world.admin


# --- publishing -----------------------------------------------------------------


def test_publishing_refuses_a_policy_that_never_reaches_the_coordinator_by_due(world, draft, now):
    for position in (1, 2, 3):
        escalation_step_delete(step=step_at(draft, position), user=world.admin)

    with pytest.raises(PolicyInvalid) as refused:
        escalation_policy_publish(policy=draft, user=world.admin, now=now)

    assert list(refused.value.errors) == ["steps"]
    assert "1.1.6" in refused.value.errors["steps"][0]
    draft.refresh_from_db()
    assert draft.published_at is None
    assert escalation_policy_current(service=world.service) == world.policy


def test_publishing_validates_rows_written_behind_the_services_back(world, draft, now):
    draft.steps.filter(position=4).update(delay=None)
    draft.steps.filter(position=2).update(named_user=world.coordinator_other)

    with pytest.raises(PolicyInvalid) as refused:
        escalation_policy_publish(policy=draft, user=world.admin, now=now)

    assert set(refused.value.errors) == {"steps.4.delay", "steps.2.named_user"}
    draft.refresh_from_db()
    assert draft.published_at is None


def test_publishing_changes_new_referrals_only(world, draft, make_referral, now):
    before = make_referral(now=now - timedelta(hours=2))
    assert before.escalation_policy == world.policy
    frozen = contents(world.policy)

    escalation_step_update(
        step=step_at(draft, 3),
        user=world.admin,
        data=replace(step_data(step_at(draft, 3)), repeat_every=10 * MINUTES),
    )
    published = escalation_policy_publish(policy=draft, user=world.admin, now=now)

    assert published.published_at == now
    assert escalation_policy_current(service=world.service) == draft

    # The referral made before keeps v1, and v1's steps are as they were: the
    # sweep reads the steps of the referral's own policy.
    before.refresh_from_db()
    assert before.escalation_policy == world.policy
    assert contents(world.policy) == frozen
    [at_due] = [
        s for s in policy_steps({before.escalation_policy_id})[world.policy.pk] if s.position == 3
    ]
    assert at_due.repeat_every == 15 * MINUTES

    # A referral made after starts under v2.
    after = make_referral(now=now + timedelta(hours=1))
    assert after.escalation_policy == draft
    # The other service is untouched.
    other = escalation_policy_current(service=world.other_service)
    assert other is not None
    assert other.number == 1


# --- the admin -------------------------------------------------------------------


def change_url(policy: EscalationPolicy) -> str:
    return reverse("admin:notifications_escalationpolicy_change", args=[policy.pk])


@pytest.fixture
def admin_client(world) -> Client:
    """World A's service admin, signed in to the Django admin."""
    return signed_in(staff(world.admin))


def step_form(s: EscalationStep) -> dict[str, Any]:
    return {
        "position": s.position,
        "when": s.when,
        "fraction": s.fraction,
        "delay": s.delay,
        "recipient": s.recipient,
        "named_user": s.named_user_id,
        "channels": list(s.channels),
        "repeat_every": s.repeat_every,
    }


def draft_post(policy: EscalationPolicy, **kwargs: Any) -> dict[str, Any]:
    """What the change page of a draft posts (tests/admin_forms.py)."""
    return inline_post(
        policy,
        prefix=PREFIX,
        parent_field="policy",
        rows=policy.steps.order_by("position"),
        row_form=step_form,
        **kwargs,
    )


def row_of(policy: EscalationPolicy, step: EscalationStep) -> int:
    return list(policy.steps.order_by("position")).index(step)


def test_the_list_describes_each_policys_steps(admin_client, draft):
    """(Which policies are listed: tests/core/test_versioned_configuration.py.)"""
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Warns with 50% of the target time left: the on-call coordinator by in-app" in page


@pytest.mark.parametrize("role", ["coordinator", "senior", "lead", "referrer"])
def test_other_roles_see_no_rota_even_as_staff(world, role):
    client = signed_in(staff(getattr(world, role)))
    assert client.get(SHIFTS).status_code == 403


def test_a_draft_is_edited_inline(world, admin_client, draft):
    page = admin_client.get(change_url(draft))
    assert page.context["has_change_permission"] is True
    assert f'name="{PREFIX}-0-fraction"' in page.content.decode()
    # Only people of this service (or its alliance's leads) can be named.
    [formset] = page.context["inline_admin_formsets"]
    offered = set(formset.formset.forms[0].fields["named_user"].queryset)
    assert world.senior in offered
    assert world.lead in offered
    assert world.coordinator_other not in offered

    first, second, last = step_at(draft, 1), step_at(draft, 2), step_at(draft, 5)
    posted = draft_post(
        draft,
        note="Senior told sooner; Dr Senior by name",
        # The two warnings swap places, and the first warns earlier.
        changes={first.pk: {"position": 2, "fraction": 0.75}, second.pk: {"position": 1}},
        delete=frozenset({last.pk}),
        add=(
            {
                "position": 7,
                "when": "after_due",
                "fraction": "",
                "delay": timedelta(hours=3),
                "recipient": "named_user",
                "named_user": world.senior.pk,
                "channels": ["in_app", "email"],
                "repeat_every": "",
            },
        ),
    )
    response = admin_client.post(change_url(draft), posted)
    assert response.status_code == 302, response.context and response.context["errors"]

    first.refresh_from_db()
    second.refresh_from_db()
    draft.refresh_from_db()
    assert (first.position, first.fraction) == (2, 0.75)
    assert second.position == 1
    assert draft.note == "Senior told sooner; Dr Senior by name"
    added = step_at(draft, 7)
    assert (added.named_user, added.channels, added.delay) == (
        world.senior,
        ["in_app", "email"],
        timedelta(hours=3),
    )
    assert not draft.steps.filter(pk=last.pk).exists()

    # Every write kept history with the admin who made it.
    assert first.history.latest().history_user == world.admin
    assert added.history.get().history_user == world.admin
    assert draft.history.latest().history_user == world.admin
    deleted = EscalationStep.history.filter(id=last.pk).latest()
    assert (deleted.history_type, deleted.history_user) == ("-", world.admin)


@pytest.mark.parametrize(
    ("position", "change", "field"),
    [
        (1, {"fraction": "1.5"}, "fraction"),
        (1, {"fraction": ""}, "fraction"),
        (1, {"delay": "00:10:00"}, "delay"),
        (3, {"fraction": "0.5"}, "fraction"),
        (4, {"delay": ""}, "delay"),
        (4, {"delay": "-00:10:00"}, "delay"),
        (1, {"when": "whenever"}, "when"),
        (1, {"recipient": "named_user"}, "named_user"),
        (1, {"recipient": "the_porter"}, "recipient"),
        (1, {"channels": []}, "channels"),
        (1, {"channels": ["sms"]}, "channels"),
        (4, {"repeat_every": "00:01:00"}, "repeat_every"),
        (1, {"position": "0"}, "position"),
    ],
)
def test_the_admin_form_refuses_a_broken_step_and_names_the_field(
    world, admin_client, draft, position, change, field
):
    step = step_at(draft, position)
    response = admin_client.post(change_url(draft), draft_post(draft, changes={step.pk: change}))
    assert response.status_code == 200  # the page again, with the error
    [formset] = response.context["inline_admin_formsets"]
    assert field in formset.formset.forms[row_of(draft, step)].errors
    assert contents(draft) == contents(world.policy)


def test_the_admin_refuses_someone_from_another_service_as_named_user(world, admin_client, draft):
    step = step_at(draft, 5)
    change = {"recipient": "named_user", "named_user": world.coordinator_other.pk}
    response = admin_client.post(change_url(draft), draft_post(draft, changes={step.pk: change}))
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    assert "named_user" in formset.formset.forms[row_of(draft, step)].errors
    step.refresh_from_db()
    assert step.recipient == "service_lead"


def test_two_steps_at_one_position_are_refused(world, admin_client, draft):
    second = step_at(draft, 2)
    response = admin_client.post(
        change_url(draft), draft_post(draft, changes={second.pk: {"position": 1}})
    )
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    assert "own position" in str(formset.formset.non_form_errors())
    assert contents(draft) == contents(world.policy)


def test_publish_refuses_a_draft_without_a_coordinator_step_and_says_why(
    world, admin_client, draft
):
    posted = draft_post(draft, delete=frozenset(step_at(draft, n).pk for n in (1, 2, 3)))
    assert admin_client.post(change_url(draft), posted).status_code == 302
    assert draft.steps.count() == 2

    response = admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.published_at is None
    assert escalation_policy_current(service=world.service) == world.policy
    [message] = [m for m in texts(response) if "was not published" in m]
    assert "on-call coordinator at or before due" in message


# --- the rota and heartbeats in the admin --------------------------------------------


def test_shifts_are_listed_for_the_admins_own_service_only_and_read_only(
    world, admin_client, other_admin
):
    start = timezone.now()
    mine = Shift.objects.create(
        service=world.service,
        role="coordinator",
        user=world.coordinator,
        starts_at=start,
        ends_at=start + timedelta(hours=12),
    )
    theirs = Shift.objects.create(
        service=world.other_service,
        role="coordinator",
        user=world.coordinator_other,
        starts_at=start,
        ends_at=start + timedelta(hours=12),
    )
    response = admin_client.get(SHIFTS)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    mine_url = reverse("admin:notifications_shift_change", args=[mine.pk])
    theirs_url = reverse("admin:notifications_shift_change", args=[theirs.pk])
    assert admin_client.get(mine_url).context["has_change_permission"] is False
    assert admin_client.get(theirs_url).status_code == 404
    assert admin_client.get(reverse("admin:notifications_shift_add")).status_code == 403
    delete = reverse("admin:notifications_shift_delete", args=[mine.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Shift.objects.count() == 2

    assert list(signed_in(other_admin).get(SHIFTS).context["cl"].result_list) == [theirs]


def test_heartbeats_are_read_only(root, admin_client):
    beat = Heartbeat.objects.create(name="sweep", at=timezone.now(), worker="w1")
    client = signed_in(root)
    assert list(client.get(HEARTBEATS).context["cl"].result_list) == [beat]
    assert client.get(reverse("admin:notifications_heartbeat_add")).status_code == 403
    change = client.get(reverse("admin:notifications_heartbeat_change", args=[beat.pk]))
    assert change.context["has_change_permission"] is False
    # A service admin has no business with the workers' heartbeats.
    assert admin_client.get(HEARTBEATS).status_code == 403
