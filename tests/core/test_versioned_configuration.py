"""The versioned-configuration base (core/versioned.py, core/admin_versions.py),
run against both configurations that use it: pathway versions (rows: clock
definitions) and escalation policies (rows: steps).

What they share is tested here once: drafts copy every row, one draft per
service, numbering, who may configure, a published version is frozen,
publishing changes new referrals only, history with the acting user, and the
admin's scoping, read-only history and draft/publish actions. What each
configuration checks of its own rows (its rules) stays in its own tests:
tests/pathways/test_pathway_versions.py, tests/pathways/test_pathway_admin.py,
tests/notifications/test_policy_admin.py.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from core.errors import Conflict, Forbidden
from core.roles import Role
from core.versioned import may_configure
from notifications.models import EscalationPolicy, EscalationStep
from notifications.policy_rules import StepData
from notifications.selectors import escalation_policy_current
from notifications.services import (
    escalation_policy_draft_create,
    escalation_policy_publish,
    escalation_policy_update,
    escalation_step_create,
    escalation_step_delete,
    escalation_step_update,
)
from notifications.services.policies import step_data
from pathways.definition_rules import DefinitionData
from pathways.models import ClockDefinition, PathwayVersion
from pathways.selectors import pathway_version_current
from pathways.services import (
    clock_definition_create,
    clock_definition_delete,
    clock_definition_update,
    pathway_version_draft_create,
    pathway_version_publish,
    pathway_version_update,
)
from pathways.services.versions import definition_data
from referrals.models import User
from tests.admin_forms import inline_post, signed_in, staff, texts
from tests.conftest import hours


@dataclass(frozen=True)
class Kind:
    """One versioned configuration, as the shared tests drive it."""

    name: str
    model: type[Model]
    rows_model: type[Model]
    parent_field: str
    rows_order: tuple[str, ...]
    prefix: str  # the admin inline's form prefix (the rows' related name)
    related_name: str  # service.<related_name>
    frozen_on: str  # the referral's foreign key to what it started on
    admin_name: str  # admin URL names: admin:<admin_name>_changelist
    v1_note: str  # how version 1's note starts
    applies: str  # new referrals start ___ it
    v1: Callable[[Any], Any]
    current: Callable[..., Any]
    draft_create: Callable[..., Any]
    publish: Callable[..., Any]
    note_update: Callable[..., Any]
    # A valid change to a row through the services: returns (field, new value).
    row_update: Callable[[Any, User], tuple[str, Any]]
    row_create: Callable[[Any, User], Any]
    row_delete: Callable[[Any, User], None]
    # The row's fields as the admin's inline form posts them, and one edit.
    row_form: Callable[[Any], dict[str, Any]]
    form_edit: tuple[str, Any]

    def rows(self, obj: Any) -> Any:
        return self.rows_model.objects.filter(**{self.parent_field: obj}).order_by(  # type: ignore[attr-defined]
            *self.rows_order
        )

    def contents(self, obj: Any) -> list[dict[str, Any]]:
        """Every row's values but its key and parent."""
        return list(
            self.rows(obj).values(
                *(
                    f.attname
                    for f in self.rows_model._meta.concrete_fields
                    if f.name not in ("id", self.parent_field)
                )
            )
        )

    def first_row(self, obj: Any) -> Any:
        return self.rows(obj).first()

    @property
    def changelist(self) -> str:
        return reverse(f"admin:{self.admin_name}_changelist")

    def change_url(self, obj: Any) -> str:
        return reverse(f"admin:{self.admin_name}_change", args=[obj.pk])

    def history_url(self, obj: Any) -> str:
        return reverse(f"admin:{self.admin_name}_history", args=[obj.pk])

    def draft_post(self, obj: Any, **kwargs: Any) -> dict[str, Any]:
        """What the change page posts (tests/admin_forms.py)."""
        return inline_post(
            obj,
            prefix=self.prefix,
            parent_field=self.parent_field,
            rows=self.rows(obj),
            row_form=self.row_form,
            **kwargs,
        )


def _clock_update(row: ClockDefinition, user: User) -> tuple[str, Any]:
    target = row.target / 2
    clock_definition_update(
        definition=row, user=user, data=replace(definition_data(row), target=target)
    )
    return "target", target


def _clock_create(version: PathwayVersion, user: User) -> ClockDefinition:
    return clock_definition_create(
        version=version,
        user=user,
        data=DefinitionData(
            kind="dexamethasone",
            categories=["suspected_mscc"],
            start_event="referral_received",
            stop_event="dexamethasone_given",
            target=hours(6),
            reference="Local",
        ),
    )


def _step_update(row: EscalationStep, user: User) -> tuple[str, Any]:
    escalation_step_update(step=row, user=user, data=replace(step_data(row), fraction=0.75))
    return "fraction", 0.75


def _step_create(policy: EscalationPolicy, user: User) -> EscalationStep:
    return escalation_step_create(
        policy=policy,
        user=user,
        data=StepData(
            position=9,
            when="after_due",
            recipient="on_call_senior",
            channels=["in_app"],
            delay=hours(4),
        ),
    )


PATHWAY = Kind(
    name="pathway",
    model=PathwayVersion,
    rows_model=ClockDefinition,
    parent_field="version",
    rows_order=("id",),
    prefix="clock_definitions",
    related_name="pathway_versions",
    frozen_on="pathway_version",
    admin_name="pathways_pathwayversion",
    v1_note="NG234 defaults",
    applies="on",
    v1=lambda world: world.pathway,
    current=pathway_version_current,
    draft_create=lambda obj, user: pathway_version_draft_create(version=obj, user=user),
    publish=lambda obj, user, now: pathway_version_publish(version=obj, user=user, now=now),
    note_update=lambda obj, user, note: pathway_version_update(version=obj, user=user, note=note),
    row_update=_clock_update,
    row_create=_clock_create,
    row_delete=lambda row, user: clock_definition_delete(definition=row, user=user),
    row_form=lambda d: {
        "kind": d.kind,
        "categories": list(d.categories),
        "start_event": d.start_event,
        "stop_event": d.stop_event,
        "applies_when": d.applies_when,
        "target": d.target,
        "reference": d.reference,
        "justification": d.justification,
    },
    form_edit=("target", hours(12)),
)

POLICY = Kind(
    name="policy",
    model=EscalationPolicy,
    rows_model=EscalationStep,
    parent_field="policy",
    rows_order=("position", "id"),
    prefix="steps",
    related_name="escalation_policies",
    frozen_on="escalation_policy",
    admin_name="notifications_escalationpolicy",
    v1_note="Defaults",
    applies="under",
    v1=lambda world: world.policy,
    current=escalation_policy_current,
    draft_create=lambda obj, user: escalation_policy_draft_create(policy=obj, user=user),
    publish=lambda obj, user, now: escalation_policy_publish(policy=obj, user=user, now=now),
    note_update=lambda obj, user, note: escalation_policy_update(policy=obj, user=user, note=note),
    row_update=_step_update,
    row_create=_step_create,
    row_delete=lambda row, user: escalation_step_delete(step=row, user=user),
    row_form=lambda s: {
        "position": s.position,
        "when": s.when,
        "fraction": s.fraction,
        "delay": s.delay,
        "recipient": s.recipient,
        "named_user": s.named_user_id,
        "channels": list(s.channels),
        "repeat_every": s.repeat_every,
    },
    form_edit=("fraction", 0.9),
)


@pytest.fixture(params=[PATHWAY, POLICY], ids=lambda k: k.name)
def kind(request: pytest.FixtureRequest) -> Kind:
    return request.param


@pytest.fixture
def v1(world, kind: Kind) -> Any:
    return kind.v1(world)


@pytest.fixture
def other_v1(world, kind: Kind) -> Any:
    return kind.current(service=world.other_service)


@pytest.fixture
def draft(world, kind: Kind, v1: Any) -> Any:
    return kind.draft_create(v1, world.admin)


@pytest.fixture
def other_admin(world) -> User:
    """B-MSCC's service admin, also staff."""
    return User.objects.create_user(
        username="admin-b", role=Role.SERVICE_ADMIN, service=world.other_service, is_staff=True
    )


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser(username="root", password="x")


@pytest.fixture
def admin_client(world) -> Client:
    """World A's service admin, signed in to the Django admin."""
    return signed_in(staff(world.admin))


# --- who may configure ------------------------------------------------------------


def test_may_configure_is_a_superuser_or_the_services_own_admin(world, other_admin, root):
    service_id = world.service.pk
    assert may_configure(user=world.admin, service_id=service_id)
    assert may_configure(user=root, service_id=service_id)
    assert not may_configure(user=other_admin, service_id=service_id)
    for user in (world.coordinator, world.senior, world.lead, world.referrer):
        assert not may_configure(user=user, service_id=service_id)
    world.admin.is_active = False
    assert not may_configure(user=world.admin, service_id=service_id)


# --- drafts -----------------------------------------------------------------------


def test_a_draft_copies_every_row_of_its_version(world, kind, v1, draft):
    assert draft.number == 2
    assert draft.service == world.service
    assert draft.published_at is None
    assert draft.created_by == world.admin
    assert draft.note == "Draft from v1"

    assert kind.contents(draft)
    assert kind.contents(draft) == kind.contents(v1)
    # Copies, not the same rows.
    assert not set(kind.rows(draft).values_list("id", flat=True)) & set(
        kind.rows(v1).values_list("id", flat=True)
    )
    # A draft applies to nobody yet.
    assert kind.current(service=world.service) == v1


def test_a_service_has_one_draft_at_a_time(world, kind, v1, draft):
    with pytest.raises(Conflict, match="already has a draft"):
        kind.draft_create(v1, world.admin)
    with pytest.raises(Conflict, match="already has a draft"):
        kind.draft_create(draft, world.admin)
    assert getattr(world.service, kind.related_name).count() == 2


def test_the_next_draft_is_numbered_after_the_newest_version(world, kind, v1, draft, now):
    kind.publish(draft, world.admin, now)
    # Starting again from v1 (back to the defaults) makes v3, not a second v2.
    v3 = kind.draft_create(v1, world.admin)
    assert v3.number == 3
    assert kind.contents(v3) == kind.contents(v1)
    kind.publish(v3, world.admin, now)
    assert kind.current(service=world.service) == v3


def test_only_an_admin_of_the_service_may_draft_edit_or_publish(world, kind, v1, other_admin, now):
    for user in (other_admin, world.coordinator, world.senior, world.lead, world.referrer):
        with pytest.raises(Forbidden):
            kind.draft_create(v1, user)
    draft = kind.draft_create(v1, world.admin)
    for user in (other_admin, world.coordinator):
        with pytest.raises(Forbidden):
            kind.publish(draft, user, now)
        with pytest.raises(Forbidden):
            kind.row_update(kind.first_row(draft), user)
        with pytest.raises(Forbidden):
            kind.row_create(draft, user)
        with pytest.raises(Forbidden):
            kind.row_delete(kind.first_row(draft), user)
        with pytest.raises(Forbidden):
            kind.note_update(draft, user, "mine now")
    # An admin who has left is refused too.
    world.admin.is_active = False
    world.admin.save()
    with pytest.raises(Forbidden):
        kind.publish(draft, world.admin, now)
    assert kind.contents(draft) == kind.contents(v1)
    draft.refresh_from_db()
    assert draft.published_at is None


def test_a_superuser_may_configure_any_service(world, kind, other_v1, root, now):
    draft = kind.draft_create(other_v1, root)
    kind.publish(draft, root, now)
    assert kind.current(service=world.other_service) == draft


# --- a published version is frozen ------------------------------------------------


def test_a_published_version_cannot_be_edited(world, kind, v1, now):
    before = kind.contents(v1)
    row = kind.first_row(v1)

    with pytest.raises(Conflict, match="published"):
        kind.row_update(row, world.admin)
    with pytest.raises(Conflict, match="published"):
        kind.row_create(v1, world.admin)
    with pytest.raises(Conflict, match="published"):
        kind.row_delete(row, world.admin)
    with pytest.raises(Conflict, match="published"):
        kind.note_update(v1, world.admin, "changed")
    with pytest.raises(Conflict, match="published"):
        kind.publish(v1, world.admin, now)

    assert kind.contents(v1) == before
    v1.refresh_from_db()
    assert v1.note.startswith(kind.v1_note)


def test_a_published_draft_is_frozen_too(world, kind, draft, now):
    before = kind.contents(draft)
    kind.publish(draft, world.admin, now)
    with pytest.raises(Conflict):
        kind.row_update(kind.first_row(draft), world.admin)
    with pytest.raises(Conflict):
        kind.row_delete(kind.first_row(draft), world.admin)
    assert kind.contents(draft) == before


# --- publishing -------------------------------------------------------------------


def test_publishing_changes_new_referrals_only(
    world, kind, v1, other_v1, draft, make_referral, now
):
    before = make_referral(now=now - hours(2))
    assert getattr(before, kind.frozen_on) == v1
    frozen = kind.contents(v1)

    published = kind.publish(draft, world.admin, now)

    assert published.published_at == now
    assert published.published_by == world.admin
    assert kind.current(service=world.service) == draft
    # The referral made before keeps v1, and v1's rows are as they were.
    before.refresh_from_db()
    assert getattr(before, kind.frozen_on) == v1
    assert kind.contents(v1) == frozen
    # A referral made after starts on v2.
    after = make_referral(now=now + hours(1))
    assert getattr(after, kind.frozen_on) == draft
    # The other service is untouched.
    assert kind.current(service=world.other_service) == other_v1


# --- history ----------------------------------------------------------------------


def test_history_rows_carry_the_acting_user(world, kind, draft, now):
    assert draft.history.earliest().history_user == world.admin
    for row in kind.rows(draft):
        assert row.history.get().history_user == world.admin

    row = kind.first_row(draft)
    field, value = kind.row_update(row, world.admin)
    latest = row.history.latest()
    assert (latest.history_user, latest.history_type, getattr(latest, field)) == (
        world.admin,
        "~",
        value,
    )

    added = kind.row_create(draft, world.admin)
    assert added.history.get().history_user == world.admin
    kind.row_delete(added, world.admin)
    deleted = kind.rows_model.history.filter(id=added.pk).latest()  # type: ignore[attr-defined]
    assert (deleted.history_user, deleted.history_type) == (world.admin, "-")

    kind.note_update(draft, world.admin, "Why this changed")
    assert draft.history.latest().note == "Why this changed"

    kind.publish(draft, world.admin, now)
    latest = draft.history.latest()
    assert (latest.history_user, latest.published_at, latest.published_by) == (
        world.admin,
        now,
        world.admin,
    )


# --- concurrency (the service row lock guards numbering and the one draft) --------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_admins_starting_drafts_at_once_get_one_draft(world, kind, v1):
    """Six threads on their own connections start a draft at the same moment:
    exactly one succeeds, the rest are told a draft is already open."""
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def start() -> None:
        barrier.wait()
        try:
            kind.draft_create(v1, world.admin)
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
    drafts = getattr(world.service, kind.related_name).filter(published_at__isnull=True)
    assert drafts.count() == 1


# --- the admin: who sees what -----------------------------------------------------


def test_a_service_admin_lists_only_their_own_services_versions(
    world, kind, v1, other_v1, draft, admin_client
):
    response = admin_client.get(kind.changelist)
    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert listed == {v1, draft}
    assert other_v1 not in listed
    page = response.content.decode()
    assert "Draft (applies to nobody until published)" in page
    assert f"Published: current, new referrals start {kind.applies} it" in page
    # The admin index offers the model.
    assert kind.changelist in admin_client.get(reverse("admin:index")).content.decode()


def test_an_admin_of_another_service_cannot_see_or_change_this_service(
    world, kind, v1, other_v1, draft, other_admin
):
    client = signed_in(other_admin)
    assert set(client.get(kind.changelist).context["cl"].result_list) == {other_v1}

    for obj in (v1, draft):
        assert client.get(kind.change_url(obj)).status_code == 404
        posted = kind.draft_post(obj, note="B")
        assert client.post(kind.change_url(obj), posted).status_code == 404
        assert client.get(kind.history_url(obj)).status_code == 403

    # Actions act only on versions the admin can see: this service's are ignored.
    for action in ("start_draft", "publish"):
        client.post(kind.changelist, {"action": action, "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.published_at is None
    assert draft.note == "Draft from v1"
    assert getattr(world.service, kind.related_name).count() == 2
    assert kind.current(service=world.service) == v1


@pytest.mark.parametrize("role", ["coordinator", "senior", "lead", "referrer"])
def test_other_roles_see_nothing_even_as_staff(world, kind, v1, role):
    client = signed_in(staff(getattr(world, role)))
    assert client.get(kind.changelist).status_code == 403
    assert client.get(kind.change_url(v1)).status_code in (403, 404)
    assert kind.changelist not in client.get(reverse("admin:index")).content.decode()


def test_a_superuser_sees_every_service(world, kind, root, draft):
    listed = set(signed_in(root).get(kind.changelist).context["cl"].result_list)
    assert listed == set(kind.model.objects.all())  # type: ignore[attr-defined]
    assert {obj.service for obj in listed} == {world.service, world.other_service}


# --- the admin: published versions are read-only, history is never reverted -------


def test_the_admin_refuses_to_edit_a_published_version(world, kind, v1, admin_client):
    row = kind.first_row(v1)
    before = kind.contents(v1)
    field, value = kind.form_edit

    page = admin_client.get(kind.change_url(v1))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert f'name="{kind.prefix}-0-{field}"' not in page.content.decode()

    posted = kind.draft_post(v1, note="edited", changes={row.pk: {field: value}})
    assert admin_client.post(kind.change_url(v1), posted).status_code == 403
    assert kind.contents(v1) == before
    v1.refresh_from_db()
    assert v1.note.startswith(kind.v1_note)


def test_history_can_be_read_but_not_reverted(world, kind, v1, draft, admin_client):
    record = draft.history.earliest()
    url = reverse(f"admin:{kind.admin_name}_simple_history", args=[draft.pk, record.history_id])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"note": "reverted"}).status_code == 403
    draft.refresh_from_db()
    assert draft.note == "Draft from v1"
    assert admin_client.get(kind.history_url(v1)).status_code == 200


def test_a_draft_published_meanwhile_is_not_edited(world, kind, draft, admin_client, now):
    """The page was opened on a draft that another admin then published: the
    save is refused by the admin (no change permission), and nothing changes."""
    field, value = kind.form_edit
    before = kind.contents(draft)
    posted = kind.draft_post(draft, changes={kind.first_row(draft).pk: {field: value}})
    kind.publish(draft, world.admin, now)
    assert admin_client.post(kind.change_url(draft), posted).status_code == 403
    assert kind.contents(draft) == before


# --- the admin's actions: start a draft, publish ---------------------------------


def test_start_a_new_draft_from_a_version(world, kind, v1, admin_client):
    response = admin_client.post(
        kind.changelist, {"action": "start_draft", "_selected_action": [v1.pk]}
    )
    draft = getattr(world.service, kind.related_name).get(number=2)
    assert response.status_code == 302
    assert response["Location"] == kind.change_url(draft)
    assert draft.published_at is None
    assert draft.created_by == world.admin
    assert kind.contents(draft) == kind.contents(v1)
    assert draft.history.earliest().history_user == world.admin

    # A second draft is refused while this one is open, and the admin says why.
    response = admin_client.post(
        kind.changelist, {"action": "start_draft", "_selected_action": [draft.pk]}
    )
    assert any("already has a draft" in m for m in texts(response))
    assert getattr(world.service, kind.related_name).count() == 2


def test_start_draft_wants_exactly_one_version(world, kind, v1, draft, admin_client):
    response = admin_client.post(
        kind.changelist, {"action": "start_draft", "_selected_action": [v1.pk, draft.pk]}
    )
    assert any("Choose exactly one" in m for m in texts(response))
    assert getattr(world.service, kind.related_name).count() == 2


def test_publish_makes_the_draft_current_for_new_referrals(
    world, kind, v1, draft, admin_client, make_referral
):
    before = make_referral()
    response = admin_client.post(
        kind.changelist, {"action": "publish", "_selected_action": [draft.pk]}
    )
    assert response.status_code == 302
    assert any("Published" in m for m in texts(response))
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.published_by == world.admin
    assert draft.history.latest().history_user == world.admin
    assert kind.current(service=world.service) == draft

    # The list says which is which.
    page = admin_client.get(kind.changelist).content.decode()
    assert f"Published: current, new referrals start {kind.applies} it" in page
    assert f"Published: superseded (referrals started {kind.applies} it keep it)" in page

    # Now frozen: the admin refuses to edit it.
    assert admin_client.get(kind.change_url(draft)).context["has_change_permission"] is False
    assert admin_client.post(kind.change_url(draft), kind.draft_post(draft)).status_code == 403

    before.refresh_from_db()
    assert getattr(before, kind.frozen_on) == v1
    assert getattr(make_referral(), kind.frozen_on) == draft


def test_publishing_a_published_version_is_refused(world, kind, v1, admin_client):
    response = admin_client.post(
        kind.changelist, {"action": "publish", "_selected_action": [v1.pk]}
    )
    assert any("already published" in m for m in texts(response))


def test_the_admin_saves_a_drafts_note_through_the_services(world, kind, draft, admin_client):
    response = admin_client.post(kind.change_url(draft), kind.draft_post(draft, note="Why"))
    assert response.status_code == 302, response.context and response.context["errors"]
    draft.refresh_from_db()
    assert draft.note == "Why"
    assert draft.history.latest().history_user == world.admin
