"""Failed sign-ins pause the (username, client address) pair for a cool-off
(accounts/lockout.py, django-axes in the database): never the account
outright, never another address, never on a client-written X-Forwarded-For;
the throttle per address is counted where every process counts."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core.cache.backends.filebased import FileBasedCache
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.throttles import SignInThrottle
from tests.accounts.conftest import LOGIN_URL, at, sign_in_page, token_call
from tests.conftest import PASSWORD

LIMIT = 10
COOLOFF = 15 * 60
ATTACKER = "198.51.100.10"


def fail_on_page(client, username, times):
    return [sign_in_page(client, username, f"wrong-{i}").status_code for i in range(times)]


def signed_in(client) -> bool:
    return client.get("/referrals/mine/").status_code == 200


def test_defaults_are_ten_failures_and_fifteen_minutes():
    assert django_settings.MSCC_SIGN_IN_FAILURE_LIMIT == LIMIT
    assert django_settings.MSCC_SIGN_IN_COOLOFF_SECONDS == COOLOFF
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_the_sign_in_page_pauses_the_pair_and_refuses_even_the_right_password(world):
    attacker = at(ATTACKER)
    statuses = fail_on_page(attacker, "referrer", LIMIT)
    assert statuses == [200] * (LIMIT - 1) + [429]
    right = sign_in_page(attacker, "referrer")
    assert right.status_code == 429
    assert "Sign-in paused" in right.content.decode()
    assert 0 < int(right["Retry-After"]) <= COOLOFF
    assert not signed_in(attacker)


def test_sixty_wrong_passwords_then_the_right_one_is_paused_not_signed_in(world):
    """The finding, as stated: 60 wrong passwords, then the right one."""
    attacker = at(ATTACKER)
    statuses = fail_on_page(attacker, "referrer", 60)
    assert statuses.count(200) == LIMIT - 1  # only these were checked
    assert statuses.count(429) == 60 - (LIMIT - 1)
    assert sign_in_page(attacker, "referrer").status_code == 429
    assert not signed_in(attacker)
    attempt = AccessAttempt.objects.get(username="referrer", ip_address=ATTACKER)
    assert attempt.failures_since_start == LIMIT  # attempts while paused are not checked


def test_the_pause_ends_after_the_cooloff(world, clock):
    attacker = at(ATTACKER)
    fail_on_page(attacker, "referrer", LIMIT)
    clock.shift(COOLOFF - 5)
    assert sign_in_page(attacker, "referrer").status_code == 429
    clock.shift(10)
    assert sign_in_page(attacker, "referrer").status_code == 302
    assert signed_in(attacker)


def test_attempts_while_paused_do_not_extend_the_pause(world, clock):
    attacker = at(ATTACKER)
    fail_on_page(attacker, "referrer", LIMIT)
    for _ in range(5):
        clock.shift(COOLOFF / 6)
        assert sign_in_page(attacker, "referrer", "still-wrong").status_code == 429
    clock.shift(COOLOFF / 6 + 5)
    assert sign_in_page(attacker, "referrer").status_code == 302


def test_another_address_is_not_paused(world):
    fail_on_page(at(ATTACKER), "referrer", LIMIT)
    colleague = at("198.51.100.11")
    assert sign_in_page(colleague, "referrer").status_code == 302
    assert signed_in(colleague)


def test_other_usernames_from_the_paused_address_go_on(world):
    attacker = at(ATTACKER)
    fail_on_page(attacker, "referrer", LIMIT)
    assert sign_in_page(attacker, "referrer-gp2").status_code == 302


def test_the_account_is_never_locked_outright(world, api):
    """Pausing the pair from many addresses leaves the account usable from
    the next one, by page and by API, and the user row untouched."""
    for n in range(5):
        fail_on_page(at(f"203.0.113.{n + 1}"), "coordinator", LIMIT)
    world.coordinator.refresh_from_db()
    assert world.coordinator.is_active
    assert sign_in_page(at("203.0.113.99"), "coordinator").status_code == 302
    response = token_call(APIClient(REMOTE_ADDR="203.0.113.98"), "coordinator")
    assert response.status_code == 200, response.content
    assert AccessAttempt.objects.filter(username="coordinator").count() <= 5


def test_a_success_clears_the_pairs_count(world):
    client = at(ATTACKER)
    fail_on_page(client, "referrer", LIMIT - 1)
    assert sign_in_page(client, "referrer").status_code == 302
    client.post("/accounts/logout/")
    assert fail_on_page(client, "referrer", LIMIT - 1) == [200] * (LIMIT - 1)


def test_the_token_call_pauses_the_pair_with_a_429_and_retry_after(world):
    client = APIClient(REMOTE_ADDR=ATTACKER)
    statuses = [token_call(client, "referrer", f"wrong-{i}").status_code for i in range(LIMIT)]
    assert statuses == [400] * (LIMIT - 1) + [429]
    right = token_call(client, "referrer")
    assert right.status_code == 429
    assert "paused" in right.json()["detail"]
    assert int(right["Retry-After"]) > 0
    assert token_call(APIClient(REMOTE_ADDR="198.51.100.11"), "referrer").status_code == 200


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(world, settings):
    """The finding: 100 attempts, each with a new X-Forwarded-For, were all
    processed. The peer is not a trusted proxy, so the header is ignored and
    all 100 count against one pair."""
    settings.MSCC_TRUSTED_PROXIES = []
    client = APIClient(REMOTE_ADDR=ATTACKER)
    statuses = [
        token_call(
            client, "referrer", f"wrong-{i}", HTTP_X_FORWARDED_FOR=f"192.0.2.{i + 1}"
        ).status_code
        for i in range(100)
    ]
    assert statuses.count(400) == LIMIT - 1
    assert statuses.count(429) == 100 - (LIMIT - 1)
    attempts = AccessAttempt.objects.filter(username="referrer")
    assert [(a.ip_address, a.failures_since_start) for a in attempts] == [(ATTACKER, LIMIT)]


def test_a_trusted_proxys_forwarded_for_names_the_client(world, settings):
    settings.MSCC_TRUSTED_PROXIES = ["10.0.0.5"]
    via_proxy = APIClient(REMOTE_ADDR="10.0.0.5")
    for i in range(LIMIT):
        token_call(via_proxy, "referrer", f"wrong-{i}", HTTP_X_FORWARDED_FOR=ATTACKER)
    paused = token_call(via_proxy, "referrer", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert paused.status_code == 429
    other = token_call(via_proxy, "referrer", HTTP_X_FORWARDED_FOR="198.51.100.11")
    assert other.status_code == 200
    assert AccessAttempt.objects.get(username="referrer").ip_address == ATTACKER


def test_page_and_api_failures_count_together(world):
    fail_on_page(at(ATTACKER), "referrer", LIMIT // 2)
    client = APIClient(REMOTE_ADDR=ATTACKER)
    for i in range(LIMIT // 2):
        token_call(client, "referrer", f"wrong-{i}")
    assert sign_in_page(at(ATTACKER), "referrer").status_code == 429


def test_the_admin_sign_in_is_the_services_sign_in(world, service_admin):
    """The admin site's own password-only form is never served: its sign-in
    goes through the page with the lockout (and the code)."""
    service_admin.is_staff = True
    service_admin.save()
    attacker = at(ATTACKER)
    for i in range(30):
        response = attacker.post(
            "/admin/login/?next=/admin/", {"username": "admin", "password": f"wrong-{i}"}
        )
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN_URL}?next=%2Fadmin%2F"
    attacker.post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD})
    assert attacker.get("/admin/").status_code == 302  # not signed in
    fail_on_page(attacker, "admin", LIMIT)
    assert sign_in_page(attacker, "admin").status_code == 429
    assert attacker.get("/admin/").status_code == 302


def test_the_throttle_counts_per_address_across_usernames(world):
    """30 a minute per address (SIGN_IN_RATE), whatever the usernames: the
    pair lockout alone would let one address try every username."""
    client = APIClient(REMOTE_ADDR=ATTACKER)
    statuses = [token_call(client, f"nobody-{i}", "wrong").status_code for i in range(31)]
    assert statuses == [400] * 30 + [429]
    assert "throttled" in token_call(client, "nobody-x", "wrong").json()["detail"]
    assert token_call(APIClient(REMOTE_ADDR="198.51.100.11"), "nobody-y").status_code == 400
    page = at(ATTACKER)
    assert sign_in_page(page, "referrer").status_code == 429


def test_the_throttle_is_counted_in_the_shared_cache_not_in_a_process(tmp_path):
    """Two throttles over two cache clients of one store (as two worker
    processes have): the 31st attempt is refused whichever process takes it.
    Before, each process kept its own count (60 of 100 got through with two
    workers)."""
    first, second = SignInThrottle(), SignInThrottle()
    first.cache = FileBasedCache(str(tmp_path), {})
    second.cache = FileBasedCache(str(tmp_path), {})
    request = RequestFactory().post("/api/v1/auth/token/", REMOTE_ADDR=ATTACKER)
    allowed = [(first if i % 2 else second).allow_request(request, None) for i in range(31)]
    assert allowed == [True] * 30 + [False]


@pytest.mark.parametrize(
    ("cache_url", "backend"),
    [
        ("", "django.core.cache.backends.filebased.FileBasedCache"),
        ("redis://127.0.0.1:6379/1", "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_the_deployments_cache_is_shared_by_its_processes(cache_url, backend, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    env.update({"MSCC_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "mscc.settings"})
    if cache_url:
        env["CACHE_URL"] = cache_url
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1])["BACKEND"] == backend


def test_an_over_long_username_is_counted_not_an_error(world):
    """Found on PostgreSQL: a 500-character username overflowed axes's column."""
    attacker = at(ATTACKER)
    statuses = fail_on_page(attacker, "x" * 500, LIMIT)
    assert statuses == [200] * (LIMIT - 1) + [429]
    client = APIClient(REMOTE_ADDR=ATTACKER)
    assert token_call(client, "y" * 150 + "z" * 5).status_code == 400
    assert AccessAttempt.objects.get(username="x" * 150).failures_since_start == LIMIT
