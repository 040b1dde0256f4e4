"""The pathway admin: a service admin configures their own service's pathway,
and only theirs; published versions are read-only; drafts are edited inline and
published by an action (DESIGN.md sections 4 and 7)."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils.duration import duration_string

from pathways.codes import ClockKind
from pathways.defaults import NG234_DEFAULT_CLOCKS
from pathways.models import ClockDefinition, PathwayVersion
from pathways.selectors import pathway_version_current
from pathways.services import pathway_version_draft_create
from referrals.codes import Category
from referrals.models import Service, User
from tests.conftest import hours
from tests.factories import ServiceAdminFactory

MSCC = Category.SUSPECTED_MSCC.value
METS = Category.SUSPECTED_SPINAL_METASTASES.value
CHANGELIST = reverse("admin:pathways_pathwayversion_changelist")
DEFINITIONS = reverse("admin:pathways_clockdefinition_changelist")
PREFIX = "clock_definitions"


def change_url(version: PathwayVersion) -> str:
    return reverse("admin:pathways_pathwayversion_change", args=[version.pk])


def staff(user: User) -> User:
    user.is_staff = True
    user.save()
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(service_admin) -> Client:
    """World A's service admin, signed in to the Django admin."""
    return signed_in(staff(service_admin))


@pytest.fixture
def other_admin(world) -> User:
    """B-MSCC's service admin, also staff."""
    return staff(ServiceAdminFactory(username="admin-b", service=world.other_service))


@pytest.fixture
def draft(pathway, service_admin) -> PathwayVersion:
    return pathway_version_draft_create(version=pathway, user=service_admin)


def mri(version: PathwayVersion, category: str = MSCC) -> ClockDefinition:
    return next(
        d
        for d in version.clock_definitions.order_by("id")
        if d.kind == ClockKind.MRI and d.categories == [category]
    )


def draft_post(
    version: PathwayVersion,
    *,
    note: str | None = None,
    changes: dict[int, dict[str, Any]] | None = None,
    delete: frozenset[int] = frozenset(),
    add: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """What the change page of a draft posts: its note and every clock row,
    with ``changes`` (by definition id) applied."""
    definitions = list(version.clock_definitions.order_by("id"))
    data: dict[str, Any] = {
        "note": version.note if note is None else note,
        f"{PREFIX}-TOTAL_FORMS": str(len(definitions) + len(add)),
        f"{PREFIX}-INITIAL_FORMS": str(len(definitions)),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }
    rows = [
        {
            "id": d.pk,
            "version": version.pk,
            "kind": d.kind,
            "categories": list(d.categories),
            "start_event": d.start_event,
            "stop_event": d.stop_event,
            "target": d.target,
            "warning_fractions": ", ".join(str(f) for f in d.warning_fractions),
            "reference": d.reference,
            "justification": d.justification,
            **(changes or {}).get(d.pk, {}),
            **({"DELETE": "on"} if d.pk in delete else {}),
        }
        for d in definitions
    ]
    rows += [{"version": version.pk, **row} for row in add]
    for n, row in enumerate(rows):
        for field, value in row.items():
            if isinstance(value, timedelta):
                value = duration_string(value)
            data[f"{PREFIX}-{n}-{field}"] = value
    return data


def texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who sees what -----------------------------------------------------------


def test_a_service_admin_lists_only_their_own_services_pathway(world, admin_client, draft):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert listed == {world.pathway, draft}
    assert world.other_pathway not in listed

    response = admin_client.get(DEFINITIONS)
    assert response.status_code == 200
    services = {d.version.service for d in response.context["cl"].result_list}
    assert services == {world.service}

    # The admin index offers the pathway models.
    index = admin_client.get(reverse("admin:index"))
    assert CHANGELIST in index.content.decode()


def test_an_admin_of_another_service_cannot_see_or_change_this_pathway(world, other_admin, draft):
    client = signed_in(other_admin)

    listed = client.get(CHANGELIST).context["cl"].result_list
    assert set(listed) == {world.other_pathway}
    definitions = client.get(DEFINITIONS).context["cl"].result_list
    assert {d.version.service for d in definitions} == {world.other_service}

    for version in (world.pathway, draft):
        assert client.get(change_url(version)).status_code == 404
        assert client.post(change_url(version), draft_post(version, note="B")).status_code == 404
        history = reverse("admin:pathways_pathwayversion_history", args=[version.pk])
        assert client.get(history).status_code == 403
    definition = mri(draft)
    url = reverse("admin:pathways_clockdefinition_change", args=[definition.pk])
    assert client.get(url).status_code == 404

    # Actions act only on versions the admin can see: this service's are ignored.
    for action in ("start_draft", "publish"):
        client.post(CHANGELIST, {"action": action, "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.published_at is None
    assert draft.note == "Draft from v1"
    assert world.service.pathway_versions.count() == 2
    assert pathway_version_current(service=world.service) == world.pathway


@pytest.mark.parametrize("role", ["coordinator", "senior", "lead", "referrer"])
def test_other_roles_see_no_pathway_even_as_staff(world, role):
    client = signed_in(staff(getattr(world, role)))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(DEFINITIONS).status_code == 403
    assert client.get(change_url(world.pathway)).status_code in (403, 404)
    index = client.get(reverse("admin:index"))
    assert CHANGELIST not in index.content.decode()


def test_a_superuser_sees_every_service(world, draft):
    root = User.objects.create_superuser(username="root", password="x")
    listed = set(signed_in(root).get(CHANGELIST).context["cl"].result_list)
    assert listed == {world.pathway, draft, world.other_pathway}


# --- published versions are read-only ----------------------------------------


def test_the_admin_refuses_to_edit_a_published_version(pathway, admin_client):
    v1 = pathway
    definition = mri(v1)

    page = admin_client.get(change_url(v1))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert f'name="{PREFIX}-0-target"' not in page.content.decode()

    posted = draft_post(v1, note="edited", changes={definition.pk: {"target": hours(12)}})
    assert admin_client.post(change_url(v1), posted).status_code == 403

    definition.refresh_from_db()
    v1.refresh_from_db()
    assert definition.target == hours(24)
    assert v1.note == "NG234 defaults"


def test_history_can_be_read_but_not_reverted(pathway, admin_client, draft):
    record = draft.history.earliest()
    url = reverse(
        "admin:pathways_pathwayversion_simple_history", args=[draft.pk, record.history_id]
    )
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"note": "reverted"}).status_code == 403
    history = reverse("admin:pathways_pathwayversion_history", args=[pathway.pk])
    assert admin_client.get(history).status_code == 200


# --- drafts: start, edit, publish --------------------------------------------


def test_start_a_new_draft_from_a_version(service, pathway, service_admin, admin_client):
    response = admin_client.post(
        CHANGELIST, {"action": "start_draft", "_selected_action": [pathway.pk]}
    )
    draft = service.pathway_versions.get(number=2)
    assert response.status_code == 302
    assert response["Location"] == change_url(draft)
    assert draft.published_at is None
    assert draft.created_by == service_admin
    assert draft.clock_definitions.count() == len(NG234_DEFAULT_CLOCKS)
    assert draft.history.earliest().history_user == service_admin

    # A second draft is refused while this one is open.
    admin_client.post(CHANGELIST, {"action": "start_draft", "_selected_action": [draft.pk]})
    assert service.pathway_versions.count() == 2


def test_a_draft_is_edited_inline(service_admin, admin_client, draft):
    page = admin_client.get(change_url(draft))
    assert page.context["has_change_permission"] is True
    assert f'name="{PREFIX}-0-target"' in page.content.decode()

    mri_mscc = mri(draft)
    radiotherapy = draft.clock_definitions.get(kind="radiotherapy")
    posted = draft_post(
        draft,
        note="Local MRI target; dexamethasone measured",
        changes={mri_mscc.pk: {"target": hours(12), "warning_fractions": "0.5"}},
        add=(
            {
                "kind": "dexamethasone",
                "categories": [MSCC],
                "start_event": "referral_received",
                "stop_event": "dexamethasone_given",
                "target": hours(6),
                "warning_fractions": "",
                "reference": "NG234 1.7.1 (local target)",
                "justification": "",
            },
        ),
    )
    # Deleting the radiotherapy clock would be refused at publishing, not here:
    # a draft may be half-way through a change.
    posted[
        f"{PREFIX}-{list(draft.clock_definitions.order_by('id')).index(radiotherapy)}-DELETE"
    ] = "on"
    response = admin_client.post(change_url(draft), posted)
    assert response.status_code == 302, response.context and response.context["errors"]

    mri_mscc.refresh_from_db()
    draft.refresh_from_db()
    assert (mri_mscc.target, mri_mscc.warning_fractions) == (hours(12), [0.5])
    assert draft.note == "Local MRI target; dexamethasone measured"
    added = draft.clock_definitions.get(kind="dexamethasone")
    assert added.target == hours(6)
    assert not draft.clock_definitions.filter(kind="radiotherapy").exists()

    # Every write kept history with the admin who made it.
    assert mri_mscc.history.latest().history_user == service_admin
    assert added.history.get().history_user == service_admin
    assert draft.history.latest().history_user == service_admin
    deleted = ClockDefinition.history.filter(id=radiotherapy.pk).latest()
    assert (deleted.history_type, deleted.history_user) == ("-", service_admin)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": "-1 00:00:00"}, "target"),
        ({"target": "00:00:00"}, "target"),
        ({"stop_event": "referral_received"}, "stop_event"),
        ({"start_event": "mri_performed"}, "stop_event"),
        ({"categories": []}, "categories"),
        ({"categories": ["urgent"]}, "categories"),
        ({"warning_fractions": "0.5, 1"}, "warning_fractions"),
        ({"warning_fractions": "half"}, "warning_fractions"),
        ({"target": hours(36)}, "justification"),
    ],
)
def test_the_admin_form_refuses_a_broken_clock_and_names_the_field(
    admin_client, draft, change, field
):
    definition = mri(draft)
    response = admin_client.post(
        change_url(draft), draft_post(draft, changes={definition.pk: change})
    )
    assert response.status_code == 200  # the page again, with the error
    [formset] = response.context["inline_admin_formsets"]
    row = list(draft.clock_definitions.order_by("id")).index(definition)
    assert field in formset.formset.forms[row].errors
    definition.refresh_from_db()
    assert definition.target == hours(24)


def test_a_longer_target_is_accepted_with_a_justification_and_flagged(admin_client, draft):
    definition = mri(draft)
    posted = draft_post(
        draft,
        changes={
            definition.pk: {
                "target": hours(36),
                "justification": "One MRI scanner until the second opens in 2027.",
            }
        },
    )
    assert admin_client.post(change_url(draft), posted).status_code == 302

    definition.refresh_from_db()
    assert definition.target == hours(36)
    assert definition.exceeds_ng234

    versions = admin_client.get(CHANGELIST).content.decode()
    assert "1 longer than NG234" in versions
    flagged = admin_client.get(DEFINITIONS, {"longer_than_ng234": "yes"})
    assert list(flagged.context["cl"].result_list) == [definition]
    assert "Longer than NG234" in flagged.content.decode()
    page = admin_client.get(change_url(draft)).content.decode()
    assert "Longer than NG234" in page


def test_two_clocks_of_a_kind_for_one_category_are_refused(admin_client, draft):
    before = draft.clock_definitions.count()
    posted = draft_post(
        draft,
        add=(
            {
                "kind": "mri",
                "categories": [MSCC],
                "start_event": "suspected",
                "stop_event": "mri_performed",
                "target": hours(12),
                "warning_fractions": "",
                "reference": "Local",
            },
        ),
    )
    response = admin_client.post(change_url(draft), posted)
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    assert "more than one mri clock" in str(formset.formset.non_form_errors()).lower()
    assert draft.clock_definitions.count() == before


def test_publish_makes_the_draft_current(
    service, service_admin, admin_client, draft, make_referral
):
    before = make_referral()
    definition = mri(draft)
    admin_client.post(
        change_url(draft), draft_post(draft, changes={definition.pk: {"target": hours(12)}})
    )

    response = admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_by == service_admin
    assert draft.published_at is not None
    assert pathway_version_current(service=service) == draft
    assert draft.history.latest().history_user == service_admin
    assert any("Published" in m for m in texts(response))

    # Now frozen: the admin refuses to edit it.
    assert admin_client.get(change_url(draft)).context["has_change_permission"] is False
    assert admin_client.post(change_url(draft), draft_post(draft)).status_code == 403

    # Referrals made before keep v1's 24 hours; new ones get 12.
    assert before.clocks.get(kind="mri").target == hours(24)
    assert make_referral().clocks.get(kind="mri").target == hours(12)


def test_publish_refuses_an_incomplete_draft_and_says_why(service, pathway, admin_client, draft):
    mets_mri = mri(draft, METS)
    posted = draft_post(draft, delete=frozenset({mets_mri.pk}))
    assert admin_client.post(change_url(draft), posted).status_code == 302

    response = admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.published_at is None
    assert pathway_version_current(service=service) == pathway
    [message] = [m for m in texts(response) if "was not published" in m]
    assert METS in message


def test_publishing_a_published_version_is_refused(pathway, admin_client):
    response = admin_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [pathway.pk]}
    )
    assert any("already published" in m for m in texts(response))


# --- a new service gets NG234's defaults ---------------------------------------


def test_a_service_created_in_the_admin_gets_the_ng234_defaults(alliance):
    root = User.objects.create_superuser(username="root", password="x")
    response = signed_in(root).post(
        reverse("admin:referrals_service_add"),
        {"code": "C-MSCC", "name": "C MSCC", "alliance": alliance.pk},
    )
    assert response.status_code == 302
    service = Service.objects.get(code="C-MSCC")
    version = pathway_version_current(service=service)
    assert version is not None
    assert version.number == 1
    assert version.clock_definitions.count() == len(NG234_DEFAULT_CLOCKS)
    assert version.history.get().history_user == root

    # Saving it again does not add a second default version.
    signed_in(root).post(
        reverse("admin:referrals_service_change", args=[service.pk]),
        {"code": "C-MSCC", "name": "C MSCC renamed", "alliance": alliance.pk},
    )
    assert service.pathway_versions.count() == 1
