"""The pathway admin: a service admin configures their own service's pathway,
and only theirs; published versions are read-only; drafts are edited inline and
published by an action (docs/clinical-rules.md, section 4)."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pathways.codes import ClockKind
from pathways.defaults import NG234_DEFAULT_CLOCKS
from pathways.models import ClockDefinition, PathwayVersion
from pathways.selectors import pathway_version_current
from pathways.services import pathway_version_draft_create
from referrals.codes import Category
from referrals.models import Service, User
from tests.admin_forms import inline_post, signed_in, staff, texts
from tests.conftest import hours
from tests.factories import ServiceAdminFactory

MSCC = Category.SUSPECTED_MSCC.value
METS = Category.SUSPECTED_SPINAL_METASTASES.value
CHANGELIST = reverse("admin:pathways_pathwayversion_changelist")
DEFINITIONS = reverse("admin:pathways_clockdefinition_changelist")
PREFIX = "clock_definitions"


def change_url(version: PathwayVersion) -> str:
    return reverse("admin:pathways_pathwayversion_change", args=[version.pk])


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


def clock_form(d: ClockDefinition) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "categories": list(d.categories),
        "start_event": d.start_event,
        "stop_event": d.stop_event,
        "applies_when": d.applies_when,
        "target": d.target,
        "reference": d.reference,
        "justification": d.justification,
    }


def draft_post(version: PathwayVersion, **kwargs: Any) -> dict[str, Any]:
    """What the change page of a draft posts (tests/admin_forms.py)."""
    return inline_post(
        version,
        prefix=PREFIX,
        parent_field="version",
        rows=version.clock_definitions.order_by("id"),
        row_form=clock_form,
        **kwargs,
    )


# --- who sees what -----------------------------------------------------------


def test_a_service_admin_lists_only_their_own_services_clocks(world, admin_client, draft):
    """(Versions themselves: tests/core/test_versioned_configuration.py.)"""
    response = admin_client.get(DEFINITIONS)
    assert response.status_code == 200
    services = {d.version.service for d in response.context["cl"].result_list}
    assert services == {world.service}
    index = admin_client.get(reverse("admin:index"))
    assert DEFINITIONS in index.content.decode()


def test_an_admin_of_another_service_cannot_see_this_services_clocks(world, other_admin, draft):
    client = signed_in(other_admin)
    definitions = client.get(DEFINITIONS).context["cl"].result_list
    assert {d.version.service for d in definitions} == {world.other_service}
    url = reverse("admin:pathways_clockdefinition_change", args=[mri(draft).pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "senior", "lead", "referrer"])
def test_other_roles_see_no_clocks_even_as_staff(world, role):
    client = signed_in(staff(getattr(world, role)))
    assert client.get(DEFINITIONS).status_code == 403
    assert DEFINITIONS not in client.get(reverse("admin:index")).content.decode()


# --- drafts: start, edit, publish --------------------------------------------


def test_a_draft_is_edited_inline(world, service_admin, admin_client, draft):
    page = admin_client.get(change_url(draft))
    assert page.context["has_change_permission"] is True
    assert f'name="{PREFIX}-0-target"' in page.content.decode()
    # Warnings before due are the escalation policy's, never a clock's.
    assert "warning_fractions" not in page.content.decode()

    mri_mscc = mri(draft)
    radiotherapy = draft.clock_definitions.get(kind="radiotherapy", target__isnull=False)
    posted = draft_post(
        draft,
        note="Local MRI target; discharge planning measured",
        changes={mri_mscc.pk: {"target": hours(12)}},
        add=(
            {
                "kind": "discharge_planning",
                "categories": [MSCC],
                "start_event": "admitted",
                "stop_event": "discharged",
                "target": hours(6),
                "reference": "NG234 1.12 (local target)",
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
    assert mri_mscc.target == hours(12)
    assert draft.note == "Local MRI target; discharge planning measured"
    added = draft.clock_definitions.get(kind="discharge_planning")
    assert added.target == hours(6)
    assert not draft.clock_definitions.filter(pk=radiotherapy.pk).exists()

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
                "reference": "Local",
            },
        ),
    )
    response = admin_client.post(change_url(draft), posted)
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    assert "more than one mri clock" in str(formset.formset.non_form_errors()).lower()
    assert draft.clock_definitions.count() == before


def test_publish_gives_new_referrals_the_drafts_clocks(world, admin_client, draft, make_referral):
    """(Publishing itself: tests/core/test_versioned_configuration.py.)"""
    before = make_referral()
    definition = mri(draft)
    admin_client.post(
        change_url(draft), draft_post(draft, changes={definition.pk: {"target": hours(12)}})
    )

    response = admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    assert pathway_version_current(service=world.service) == draft

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
