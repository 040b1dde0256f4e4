"""Intake keeps published pathway versions and escalation policies in memory
(they never change), but which ones are current is read on every create: a
create right after a publish freezes the new version and policy, and starts
its clocks on the new definitions and steps. And the create's statement count
is fixed at issue 12's lower figure."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.selectors import escalation_policy_current
from notifications.services import (
    escalation_policy_draft_create,
    escalation_policy_publish,
    escalation_step_update,
)
from notifications.services.policies import step_data
from pathways.selectors import pathway_version_current
from pathways.services import (
    clock_definition_update,
    pathway_version_draft_create,
    pathway_version_publish,
)
from pathways.services.versions import definition_data
from referrals.models import Referral
from tests.conftest import referral_body

URL = "/api/v1/referrals/"


def _create(client):
    response = client.post(URL, referral_body(), format="json")
    assert response.status_code == 201, response.data
    return Referral.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_a_create_right_after_a_publish_freezes_the_new_version_and_policy(world, api):
    client = api(world.referrer)
    first = _create(client)  # the published version and policy are now in memory
    old_version = pathway_version_current(service=world.service)
    old_policy = escalation_policy_current(service=world.service)
    assert first.pathway_version_id == old_version.pk
    assert first.escalation_policy_id == old_policy.pk
    old_ack = first.clocks.get(kind="acknowledgement")
    assert old_ack.target == timedelta(minutes=30)

    draft = pathway_version_draft_create(version=old_version, user=world.admin)
    [ack] = [
        d
        for d in draft.clock_definitions.filter(kind="acknowledgement")
        if "suspected_mscc" in d.categories
    ]
    clock_definition_update(
        definition=ack,
        user=world.admin,
        data=replace(definition_data(ack), target=timedelta(minutes=20)),
    )
    new_version = pathway_version_publish(version=draft, user=world.admin, now=timezone.now())
    policy_draft = escalation_policy_draft_create(policy=old_policy, user=world.admin)
    warning = policy_draft.steps.order_by("position").first()
    escalation_step_update(
        step=warning, user=world.admin, data=replace(step_data(warning), fraction=0.75)
    )
    new_policy = escalation_policy_publish(
        policy=policy_draft, user=world.admin, now=timezone.now()
    )

    second = _create(client)
    assert second.pathway_version_id == new_version.pk != old_version.pk
    assert second.escalation_policy_id == new_policy.pk != old_policy.pk
    new_ack = second.clocks.get(kind="acknowledgement")
    assert new_ack.target == timedelta(minutes=20)
    assert new_ack.definition.version_id == new_version.pk
    # The first warning now fires with 75% of the 20 minutes left: 5 minutes in.
    assert new_ack.next_escalation_at == new_ack.started_at + timedelta(minutes=5)
    # The first referral keeps what it was frozen to.
    first.refresh_from_db()
    assert first.pathway_version_id == old_version.pk
    assert first.clocks.get(kind="acknowledgement").target == timedelta(minutes=30)


# The statements of one create over the API, for a new patient: token, the
# organisation and service named, BEGIN, the organisation's row lock and the
# two intake-limit counts, the current version and policy (one statement),
# the patient lookup, the patient's savepoint with its INSERT and history,
# the referral and its history, the clocks and their history (one INSERT
# each, next escalation times included), the stored queue order (one UPDATE),
# the access-log row, COMMIT. It was 31 before issue 12.
CREATE_STATEMENTS = 20


@pytest.mark.django_db
def test_a_create_sends_a_fixed_number_of_statements(world, api):
    client = api(world.referrer)
    _create(client)  # the first create reads the published version and policy
    with CaptureQueriesContext(connection) as captured:
        _create(client)
    # _create's own read of the referral afterwards is the last one.
    statements = [q["sql"] for q in captured.captured_queries][:-1]
    assert len(statements) == CREATE_STATEMENTS, "\n".join(s[:120] for s in statements)
