"""A service admin's team pages (issue 11): invite with a one-time link, then
two-factor where it applies; change a role between coordinator and senior
clinician; deactivate (after the rota gaps it opens are shown) and
reactivate; each audited. Scoped to the admin's own service; never on
themselves, a service admin or a superuser."""

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.invites import InviteProblem, invite_check, invite_token
from accounts.models import TeamChange
from coordinator.services import team
from core.errors import DomainError, Forbidden, NotFound
from core.roles import Role
from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from notifications.selectors.rota import on_call_at
from notifications.selectors.rota_release import rota_release_preview
from referrals.models import User
from tests.conftest import PASSWORD
from tests.factories import (
    CoordinatorFactory,
    RotaOverrideFactory,
    ServiceAdminFactory,
    ShiftFactory,
)

NEW_PASSWORD = "cobalt harbour lantern 42"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def signs_in(username: str, password: str) -> bool:
    """Whether the sign-in page accepts the pair (a redirect onwards)."""
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def invite_body(**overrides: str) -> dict[str, str]:
    return {
        "username": "new-coordinator",
        "first_name": "Nia",
        "last_name": "Newcome",
        "email": "nia.newcome@example.invalid",
        "phone": "01632 960 123",
        "role": "coordinator",
        **overrides,
    }


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def invite(world: Any, django_capture_on_commit_callbacks: Any, **overrides: str) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return team.team_invite(by=world.admin, now=timezone.now(), **invite_body(**overrides))


# --- Who sees the pages ------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "senior", "lead", "referrer"])
def test_only_a_service_admin_opens_the_team_pages(world: Any, who: str) -> None:
    client = signed_in(world.all_users()[who])
    assert client.get("/team/").status_code == 403
    assert client.get("/team/invite/").status_code == 403
    assert client.post("/team/deactivate/", {"member": "coordinator"}).status_code == 403


def test_the_team_page_lists_the_own_services_coordinators_and_seniors(world: Any) -> None:
    TOTPDevice.objects.create(user=world.senior, name="app", confirmed=True)
    world.coordinator.email = "coord@example.invalid"
    world.coordinator.phone = "01632 960 555"
    world.coordinator.save()
    gone = CoordinatorFactory(username="gone", service=world.service, is_active=False)
    response = signed_in(world.admin).get("/team/")
    assert response.status_code == 200
    body = response.content.decode()
    members = [m.username for m in response.context["members"]]
    assert set(members) == {"coordinator", "senior", "gone"}
    assert "coordinator-b" not in body  # another service's
    assert "coord@example.invalid" in body and "01632 960 555" in body
    by_name = {m.username: m for m in response.context["members"]}
    assert by_name["senior"].two_factor is True
    assert by_name["coordinator"].two_factor is False
    assert "Deactivated" in body and gone.username in body
    # The service admin is not listed among the team they manage.
    assert "admin" not in members


def test_the_nav_and_home_page_link_the_team_for_a_service_admin(world: Any) -> None:
    world.admin.is_staff = True
    world.admin.save()
    body = signed_in(world.admin).get("/").content.decode()
    assert '<a href="/team/"' in body
    assert "/admin/pathways/pathwayversion/" in body
    assert "/admin/notifications/escalationpolicy/" in body
    assert '<a href="/notifications/">Notifications</a>' in body
    assert "come later" not in body
    nav = signed_in(world.coordinator).get("/accounts/").content.decode()
    assert 'href="/team/"' not in nav


# --- Invite -----------------------------------------------------------------------------


def test_an_invite_makes_a_passwordless_member_emails_the_link_and_shows_it_once(
    world: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    client = signed_in(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/team/invite/", invite_body())
    assert response.status_code == 200
    user = User.objects.get(username="new-coordinator")
    assert user.service == world.service and user.role == Role.COORDINATOR
    assert user.is_active and not user.has_usable_password()
    link = response.context["invited"].link
    assert link in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nia.newcome@example.invalid"]
    assert link in mail.outbox[0].body
    change = TeamChange.objects.get(member=user)
    assert (change.action, change.by, change.service) == ("invited", world.admin, world.service)
    assert change.details == {"role": "coordinator"}
    # The token is in no log line.
    assert token_of(link) not in caplog.text


@pytest.mark.parametrize("role", ["service_admin", "alliance_lead", "referrer"])
def test_an_invite_with_a_role_only_a_superuser_gives_is_refused_naming_role(
    world: Any, role: str
) -> None:
    response = signed_in(world.admin).post("/team/invite/", invite_body(role=role))
    assert response.status_code == 403
    assert "role" in response.context["errors"]
    assert not User.objects.filter(username="new-coordinator").exists()
    assert not TeamChange.objects.exists()


def test_an_invite_with_bad_fields_names_each_and_stores_nothing(world: Any) -> None:
    response = signed_in(world.admin).post(
        "/team/invite/",
        invite_body(username="coordinator", email="not-an-address", first_name="", role="x"),
    )
    assert response.status_code == 400
    assert set(response.context["errors"]) == {"username", "email", "first_name", "role"}
    assert not TeamChange.objects.exists()
    assert not mail.outbox


def test_the_invitee_sets_a_password_once_and_the_link_then_refuses(
    world: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    invited = invite(world, django_capture_on_commit_callbacks)
    path = invited.link.removeprefix("http://127.0.0.1:8000")
    browser = Client()
    opened = browser.get(path)
    assert opened.status_code == 302 and opened["Location"] == "/accounts/invite/password/"
    form = browser.get("/accounts/invite/password/")
    assert form.status_code == 200 and "new-coordinator" in form.content.decode()
    # Django's password rules apply.
    weak = browser.post(
        "/accounts/invite/password/", {"new_password1": "password", "new_password2": "password"}
    )
    assert weak.status_code == 400
    assert not User.objects.get(username="new-coordinator").has_usable_password()
    done = browser.post(
        "/accounts/invite/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/"
    user = User.objects.get(username="new-coordinator")
    assert user.check_password(NEW_PASSWORD)
    assert TeamChange.objects.filter(member=user, action="joined", by=user).exists()
    # Used: the same link, in another browser, is refused with a clear page.
    again = Client().get(path)
    assert again.status_code == 410
    assert "has been used" in again.content.decode()
    assert signs_in("new-coordinator", NEW_PASSWORD)
    # The refusals and the acceptance are logged by id, never with the token.
    assert "invite.accepted" in caplog.text and "invite.refused" in caplog.text
    assert token_of(invited.link) not in caplog.text


def test_an_expired_link_is_refused(world: Any, django_capture_on_commit_callbacks: Any) -> None:
    invited = invite(world, django_capture_on_commit_callbacks)
    token = token_of(invited.link)
    now = timezone.now()
    assert invite_check(token=token, now=now + timedelta(days=6, hours=23)).ok
    late = invite_check(token=token, now=now + timedelta(days=7, minutes=1))
    assert late.problem == InviteProblem.EXPIRED
    # Through the page: a link issued eight days ago.
    old = invite_token(user=invited.user, now=now - timedelta(days=8))
    response = Client().get("/accounts/invite/", {"token": old})
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_tampered_or_missing_token_is_a_404_page(world: Any) -> None:
    assert Client().get("/accounts/invite/", {"token": "nonsense"}).status_code == 404
    assert Client().get("/accounts/invite/").status_code == 404
    assert Client().get("/accounts/invite/password/").status_code == 404


def test_a_new_link_replaces_the_old_and_deactivation_cancels_it(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = invite(world, django_capture_on_commit_callbacks)
    now = timezone.now()
    renewed = team.team_invite_renew(by=world.admin, username="new-coordinator", now=now)
    assert invite_check(token=token_of(first.link), now=now).problem == InviteProblem.USED
    assert invite_check(token=token_of(renewed.link), now=now).ok
    team.team_deactivate(by=world.admin, username="new-coordinator", now=now)
    assert invite_check(token=token_of(renewed.link), now=now).problem == InviteProblem.USED


def test_two_factor_enrolment_follows_accepting_when_required(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MSCC_REQUIRE_2FA = True
    invited = invite(world, django_capture_on_commit_callbacks)
    browser = Client()
    browser.get(invited.link.removeprefix("http://127.0.0.1:8000"))
    done = browser.post(
        "/accounts/invite/password/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/two-factor/setup/"
    # Nothing else opens until it is set up.
    queue = browser.get("/queue/")
    assert queue.status_code == 302 and queue["Location"] == "/accounts/two-factor/setup/"
    setup = browser.get("/accounts/two-factor/setup/")
    assert setup.status_code == 200
    assert "Set up two-factor authentication" in setup.content.decode()


# --- Role -------------------------------------------------------------------------------


def test_a_role_changes_between_coordinator_and_senior_and_is_audited(world: Any) -> None:
    now = timezone.now()
    ShiftFactory(
        service=world.service,
        user=world.coordinator,
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=9),
    )
    client = signed_in(world.admin)
    response = client.post("/team/role/", {"member": "coordinator", "role": "senior_clinician"})
    assert response.status_code == 302
    # The rota is not changed with the role: the admin is told so.
    told = [str(m) for m in response.wsgi_request._messages]
    assert any("still has 1 shift(s)" in m for m in told), told
    world.coordinator.refresh_from_db()
    assert world.coordinator.role == Role.SENIOR_CLINICIAN
    change = TeamChange.objects.get(action="role_changed")
    assert change.details == {"role_from": "coordinator", "role_to": "senior_clinician"}
    page = signed_in(world.admin).get("/team/").content.decode()
    assert "Role changed" in page and "Coordinator to Senior clinician" in page


@pytest.mark.parametrize("role", ["service_admin", "alliance_lead", "referrer"])
def test_granting_a_superuser_only_role_is_refused_naming_role(world: Any, role: str) -> None:
    response = signed_in(world.admin).post("/team/role/", {"member": "coordinator", "role": role})
    assert response.status_code == 403
    assert "role" in response.context["errors"]
    world.coordinator.refresh_from_db()
    assert world.coordinator.role == Role.COORDINATOR
    assert not TeamChange.objects.exists()


def test_an_unknown_role_is_a_400_naming_role(world: Any) -> None:
    response = signed_in(world.admin).post("/team/role/", {"member": "coordinator", "role": "x"})
    assert response.status_code == 400
    assert "role" in response.context["errors"]


def test_another_service_admin_and_superusers_are_out_of_reach(world: Any) -> None:
    other_admin = ServiceAdminFactory(username="admin-2", service=world.service)
    superuser = CoordinatorFactory(username="root", service=world.service, is_superuser=True)
    client = signed_in(world.admin)
    for member in ("admin-2", "root"):
        for path, extra in (
            ("/team/role/", {"role": "coordinator"}),
            ("/team/deactivate/", {"confirm": "yes"}),
        ):
            response = client.post(path, {"member": member, **extra})
            assert response.status_code == 403, (member, path)
            assert "member" in response.context["errors"]
    # Removing service_admin (demoting another admin) is refused too.
    with pytest.raises(Forbidden):
        team.team_role_change(
            by=world.admin, username="admin-2", role="coordinator", now=timezone.now()
        )
    other_admin.refresh_from_db()
    superuser.refresh_from_db()
    assert other_admin.role == Role.SERVICE_ADMIN and other_admin.is_active
    assert superuser.is_active


def test_another_services_member_is_not_found(world: Any) -> None:
    client = signed_in(world.admin)
    for path, extra in (
        ("/team/role/", {"role": "senior_clinician"}),
        ("/team/deactivate/", {}),
        ("/team/deactivate/", {"confirm": "yes"}),
        ("/team/reactivate/", {}),
        ("/team/invite/renew/", {}),
    ):
        response = client.post(path, {"member": "coordinator-b", **extra})
        assert response.status_code == 404, path
    world.coordinator_other.refresh_from_db()
    assert world.coordinator_other.is_active
    assert world.coordinator_other.role == Role.COORDINATOR
    with pytest.raises(NotFound):
        team.team_deactivate(by=world.admin, username="coordinator-b", now=timezone.now())


def test_an_admin_cannot_deactivate_themselves(world: Any) -> None:
    response = signed_in(world.admin).post(
        "/team/deactivate/", {"member": "admin", "confirm": "yes"}
    )
    assert response.status_code == 403
    with pytest.raises(Forbidden, match="yourself"):
        team.team_deactivate(by=world.admin, username="admin", now=timezone.now())
    world.admin.refresh_from_db()
    assert world.admin.is_active


# --- Deactivate -------------------------------------------------------------------------


def test_the_deactivation_page_lists_exactly_the_gaps_it_would_open(world: Any) -> None:
    now = timezone.now().replace(microsecond=0)
    h = timedelta(hours=1)
    service = world.service
    # The coordinator: now+1h to now+9h, and now+20h to now+30h.
    ShiftFactory(service=service, user=world.coordinator, starts_at=now + h, ends_at=now + 9 * h)
    ShiftFactory(
        service=service, user=world.coordinator, starts_at=now + 20 * h, ends_at=now + 30 * h
    )
    # Someone else covers now+3h to now+5h of the first (an override) and
    # now+25h onwards of the second (a shift of theirs cannot overlap, so an
    # override again).
    other = CoordinatorFactory(username="other", service=service)
    RotaOverrideFactory(service=service, user=other, starts_at=now + 3 * h, ends_at=now + 5 * h)
    RotaOverrideFactory(service=service, user=other, starts_at=now + 25 * h, ends_at=now + 40 * h)
    # A deactivated person's override covers nothing.
    left = CoordinatorFactory(username="left", service=service)
    RotaOverrideFactory(service=service, user=left, starts_at=now + 5 * h, ends_at=now + 6 * h)
    left.is_active = False
    left.save()
    # A past shift of theirs opens nothing.
    Shift.objects.create(
        service=service,
        role="coordinator",
        user=world.coordinator,
        starts_at=now - 10 * h,
        ends_at=now - 2 * h,
    )

    preview = rota_release_preview(user=world.coordinator, now=now)
    assert [(g.role, g.starts_at, g.ends_at) for g in preview.gaps] == [
        (OnCallRole.COORDINATOR, now + h, now + 3 * h),
        (OnCallRole.COORDINATOR, now + 5 * h, now + 9 * h),
        (OnCallRole.COORDINATOR, now + 20 * h, now + 25 * h),
    ]
    assert len(preview.shifts) == 2 and preview.overrides == []

    response = signed_in(world.admin).post("/team/deactivate/", {"member": "coordinator"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Gaps this opens: NOBODY ON CALL" in body
    assert "NG234 1.1.7" in body and "1.1.18" in body
    assert len(re.findall(r"nobody on call from", body)) == 3
    # Nothing changed yet.
    world.coordinator.refresh_from_db()
    assert world.coordinator.is_active


def test_no_gap_when_someone_else_covers(world: Any) -> None:
    now = timezone.now()
    h = timedelta(hours=1)
    ShiftFactory(
        service=world.service, user=world.coordinator, starts_at=now + h, ends_at=now + 5 * h
    )
    other = CoordinatorFactory(username="other", service=world.service)
    RotaOverrideFactory(service=world.service, user=other, starts_at=now, ends_at=now + 6 * h)
    preview = rota_release_preview(user=world.coordinator, now=now)
    assert preview.gaps == [] and len(preview.shifts) == 1


def test_deactivation_signs_out_everywhere_takes_them_off_the_rota_and_is_audited(
    world: Any, api: Any
) -> None:
    now = timezone.now()
    h = timedelta(hours=1)
    coordinator = world.coordinator
    started = ShiftFactory(
        service=world.service, user=coordinator, starts_at=now - 2 * h, ends_at=now + 6 * h
    )
    future = ShiftFactory(
        service=world.service, user=coordinator, starts_at=now + 10 * h, ends_at=now + 12 * h
    )
    override = RotaOverrideFactory(
        service=world.service, user=coordinator, starts_at=now + 20 * h, ends_at=now + 22 * h
    )
    token_client = api(coordinator)
    assert token_client.get("/api/v1/queue/").status_code == 200
    # The page signs the session in through the sign-in page, so it is recorded.
    web = Client()
    web.post("/accounts/login/", {"username": "coordinator", "password": PASSWORD})
    assert web.get("/queue/").status_code == 200
    assert on_call_at(service=world.service, role="coordinator", at=now) == coordinator

    response = signed_in(world.admin).post(
        "/team/deactivate/", {"member": "coordinator", "confirm": "yes"}
    )
    assert response.status_code == 302 and response["Location"] == "/team/"

    coordinator.refresh_from_db()
    assert not coordinator.is_active
    # Tokens and sessions end; the password no longer signs in.
    assert token_client.get("/api/v1/queue/").status_code == 401
    assert web.get("/queue/").status_code == 302
    assert not signs_in("coordinator", PASSWORD)
    # Off the rota from now: the started shift ends now, later rows are gone,
    # the past part stays on the record.
    started.refresh_from_db()
    assert started.starts_at == now - 2 * h and started.ends_at >= now
    assert started.ends_at <= timezone.now()
    assert not Shift.objects.filter(pk=future.pk).exists()
    # Each change to the rota kept in its history, with the admin who made it.
    assert ("-", world.admin) in {
        (k.history_type, k.history_user) for k in Shift.history.filter(id=future.pk)
    }
    assert ("~", world.admin) in {
        (k.history_type, k.history_user) for k in Shift.history.filter(id=started.pk)
    }
    assert not RotaOverride.objects.filter(pk=override.pk).exists()
    assert on_call_at(service=world.service, role="coordinator", at=timezone.now()) is None
    change = TeamChange.objects.get(action="deactivated")
    assert change.by == world.admin and change.member == coordinator
    assert change.details["tokens_revoked"] >= 1
    assert change.details["sessions_ended"] >= 1
    assert len(change.details["shifts_released"]) == 2
    assert len(change.details["overrides_released"]) == 1
    assert len(change.details["gaps_opened"]) == 3
    # Shown on the team page.
    page = signed_in(world.admin).get("/team/").content.decode()
    assert "Deactivated" in page and "3 gap(s) opened" in page


def test_reactivation_lets_them_sign_in_again_and_is_audited(world: Any) -> None:
    now = timezone.now()
    team.team_deactivate(by=world.admin, username="coordinator", now=now)
    response = signed_in(world.admin).post("/team/reactivate/", {"member": "coordinator"})
    assert response.status_code == 302
    world.coordinator.refresh_from_db()
    assert world.coordinator.is_active
    assert signs_in("coordinator", PASSWORD)
    assert list(TeamChange.objects.order_by("at", "pk").values_list("action", flat=True)) == [
        "deactivated",
        "reactivated",
    ]
    # Already active: a 400 naming the member.
    with pytest.raises(DomainError) as refused:
        team.team_reactivate(by=world.admin, username="coordinator", now=now)
    assert refused.value.field == "member"


def test_team_changes_are_append_only(world: Any) -> None:
    team.team_role_change(
        by=world.admin, username="coordinator", role="senior_clinician", now=timezone.now()
    )
    change = TeamChange.objects.get()
    change.details = {}
    with pytest.raises(Exception, match="append-only"):
        change.save()
    with pytest.raises(Exception, match="append-only"):
        change.delete()


def test_the_deactivation_page_warns_when_they_are_the_service_lead(world: Any) -> None:
    world.service.lead = world.senior
    world.service.save(update_fields=["lead"])
    client = signed_in(world.admin)
    lead = client.post("/team/deactivate/", {"member": "senior"}).content.decode()
    assert "They are the service lead" in lead
    other = client.post("/team/deactivate/", {"member": "coordinator"}).content.decode()
    assert "They are the service lead" not in other
