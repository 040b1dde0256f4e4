"""Escalation policies: the pure rules, drafts and publishing through the
services, the freeze of a referral to the policy it started under, and the
admin where a service admin configures their own service's policy and only
theirs (DESIGN.md section 5, issue 4)."""

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.duration import duration_string

from core.errors import Conflict, Forbidden
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
    assert policy_rules.describe_step(replace(WARNING, fraction=0.25)) == (
        "25% of the target left: the on-call coordinator by in app"
    )
    assert policy_rules.describe_step(AFTER_DUE) == (
        "30 minutes after due: the on-call senior clinician by in app, email; "
        "every 30 minutes until acknowledged"
    )
    named = replace(WARNING, recipient="named_user", named_user_id=1)
    assert policy_rules.describe_step(named, "Dr Jones").endswith(": Dr Jones by in app")


# --- drafts -------------------------------------------------------------------


def test_a_draft_copies_every_step_of_its_policy(world, draft):
    assert draft.number == 2
    assert draft.service == world.service
    assert draft.published_at is None
    assert draft.created_by == world.admin
    assert draft.note == "Draft from v1"

    assert len(contents(draft)) == len(DEFAULT_STEPS)
    assert contents(draft) == contents(world.policy)
    # Copies, not the same rows.
    assert not set(draft.steps.values_list("id", flat=True)) & set(
        world.policy.steps.values_list("id", flat=True)
    )
    # A draft applies to nobody yet.
    assert escalation_policy_current(service=world.service) == world.policy


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


def test_a_service_has_one_draft_at_a_time(world, draft):
    with pytest.raises(Conflict, match="already has a draft"):
        escalation_policy_draft_create(policy=world.policy, user=world.admin)
    assert world.service.escalation_policies.count() == 2


def test_the_next_draft_is_numbered_after_the_newest_policy(world, draft, now):
    escalation_policy_publish(policy=draft, user=world.admin, now=now)
    # Starting again from v1 (back to the defaults) makes v3, not a second v2.
    v3 = escalation_policy_draft_create(policy=world.policy, user=world.admin)
    assert v3.number == 3
    escalation_policy_publish(policy=v3, user=world.admin, now=now)
    assert escalation_policy_current(service=world.service) == v3


def test_only_an_admin_of_the_service_may_draft_edit_or_publish(world, other_admin, now):
    for user in (other_admin, world.coordinator, world.senior, world.lead, world.referrer):
        with pytest.raises(Forbidden):
            escalation_policy_draft_create(policy=world.policy, user=user)
    draft = escalation_policy_draft_create(policy=world.policy, user=world.admin)
    for user in (other_admin, world.coordinator):
        with pytest.raises(Forbidden):
            escalation_policy_publish(policy=draft, user=user, now=now)
        with pytest.raises(Forbidden):
            escalation_step_update(step=step_at(draft, 1), user=user, data=WARNING)
        with pytest.raises(Forbidden):
            escalation_step_create(policy=draft, user=user, data=replace(WARNING, position=9))
        with pytest.raises(Forbidden):
            escalation_step_delete(step=step_at(draft, 1), user=user)
        with pytest.raises(Forbidden):
            escalation_policy_update(policy=draft, user=user, note="mine now")
    # An admin who has left is refused too.
    world.admin.is_active = False
    world.admin.save()
    with pytest.raises(Forbidden):
        escalation_policy_publish(policy=draft, user=world.admin, now=now)
    assert contents(draft) == contents(world.policy)


def test_a_superuser_may_configure_any_service(world, root, now):
    other_v1 = escalation_policy_current(service=world.other_service)
    draft = escalation_policy_draft_create(policy=other_v1, user=root)
    escalation_policy_publish(policy=draft, user=root, now=now)
    assert escalation_policy_current(service=world.other_service) == draft


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


def test_a_published_policy_cannot_be_edited(world, now):
    v1 = world.policy
    first = step_at(v1, 1)
    before = contents(v1)

    with pytest.raises(Conflict, match="published"):
        escalation_step_update(step=first, user=world.admin, data=replace(WARNING, fraction=0.9))
    with pytest.raises(Conflict, match="published"):
        escalation_step_create(policy=v1, user=world.admin, data=replace(WARNING, position=9))
    with pytest.raises(Conflict, match="published"):
        escalation_step_delete(step=first, user=world.admin)
    with pytest.raises(Conflict, match="published"):
        escalation_policy_update(policy=v1, user=world.admin, note="changed")
    with pytest.raises(Conflict, match="published"):
        escalation_policy_publish(policy=v1, user=world.admin, now=now)

    assert contents(v1) == before
    v1.refresh_from_db()
    assert v1.note.startswith("Defaults")


def test_a_published_draft_is_frozen_too(world, draft, now):
    escalation_policy_publish(policy=draft, user=world.admin, now=now)
    with pytest.raises(Conflict):
        escalation_step_delete(step=step_at(draft, 1), user=world.admin)
    assert draft.steps.count() == len(DEFAULT_STEPS)


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


# --- history -----------------------------------------------------------------------


def test_history_rows_carry_the_acting_user(world, draft, now):
    assert draft.history.earliest().history_user == world.admin
    for step in draft.steps.all():
        assert step.history.get().history_user == world.admin

    first = step_at(draft, 1)
    escalation_step_update(
        step=first, user=world.admin, data=replace(step_data(first), fraction=0.6)
    )
    latest = first.history.latest()
    assert (latest.history_user, latest.history_type, latest.fraction) == (world.admin, "~", 0.6)

    added = escalation_step_create(
        policy=draft, user=world.admin, data=replace(AFTER_DUE, position=8)
    )
    assert added.history.get().history_user == world.admin
    escalation_step_delete(step=added, user=world.admin)
    deleted = EscalationStep.history.filter(id=added.pk).latest()
    assert (deleted.history_user, deleted.history_type) == (world.admin, "-")

    escalation_policy_publish(policy=draft, user=world.admin, now=now)
    latest = draft.history.latest()
    assert (latest.history_user, latest.published_at) == (world.admin, now)


# --- concurrency (the service row lock is the only guard: no DB constraint) -------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_admins_starting_drafts_at_once_get_one_draft(world):
    """Six threads on their own connections start a draft at the same moment:
    exactly one succeeds, the rest are told a draft is already open."""
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def start() -> None:
        barrier.wait()
        try:
            escalation_policy_draft_create(policy=world.policy, user=world.admin)
            outcome = "created"
        except Conflict:
            outcome = "conflict"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["created"]
    assert world.service.escalation_policies.filter(published_at__isnull=True).count() == 1


# --- the admin -------------------------------------------------------------------


def change_url(policy: EscalationPolicy) -> str:
    return reverse("admin:notifications_escalationpolicy_change", args=[policy.pk])


def staff(user: User) -> User:
    user.is_staff = True
    user.save()
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(world) -> Client:
    """World A's service admin, signed in to the Django admin."""
    return signed_in(staff(world.admin))


def draft_post(
    policy: EscalationPolicy,
    *,
    note: str | None = None,
    changes: dict[int, dict[str, Any]] | None = None,
    delete: frozenset[int] = frozenset(),
    add: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """What the change page of a draft posts: its note and every step row,
    with ``changes`` (by step id) applied."""
    steps = list(policy.steps.order_by("position"))
    data: dict[str, Any] = {
        "note": policy.note if note is None else note,
        f"{PREFIX}-TOTAL_FORMS": str(len(steps) + len(add)),
        f"{PREFIX}-INITIAL_FORMS": str(len(steps)),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }
    rows = [
        {
            "id": s.pk,
            "policy": policy.pk,
            "position": s.position,
            "when": s.when,
            "fraction": "" if s.fraction is None else s.fraction,
            "delay": s.delay or "",
            "recipient": s.recipient,
            "named_user": s.named_user_id or "",
            "channels": list(s.channels),
            "repeat_every": s.repeat_every or "",
            **(changes or {}).get(s.pk, {}),
            **({"DELETE": "on"} if s.pk in delete else {}),
        }
        for s in steps
    ]
    rows += [{"policy": policy.pk, **row} for row in add]
    for n, row in enumerate(rows):
        for field, value in row.items():
            if isinstance(value, timedelta):
                value = duration_string(value)
            data[f"{PREFIX}-{n}-{field}"] = value
    return data


def texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def row_of(policy: EscalationPolicy, step: EscalationStep) -> int:
    return list(policy.steps.order_by("position")).index(step)


def test_a_service_admin_lists_only_their_own_services_policies(world, admin_client, draft):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == {world.policy, draft}
    page = response.content.decode()
    assert "Draft (applies to nobody until published)" in page
    assert "Published: current" in page
    assert "50% of the target left: the on-call coordinator by in app" in page
    assert CHANGELIST in admin_client.get(reverse("admin:index")).content.decode()


def test_an_admin_of_another_service_sees_nothing_of_this_service(world, other_admin, draft):
    client = signed_in(other_admin)
    other_v1 = escalation_policy_current(service=world.other_service)
    assert set(client.get(CHANGELIST).context["cl"].result_list) == {other_v1}

    for policy in (world.policy, draft):
        assert client.get(change_url(policy)).status_code == 404
        assert client.post(change_url(policy), draft_post(policy, note="B")).status_code == 404
        history = reverse("admin:notifications_escalationpolicy_history", args=[policy.pk])
        assert client.get(history).status_code == 403

    # Actions act only on policies the admin can see: this service's are ignored.
    for action in ("start_draft", "publish"):
        client.post(CHANGELIST, {"action": action, "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.published_at is None
    assert draft.note == "Draft from v1"
    assert world.service.escalation_policies.count() == 2
    assert escalation_policy_current(service=world.service) == world.policy


@pytest.mark.parametrize("role", ["coordinator", "senior", "lead", "referrer"])
def test_other_roles_see_no_policy_even_as_staff(world, role):
    client = signed_in(staff(getattr(world, role)))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(world.policy)).status_code in (403, 404)
    assert client.get(SHIFTS).status_code == 403
    assert CHANGELIST not in client.get(reverse("admin:index")).content.decode()


def test_a_superuser_sees_every_service(world, root, draft):
    listed = set(signed_in(root).get(CHANGELIST).context["cl"].result_list)
    assert listed == set(EscalationPolicy.objects.all())
    assert {p.service for p in listed} == {world.service, world.other_service}


def test_the_admin_refuses_to_edit_a_published_policy(world, admin_client):
    v1 = world.policy
    first = step_at(v1, 1)

    page = admin_client.get(change_url(v1))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert f'name="{PREFIX}-0-fraction"' not in page.content.decode()

    posted = draft_post(v1, note="edited", changes={first.pk: {"fraction": 0.9}})
    assert admin_client.post(change_url(v1), posted).status_code == 403
    first.refresh_from_db()
    v1.refresh_from_db()
    assert first.fraction == 0.5
    assert v1.note.startswith("Defaults")


def test_history_can_be_read_but_not_reverted(world, admin_client, draft):
    record = draft.history.earliest()
    url = reverse(
        "admin:notifications_escalationpolicy_simple_history", args=[draft.pk, record.history_id]
    )
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"note": "reverted"}).status_code == 403


def test_start_a_new_draft_from_a_policy(world, admin_client):
    response = admin_client.post(
        CHANGELIST, {"action": "start_draft", "_selected_action": [world.policy.pk]}
    )
    draft = world.service.escalation_policies.get(number=2)
    assert response.status_code == 302
    assert response["Location"] == change_url(draft)
    assert draft.published_at is None
    assert draft.created_by == world.admin
    assert contents(draft) == contents(world.policy)
    assert draft.history.earliest().history_user == world.admin

    # A second draft is refused while this one is open, and the admin says why.
    response = admin_client.post(
        CHANGELIST, {"action": "start_draft", "_selected_action": [draft.pk]}
    )
    assert any("already has a draft" in m for m in texts(response))
    assert world.service.escalation_policies.count() == 2


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


def test_publish_makes_the_draft_current_for_new_referrals(
    world, admin_client, draft, make_referral
):
    before = make_referral()
    response = admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    assert any("Published" in m for m in texts(response))
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.history.latest().history_user == world.admin
    assert escalation_policy_current(service=world.service) == draft

    # The list says which is which.
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Published: current, new referrals start under it" in page
    assert "Published: superseded (referrals started under it keep it)" in page

    # Now frozen: the admin refuses to edit it.
    assert admin_client.get(change_url(draft)).context["has_change_permission"] is False
    assert admin_client.post(change_url(draft), draft_post(draft)).status_code == 403

    before.refresh_from_db()
    assert before.escalation_policy == world.policy
    assert make_referral().escalation_policy == draft


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


def test_publishing_a_published_policy_is_refused(world, admin_client):
    response = admin_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [world.policy.pk]}
    )
    assert any("already published" in m for m in texts(response))


def test_a_draft_published_meanwhile_is_not_edited(world, admin_client, draft, now):
    """The page was opened on a draft that another admin then published: the
    save is refused by the admin (no change permission), and nothing changes."""
    posted = draft_post(draft, changes={step_at(draft, 1).pk: {"fraction": 0.9}})
    escalation_policy_publish(policy=draft, user=world.admin, now=now)
    assert admin_client.post(change_url(draft), posted).status_code == 403
    assert step_at(draft, 1).fraction == 0.5


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
