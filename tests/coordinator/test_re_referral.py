"""A person referred again while a referral is open: the service's clinicians
are warned, naming it; the referrer never is; a coordinator links the later
referral to the earlier as a duplicate (issue 8)."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from pathways.models import Clock
from referrals.models import Referral
from tests.conftest import referral_body

LINK = "/api/v1/referrals/{}/link/"


def refer(api, user, patient=None, **fields):
    body = referral_body(**fields)
    if patient:
        body["patient"] = patient
    response = api(user).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.content
    return body, response.json()


def test_a_re_referral_is_named_for_the_coordinator_never_the_referrer(world, api):
    body, first = refer(api, world.referrer)
    _, second = refer(api, world.referrer_same_alliance, patient=body["patient"],
                      referring_organisation="GP-A2")  # fmt: skip
    assert "open_duplicate" not in second
    referrer_view = api(world.referrer_same_alliance).get(f"/api/v1/referrals/{second['id']}/")
    assert first["reference"] not in referrer_view.content.decode()

    detail = api(world.coordinator).get(f"/api/v1/referrals/{second['id']}/").json()
    assert detail["open_duplicate"] == first["reference"]
    queue = api(world.coordinator).get("/api/v1/queue/").json()["results"]
    flagged = {r["reference"]: r["open_duplicate"] for r in queue}
    assert flagged[second["reference"]] == first["reference"]
    assert flagged[first["reference"]] == second["reference"]

    for path in ("/queue/", f"/referrals/{second['id']}/"):
        page = Client()
        page.force_login(world.coordinator)
        assert first["reference"] in page.get(path).content.decode()
    page = Client()
    page.force_login(world.referrer_same_alliance)
    text = page.get(f"/referrals/{second['id']}/").content.decode()
    assert first["reference"] not in text and "duplicate" not in text.lower()


def test_the_later_referral_is_linked_and_closed_and_the_link_can_be_undone(world, api):
    body, first = refer(api, world.referrer)
    _, second = refer(api, world.referrer, patient=body["patient"])
    coordinator = api(world.coordinator)

    def link(referral, body):
        return coordinator.post(LINK.format(referral["id"]), body, format="json")

    refused = link(first, {"duplicate_of": second["id"], "reason": "x"})
    assert refused.status_code == 409  # link the later one, not the first
    assert link(second, {"duplicate_of": second["id"], "reason": "x"}).status_code == 400
    missing = link(second, {"duplicate_of": first["id"]})
    assert missing.status_code == 400 and "reason" in missing.json()

    linked = link(second, {"duplicate_of": first["id"], "reason": "Same episode, phoned in twice."})
    assert linked.status_code == 200, linked.content
    assert linked.json()["status"] == "closed"
    later = Referral.objects.get(pk=second["id"])
    assert later.duplicate_of_id is not None and str(later.duplicate_of_id) == first["id"]
    assert {c.status for c in Clock.objects.filter(referral=later)} == {"cancelled"}
    assert first["reference"] in later.status_reason
    assert coordinator.get(f"/api/v1/referrals/{first['id']}/").json()["open_duplicate"] is None

    reopened = coordinator.post(
        f"/api/v1/referrals/{second['id']}/status/",
        {"status": "received", "reason": "Not the same episode after all."},
        format="json",
    )
    assert reopened.status_code == 200
    later.refresh_from_db()
    assert later.duplicate_of_id is None
    assert {c.status for c in Clock.objects.filter(referral=later)} == {"running"}


def test_another_persons_or_services_referral_cannot_be_linked(world, api):
    _, first = refer(api, world.referrer)
    _, other = refer(
        api, world.referrer, suspected_at=(timezone.now() - timedelta(hours=1)).isoformat()
    )
    answer = api(world.coordinator).post(
        LINK.format(other["id"]), {"duplicate_of": first["id"], "reason": "x"}, format="json"
    )
    assert answer.status_code == 400 and "duplicate_of" in answer.json()
    assert (
        api(world.referrer)
        .post(LINK.format(other["id"]), {"duplicate_of": first["id"], "reason": "x"}, format="json")
        .status_code
        == 403
    )


def test_after_linking_the_referrer_is_not_told_of_the_other_referral(world, api):
    """Linked from the page: the later referrer's page and answers say it is
    closed, never which referral it duplicates (nor that there is one)."""
    body, first = refer(api, world.referrer)
    _, second = refer(api, world.referrer_same_alliance, patient=body["patient"],
                      referring_organisation="GP-A2")  # fmt: skip
    page = Client()
    page.force_login(world.coordinator)
    linked = page.post(
        f"/referrals/{second['id']}/link/",
        {"duplicate_of": first["id"], "reason": f"Same episode as {first['reference']}."},
    )
    assert linked.status_code == 302
    assert Referral.objects.get(pk=second["id"]).status == "closed"

    referrer = Client()
    referrer.force_login(world.referrer_same_alliance)
    answers = {
        "page": referrer.get(f"/referrals/{second['id']}/").content.decode(),
        "list page": referrer.get("/referrals/mine/").content.decode(),
        "detail": api(world.referrer_same_alliance)
        .get(f"/api/v1/referrals/{second['id']}/")
        .content.decode(),
        "list": api(world.referrer_same_alliance).get("/api/v1/referrals/").content.decode(),
    }
    for name, text in answers.items():
        assert first["reference"] not in text, name
        assert "duplicate" not in text.lower(), name
    assert "Closed" in answers["page"]
    # The service's clinicians still see what it duplicates.
    assert first["reference"] in page.get(f"/referrals/{second['id']}/").content.decode()
    detail = api(world.coordinator).get(f"/api/v1/referrals/{second['id']}/").json()
    assert first["reference"] in detail["status_reason"]
    assert detail["open_duplicate"] is None  # closed: nothing left to link
