"""Clock targets in hours and minutes in the pathway admin (issue 11): the
draft's target is typed and shown as "24 h", "1 h 30 min" or "90 min", with
a clear error otherwise; a published version's clocks, and the clocks list,
read in words (no JSON, no Python durations). The form-data helpers are
tests/pathways/test_pathway_admin.py's, unchanged: the field names are."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from pathways.models import ClockDefinition, PathwayVersion
from pathways.services import pathway_version_draft_create
from tests.admin_forms import signed_in, staff
from tests.pathways.test_pathway_admin import change_url, draft_post, mri


@pytest.fixture
def admin_client(service_admin) -> Client:
    return signed_in(staff(service_admin))


@pytest.fixture
def draft(pathway, service_admin) -> PathwayVersion:
    return pathway_version_draft_create(version=pathway, user=service_admin)


DEFINITIONS = reverse("admin:pathways_clockdefinition_changelist")


def row_of(definition: ClockDefinition) -> int:
    return list(definition.version.clock_definitions.order_by("id")).index(definition)


def test_a_drafts_targets_are_shown_in_hours_and_minutes(admin_client, draft):
    page = admin_client.get(change_url(draft))
    [formset] = page.context["inline_admin_formsets"]
    definition = mri(draft)
    field = formset.formset.forms[row_of(definition)]["target"]
    assert field.value() == "24 h"
    body = page.content.decode()
    assert 'value="24 h"' in body
    assert "1 00:00:00" not in body
    assert "24 h, 1 h 30 min or 90 min" in body  # the help text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("12 h", timedelta(hours=12)),
        ("1 h 30 min", timedelta(minutes=90)),
        ("90 min", timedelta(minutes=90)),
        ("20 h 15 min", timedelta(hours=20, minutes=15)),
    ],
)
def test_a_target_typed_in_hours_and_minutes_is_saved(admin_client, draft, typed, stored):
    definition = mri(draft)
    response = admin_client.post(
        change_url(draft), draft_post(draft, changes={definition.pk: {"target": typed}})
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    definition.refresh_from_db()
    assert definition.target == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("12", "has no unit"),
        ("twelve hours", "hours (h) and minutes (min)"),
        ("-2 h", "cannot be negative"),
        ("0 min", "target"),  # a zero target: the pathway rules refuse it
    ],
)
def test_a_target_that_is_not_hours_and_minutes_is_refused_clearly(
    admin_client,
    draft,
    typed,
    says,
):
    definition = mri(draft)
    response = admin_client.post(
        change_url(draft), draft_post(draft, changes={definition.pk: {"target": typed}})
    )
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    errors = formset.formset.forms[row_of(definition)].errors
    assert "target" in errors
    assert says in " ".join(errors["target"])
    # What was typed is shown back beside the error, for correcting.
    assert formset.formset.forms[row_of(definition)]["target"].value() == typed
    definition.refresh_from_db()
    assert definition.target == timedelta(hours=24)


def test_a_published_versions_clocks_read_in_words(admin_client, pathway):
    body = admin_client.get(change_url(pathway)).content.decode()
    assert "24 h" in body
    assert "Suspected MSCC (oncological emergency)" in body
    assert "Measured (no target)" in body
    assert "Referral received" in body or "referral received" in body.lower()
    # Neither JSON lists nor Python durations.
    assert '["suspected_mscc"]' not in body
    assert "1 day, 0:00:00" not in body
    assert "7 days, 0:00:00" not in body


def test_the_clocks_list_reads_in_words(admin_client, pathway):
    body = admin_client.get(DEFINITIONS).content.decode()
    assert '<td class="field-target_described">24 h</td>' in body
    assert '<td class="field-target_described">7 d</td>' in body
    assert "Suspected MSCC (oncological emergency)" in body
    assert "suspected_mscc" not in body.split("<tbody>", 1)[-1]
