"""Every endpoint called as every role, including users of another
organisation, service and alliance. A referral outside the caller's scope is a
404 (its existence is not revealed); a role that may not act is a 403."""

import pytest

from core.permissions import ACTION_ROLES
from referrals.models import Referral
from tests.conftest import referral_body

USERS = [
    "anonymous",
    "referrer",
    "referrer_same_alliance",
    "referrer_other",
    "coordinator",
    "senior",
    "coordinator_other",
    "lead",
    "admin",
]

# The referral under test is made by "referrer" (GP-A1) to A-MSCC.
# Expected status for each endpoint and user.
EXPECTED: dict[str, dict[str, int]] = {
    "me": dict.fromkeys(USERS, 200) | {"anonymous": 401},
    "list": {
        "anonymous": 401,
        "referrer": 200,
        "referrer_same_alliance": 200,
        "referrer_other": 200,
        "coordinator": 200,
        "senior": 200,
        "coordinator_other": 200,
        "lead": 403,
        "admin": 403,
    },
    "create": {
        "anonymous": 401,
        "referrer": 201,
        "referrer_same_alliance": 403,
        "referrer_other": 403,
        "coordinator": 201,
        "senior": 201,
        "coordinator_other": 403,
        "lead": 403,
        "admin": 403,
    },
    "detail": {
        "anonymous": 401,
        "referrer": 200,
        "referrer_same_alliance": 404,
        "referrer_other": 404,
        "coordinator": 200,
        "senior": 200,
        "coordinator_other": 404,
        "lead": 403,
        "admin": 403,
    },
    "queue": {
        "anonymous": 401,
        "referrer": 403,
        "referrer_same_alliance": 403,
        "referrer_other": 403,
        "coordinator": 200,
        "senior": 200,
        "coordinator_other": 200,
        "lead": 403,
        "admin": 403,
    },
    "acknowledge": {
        "anonymous": 401,
        "referrer": 403,
        "referrer_same_alliance": 403,
        "referrer_other": 403,
        "coordinator": 200,
        "senior": 200,
        "coordinator_other": 404,
        "lead": 403,
        "admin": 403,
    },
    "category": {
        "anonymous": 401,
        "referrer": 403,
        "referrer_same_alliance": 403,
        "referrer_other": 403,
        "coordinator": 200,
        "senior": 200,
        "coordinator_other": 404,
        "lead": 403,
        "admin": 403,
    },
    # Signed-in users only (issue 9): the schema maps every call of the service.
    "schema": {**dict.fromkeys(USERS, 200), "anonymous": 401},
}


def _call(client, endpoint: str, referral: Referral):
    base = f"/api/v1/referrals/{referral.pk}/"
    if endpoint == "me":
        return client.get("/api/v1/auth/me/")
    if endpoint == "list":
        return client.get("/api/v1/referrals/")
    if endpoint == "create":
        # Every caller names GP-A1 and A-MSCC: only its referrer and A's
        # clinicians may refer on that organisation's behalf to that service.
        return client.post("/api/v1/referrals/", referral_body(), format="json")
    if endpoint == "detail":
        return client.get(base)
    if endpoint == "queue":
        return client.get("/api/v1/queue/")
    if endpoint == "acknowledge":
        return client.post(base + "acknowledge/")
    if endpoint == "category":
        return client.post(
            base + "category/",
            {"category": "safety_net", "reason": "Reviewed by phone"},
            format="json",
        )
    if endpoint == "schema":
        return client.get("/api/schema/")
    raise AssertionError(endpoint)


@pytest.mark.parametrize("endpoint", list(EXPECTED))
@pytest.mark.parametrize("who", USERS)
def test_every_endpoint_as_every_role(world, api, make_referral, endpoint, who):
    referral = make_referral()
    users = world.all_users()
    client = api(None if who == "anonymous" else users[who])
    response = _call(client, endpoint, referral)
    assert response.status_code == EXPECTED[endpoint][who], (endpoint, who, response.content)


@pytest.mark.parametrize("who", ["referrer_same_alliance", "referrer_other", "coordinator_other"])
def test_lists_never_show_another_scope(world, api, make_referral, who):
    make_referral()
    response = api(world.all_users()[who]).get("/api/v1/referrals/")
    assert response.json()["count"] == 0


def test_queue_of_another_service_is_empty(world, api, make_referral):
    make_referral()
    response = api(world.coordinator_other).get("/api/v1/queue/")
    assert response.json()["count"] == 0


def test_failed_actions_change_nothing(world, api, make_referral):
    referral = make_referral()
    api(world.coordinator_other).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    api(world.referrer).post(f"/api/v1/referrals/{referral.pk}/acknowledge/")
    referral.refresh_from_db()
    assert referral.acknowledged_at is None
    assert referral.status == "received"


def test_every_action_has_its_roles_declared():
    from accounts.api import urls as account_urls
    from coordinator.api import urls

    for pattern in [*urls.urlpatterns, *account_urls.urlpatterns]:
        view = pattern.callback.view_class
        if view.__name__ == "TokenView":  # signing in: open to anyone, by design
            continue
        actions = getattr(view, "permission_actions", None) or {"*": view.permission_action}
        for action in actions.values():
            assert action in ACTION_ROLES, (view, action)


def test_inactive_users_are_refused(world, api):
    world.coordinator.is_active = False
    world.coordinator.save()
    assert api(world.coordinator).get("/api/v1/queue/").status_code == 401
