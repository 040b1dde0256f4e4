"""API tokens (django-rest-knox): one per sign-in, sent as
``Authorization: Token <token>``, lapsing after an idle hour and 12 hours in
all (explicit clock, no sleeping), revoked by the API sign-out, a password
change and "sign out everywhere"."""

from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import SignedInSession
from tests.accounts.conftest import sign_in_page, token_call
from tests.conftest import PASSWORD

ME = "/api/v1/auth/me/"
HOUR = 60 * 60


def sign_in(username: str = "referrer") -> str:
    response = token_call(APIClient(), username)
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def status_with(token: str) -> int:
    return APIClient().get(ME, HTTP_AUTHORIZATION=f"Token {token}").status_code


def test_defaults_are_an_idle_hour_and_twelve_hours_in_all():
    assert django_settings.MSCC_TOKEN_IDLE_SECONDS == HOUR
    assert django_settings.MSCC_TOKEN_MAX_AGE_SECONDS == 12 * HOUR
    assert django_settings.REST_KNOX["AUTH_HEADER_PREFIX"] == "Token"


def test_every_sign_in_has_its_own_token(world):
    first, second = sign_in(), sign_in()
    assert first != second
    assert status_with(first) == status_with(second) == 200


def test_the_answer_says_when_the_token_lapses(world, clock):
    now = timezone.now()
    body = token_call(APIClient(), "referrer").json()
    assert sorted(body) == ["expires_at", "expires_at_latest", "token"]
    assert datetime.fromisoformat(body["expires_at"]) == now + timedelta(seconds=HOUR)
    assert datetime.fromisoformat(body["expires_at_latest"]) == now + timedelta(seconds=12 * HOUR)
    assert body["token"] not in str(list(AuthToken.objects.values()))  # only a hash is kept


def test_an_unused_token_lapses_after_the_idle_timeout(world, clock):
    token = sign_in()
    clock.shift(HOUR - 60)
    assert status_with(token) == 200
    clock.shift(HOUR + 1)  # an hour since that last use
    assert status_with(token) == 401
    assert not AuthToken.objects.exists()  # lapsed tokens are cleared


def test_use_moves_the_idle_timeout_on(world, clock):
    token = sign_in()
    for _ in range(5):
        clock.shift(HOUR - 120)
        assert status_with(token) == 200
    # Nearly five hours after sign-in, but never an idle hour.


def test_a_token_lapses_after_twelve_hours_however_much_it_is_used(world, clock):
    token = sign_in()
    for _ in range(23):
        clock.shift(30 * 60)
        assert status_with(token) == 200  # 11.5 hours, used every half hour
    clock.shift(30 * 60 + 1)
    assert status_with(token) == 401


def test_the_settings_set_both_limits(world, clock, settings):
    settings.MSCC_TOKEN_IDLE_SECONDS = 600
    settings.MSCC_TOKEN_MAX_AGE_SECONDS = 1800
    settings.REST_KNOX = {
        **settings.REST_KNOX,
        "TOKEN_TTL": timedelta(seconds=600),
        "AUTO_REFRESH_MAX_TTL": timedelta(seconds=1800),
    }
    token = sign_in()
    clock.shift(601)
    assert status_with(token) == 401
    token = sign_in()
    for _ in range(3):
        clock.shift(590)
        assert status_with(token) == 200
    clock.shift(590)
    assert status_with(token) == 401


def test_the_api_sign_out_revokes_that_token_only(world):
    first, second = sign_in(), sign_in()
    out = APIClient().post("/api/v1/auth/sign-out/", HTTP_AUTHORIZATION=f"Token {first}")
    assert out.status_code == 204
    assert status_with(first) == 401
    assert status_with(second) == 200


def test_a_password_change_revokes_every_token(world):
    first, second = sign_in(), sign_in()
    other_user = sign_in("coordinator")
    world.referrer.set_password("a new and longer passphrase")
    world.referrer.save()
    assert status_with(first) == status_with(second) == 401
    assert status_with(other_user) == 200


def test_a_password_change_on_the_page_revokes_tokens_and_keeps_this_session(world):
    token = sign_in()
    browser = Client()
    sign_in_page(browser, "referrer")
    other_browser = Client()
    sign_in_page(other_browser, "referrer")
    response = browser.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase here",
            "new_password2": "another long passphrase here",
        },
    )
    assert response.status_code == 302
    assert status_with(token) == 401
    assert browser.get("/referrals/mine/").status_code == 200
    assert other_browser.get("/referrals/mine/").status_code == 302


def test_an_unchanged_password_keeps_the_tokens(world):
    token = sign_in()
    world.referrer.first_name = "Renamed"
    world.referrer.save()
    assert status_with(token) == 200


def test_sign_out_everywhere_revokes_every_token_and_ends_every_session(world):
    tokens = [sign_in(), sign_in()]
    browsers = [Client(), Client()]
    for browser in browsers:
        sign_in_page(browser, "referrer")
        assert browser.get("/referrals/mine/").status_code == 200
    bystander = Client()
    sign_in_page(bystander, "coordinator")
    response = APIClient().post(
        "/api/v1/auth/sign-out-everywhere/", HTTP_AUTHORIZATION=f"Token {tokens[0]}"
    )
    assert response.status_code == 200
    assert response.json() == {"tokens_revoked": 2, "sessions_ended": 2}
    assert [status_with(t) for t in tokens] == [401, 401]
    assert [b.get("/referrals/mine/").status_code for b in browsers] == [302, 302]
    assert bystander.get("/queue/").status_code == 200


def test_sign_out_everywhere_from_the_account_page(world):
    token = sign_in()
    elsewhere = Client()
    sign_in_page(elsewhere, "referrer")
    browser = Client()
    sign_in_page(browser, "referrer")
    page = browser.get("/accounts/").content.decode()
    assert 'action="/accounts/sign-out-everywhere/"' in page
    response = browser.post("/accounts/sign-out-everywhere/")
    assert response["Location"] == "/accounts/login/"
    assert status_with(token) == 401
    assert browser.get("/referrals/mine/").status_code == 302
    assert elsewhere.get("/referrals/mine/").status_code == 302
    assert not SignedInSession.objects.filter(user=world.referrer).exists()


def test_the_page_sign_out_ends_only_that_session(world):
    token = sign_in()
    browser = Client()
    sign_in_page(browser, "referrer")
    assert browser.post("/accounts/logout/").status_code == 302
    assert browser.get("/referrals/mine/").status_code == 302
    assert status_with(token) == 200  # an API sign-in is signed out by the API


@pytest.mark.parametrize(
    "header",
    [
        "Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",  # the old DRF form: no longer valid
        "Token " + "0" * 64,
        "Token not-a-token",
        "Token",
        "Token a b",
    ],
)
def test_a_bad_or_old_token_is_a_401(world, header):
    assert APIClient().get(ME, HTTP_AUTHORIZATION=header).status_code == 401


def test_a_token_of_bytes_that_are_not_text_is_a_401_not_a_500(world):
    client = APIClient()
    response = client.get(ME, HTTP_AUTHORIZATION="Token \xe9\xff" + "a" * 62)
    assert response.status_code == 401


def test_an_inactive_users_tokens_stop_working(world):
    token = sign_in()
    world.referrer.is_active = False
    world.referrer.save()
    assert status_with(token) == 401
