"""Escalation steps in hours and minutes in the policy admin (issue 11): a
draft's delays and repeats are typed and shown as "30 min", "1 h 30 min", with
a clear error otherwise; a published policy's steps read in words (channels by
name, "after 30 min", "every 15 min"), never as JSON or Python durations. The
form-data helpers are tests/notifications/test_policy_admin.py's, unchanged:
the field names are."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from notifications.admin import EscalationPolicyAdmin
from notifications.models import EscalationPolicy
from notifications.services import escalation_policy_draft_create
from tests.admin_forms import signed_in, staff
from tests.notifications.test_policy_admin import change_url, draft_post, row_of, step_at


@pytest.fixture
def admin_client(world) -> Client:
    return signed_in(staff(world.admin))


@pytest.fixture
def draft(world) -> EscalationPolicy:
    return escalation_policy_draft_create(policy=world.policy, user=world.admin)


def test_a_drafts_delays_and_repeats_are_shown_in_hours_and_minutes(admin_client, draft):
    page = admin_client.get(change_url(draft))
    [formset] = page.context["inline_admin_formsets"]
    senior, lead = step_at(draft, 4), step_at(draft, 5)
    assert formset.formset.forms[row_of(draft, senior)]["delay"].value() == "30 min"
    assert formset.formset.forms[row_of(draft, senior)]["repeat_every"].value() == "30 min"
    assert formset.formset.forms[row_of(draft, lead)]["delay"].value() == "2 h"
    body = page.content.decode()
    assert "00:30:00" not in body and "0:30:00" not in body
    # Channels are ticked by name, not typed as a list.
    assert 'type="checkbox" name="steps-0-channels" value="in_app"' in body


@pytest.mark.parametrize(
    ("field", "typed", "stored"),
    [
        ("delay", "1 h 30 min", timedelta(minutes=90)),
        ("delay", "90 min", timedelta(minutes=90)),
        ("delay", "4 h", timedelta(hours=4)),
        ("repeat_every", "10 min", timedelta(minutes=10)),
        ("repeat_every", "", None),
    ],
)
def test_a_step_typed_in_hours_and_minutes_is_saved(admin_client, draft, field, typed, stored):
    step = step_at(draft, 4)
    response = admin_client.post(
        change_url(draft), draft_post(draft, changes={step.pk: {field: typed}})
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    step.refresh_from_db()
    assert getattr(step, field) == stored


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("delay", "45", "has no unit"),
        ("delay", "half an hour", "hours (h) and minutes (min)"),
        ("delay", "-30 min", "cannot be negative"),
        ("repeat_every", "2 min", "at least 5 min apart"),
        ("repeat_every", "5 min 30 s", "hours (h) and minutes (min)"),
    ],
)
def test_a_step_that_is_not_hours_and_minutes_is_refused_clearly(
    admin_client,
    draft,
    field,
    typed,
    says,
):
    step = step_at(draft, 4)
    response = admin_client.post(
        change_url(draft), draft_post(draft, changes={step.pk: {field: typed}})
    )
    assert response.status_code == 200
    [formset] = response.context["inline_admin_formsets"]
    errors = formset.formset.forms[row_of(draft, step)].errors
    assert field in errors
    assert says in " ".join(errors[field])
    step.refresh_from_db()
    assert (step.delay, step.repeat_every) == (timedelta(minutes=30), timedelta(minutes=30))


def test_a_published_policys_steps_read_in_words(world, admin_client):
    body = admin_client.get(change_url(world.policy)).content.decode()
    assert "warns with 50% of the target time left" in body
    assert "after 30 min" in body and "after 2 h" in body
    assert "every 15 min" in body
    assert "in-app, e-mail, pager or SMS gateway" in body
    assert "step 1: Warning → the on-call coordinator" in body
    assert '["in_app"' not in body
    assert "0:30:00" not in body and "2:00:00" not in body


def test_the_policy_list_describes_steps_in_words(world, admin_client):
    assert EscalationPolicyAdmin.list_display[2] == "steps_described"
    changelist = reverse("admin:notifications_escalationpolicy_changelist")
    body = admin_client.get(changelist).content.decode()
    assert "30 min after due: the on-call senior clinician" in body
    assert "2 h after due: the service lead by in-app, e-mail" in body
    assert "every 15 min until acknowledged" in body
    assert "minutes" not in body.split("<tbody>", 1)[-1]
