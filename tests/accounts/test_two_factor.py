"""Two-factor (TOTP, with recovery codes) for staff when MSCC_REQUIRE_2FA is
on: the token call takes ``otp`` (400 naming it when missing), the sign-in
page asks for the code, a recovery code works once, a staff user without an
authenticator can only set one up, and wrong codes count towards the pause."""

import io
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import two_factor
from accounts.services import totp_device_start
from core.roles import Role
from tests.accounts.conftest import CODE_URL, at, code_now, sign_in_page, token_call
from tests.conftest import PASSWORD
from tests.factories import ROLE_FACTORIES


def test_required_whenever_debug_is_off_unless_set(monkeypatch, tmp_path):
    """The default follows DEBUG (mscc/settings.py), read in a fresh process."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.MSCC_REQUIRE_2FA))"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "MSCC_REQUIRE_2FA")}
    base.update({"MSCC_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "mscc.settings"})
    production = {
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.invalid",
        "MSCC_BASE_URL": "https://example.invalid",
    }
    cases = [({}, False), (production, True), ({**production, "MSCC_REQUIRE_2FA": "false"}, False)]
    for extra, expected in cases:
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=django_settings.BASE_DIR,
            env={**base, **extra},
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(done.stdout.strip().splitlines()[-1]) is expected, extra


@pytest.mark.parametrize("role", list(Role))
def test_staff_roles_need_it_and_referrers_do_not(db, two_factor_on, role):
    user = ROLE_FACTORIES[role]()
    assert two_factor.two_factor_required(user) is (role != Role.REFERRER)


def test_anyone_who_may_open_the_admin_site_needs_it(db, two_factor_on, referrer):
    referrer.is_staff = True
    assert two_factor.two_factor_required(referrer)


def test_off_it_asks_nobody_without_an_authenticator(world, api):
    assert token_call(APIClient(), "coordinator").status_code == 200
    assert sign_in_page(Client(), "coordinator").status_code == 302


# --- The token call -----------------------------------------------------------------


def test_the_token_call_without_otp_is_a_400_naming_otp(world, two_factor_on, enrol):
    enrol(world.coordinator)
    response = token_call(APIClient(), "coordinator")
    assert response.status_code == 400
    assert list(response.json()) == ["otp"]
    assert "required" in response.json()["otp"][0]


def test_the_token_call_with_the_apps_code_gives_a_token(world, two_factor_on, enrol):
    enrolled = enrol(world.coordinator)
    response = token_call(APIClient(), "coordinator", otp=enrolled.code())
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    me = APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.json()["username"] == "coordinator"


def test_a_code_is_accepted_once(world, two_factor_on, enrol):
    enrolled = enrol(world.coordinator)
    code = enrolled.code()
    assert token_call(APIClient(), "coordinator", otp=code).status_code == 200
    again = token_call(APIClient(), "coordinator", otp=code)
    assert again.status_code == 400
    assert list(again.json()) == ["otp"]


def test_a_wrong_otp_is_a_400_naming_otp_and_counts_towards_the_pause(
    world, two_factor_on, enrol, clock
):
    enrol(world.coordinator)
    client = APIClient(REMOTE_ADDR="198.51.100.10")
    statuses = []
    for _ in range(10):
        statuses.append(token_call(client, "coordinator", otp="000000").status_code)
        clock.shift(two_factor.MAX_CODE_DELAY_SECONDS + 1)  # past the device's own wait
    assert statuses[:9] == [400] * 9
    assert statuses[9] == 429
    assert AccessAttempt.objects.get(username="coordinator").failures_since_start == 10


def test_the_wrong_password_with_a_right_code_is_refused_without_saying_more(
    world, two_factor_on, enrol
):
    enrolled = enrol(world.coordinator)
    response = token_call(APIClient(), "coordinator", "wrong", otp=enrolled.code())
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_a_recovery_code_works_once(world, two_factor_on, enrol):
    enrolled = enrol(world.coordinator)
    code = enrolled.recovery_codes[0]
    first = token_call(APIClient(), "coordinator", otp=code.upper())
    assert first.status_code == 200, first.content
    second = token_call(APIClient(), "coordinator", otp=code)
    assert second.status_code == 400
    assert list(second.json()) == ["otp"]
    assert two_factor.recovery_codes_left(world.coordinator) == 9


def test_staff_without_an_authenticator_are_told_to_set_one_up(world, two_factor_on):
    response = token_call(APIClient(), "coordinator", otp="123456")
    assert response.status_code == 400
    assert "not set up" in response.json()["otp"][0]


def test_a_referrer_needs_no_otp(world, two_factor_on):
    assert token_call(APIClient(), "referrer").status_code == 200


def test_a_user_who_set_it_up_is_asked_even_when_not_required(world, enrol):
    enrolled = enrol(world.referrer)
    assert list(token_call(APIClient(), "referrer").json()) == ["otp"]
    assert token_call(APIClient(), "referrer", otp=enrolled.code()).status_code == 200


def test_guessing_codes_is_slowed_but_never_locks_the_device_holder_out(
    world, two_factor_on, enrol, clock
):
    """Wrong codes from many addresses make the device wait, doubling, but
    never longer than MAX_CODE_DELAY_SECONDS: the holder gets in after it."""
    enrolled = enrol(world.coordinator)
    for n in range(40):
        clock.shift(two_factor.MAX_CODE_DELAY_SECONDS + 1)
        wrong = token_call(APIClient(REMOTE_ADDR=f"203.0.113.{n + 1}"), "coordinator", otp="000000")
        assert wrong.json() == {"otp": ["The code is wrong or has expired."]}  # each one checked
    waiting = token_call(APIClient(), "coordinator", otp="000000")
    assert waiting.status_code == 400
    assert "wait" in waiting.json()["otp"][0]
    clock.shift(two_factor.MAX_CODE_DELAY_SECONDS + 1)
    response = token_call(APIClient(), "coordinator", otp=enrolled.code())
    assert response.status_code == 200, response.content


# --- The sign-in page -----------------------------------------------------------------


def test_the_page_asks_for_the_code_after_the_password(world, two_factor_on, enrol):
    enrolled = enrol(world.coordinator)
    browser = Client()
    response = sign_in_page(browser, "coordinator")
    assert response.status_code == 302
    assert response["Location"] == CODE_URL
    assert browser.get("/queue/").status_code == 302  # not signed in yet
    page = browser.get(CODE_URL)
    assert '<label for="id_code">Code</label>' in page.content.decode()
    done = browser.post(CODE_URL, {"code": enrolled.code()})
    assert done.status_code == 302
    assert browser.get("/queue/").status_code == 200


def test_the_page_keeps_where_you_were_going(world, two_factor_on, enrol):
    enrolled = enrol(world.coordinator)
    browser = Client()
    browser.post(
        "/accounts/login/",
        {"username": "coordinator", "password": PASSWORD, "next": "/queue/print/"},
    )
    assert browser.post(CODE_URL, {"code": enrolled.code()})["Location"] == "/queue/print/"


def test_a_wrong_code_on_the_page_is_refused_and_counted(world, two_factor_on, enrol, clock):
    enrol(world.coordinator)
    browser = at("198.51.100.10")
    sign_in_page(browser, "coordinator")
    response = browser.post(CODE_URL, {"code": "000000"})
    assert response.status_code == 200
    assert "wrong or has expired" in response.content.decode()
    assert browser.get("/queue/").status_code == 302
    assert AccessAttempt.objects.get(username="coordinator").failures_since_start == 1
    # Wrong codes and wrong passwords count together: 8 more passwords, then
    # the right one (not yet a sign-in: the count stays), then one more code.
    for i in range(8):
        sign_in_page(browser, "coordinator", f"wrong-{i}")
    sign_in_page(browser, "coordinator")
    clock.shift(2)  # past the authenticator's own wait after one wrong code
    assert browser.post(CODE_URL, {"code": "111111"}).status_code == 429
    assert AccessAttempt.objects.get(username="coordinator").failures_since_start == 10


def test_a_recovery_code_on_the_page_works_once(world, two_factor_on, enrol):
    enrolled = enrol(world.coordinator)
    code = enrolled.recovery_codes[3]
    browser = Client()
    sign_in_page(browser, "coordinator")
    assert browser.post(CODE_URL, {"code": code}).status_code == 302
    assert browser.get("/queue/").status_code == 200
    other = Client()
    sign_in_page(other, "coordinator")
    assert browser.post("/accounts/logout/").status_code == 302
    assert other.post(CODE_URL, {"code": code}).status_code == 200  # refused: used
    assert other.get("/queue/").status_code == 302


def test_the_code_step_lapses(world, two_factor_on, enrol, clock):
    enrolled = enrol(world.coordinator)
    browser = Client()
    sign_in_page(browser, "coordinator")
    clock.shift(6 * 60)
    response = browser.post(CODE_URL, {"code": enrolled.code()})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert browser.get("/queue/").status_code == 302


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(world):
    assert Client().post(CODE_URL, {"code": "123456"})["Location"] == "/accounts/login/"


# --- Setting it up ------------------------------------------------------------------


def test_staff_without_an_authenticator_can_only_set_one_up(world, two_factor_on):
    browser = Client()
    response = sign_in_page(browser, "coordinator")
    assert response["Location"] == "/accounts/two-factor/setup/"
    for path in ("/queue/", "/", "/accounts/", "/admin/"):
        assert browser.get(path)["Location"] == "/accounts/two-factor/setup/", path
    assert browser.get("/api/v1/queue/").status_code == 403
    assert browser.get("/accounts/two-factor/setup/").status_code == 200


def test_setting_up_shows_a_qr_code_and_the_key_then_gives_recovery_codes(
    world, two_factor_on, clock
):
    browser = Client()
    sign_in_page(browser, "coordinator")
    page = browser.get("/accounts/two-factor/setup/").content.decode()
    assert "<svg" in page
    assert 'id="totp-secret"' in page
    device = TOTPDevice.objects.get(user=world.coordinator, confirmed=False)
    wrong = browser.post("/accounts/two-factor/setup/", {"code": "000000"})
    assert "does not match" in wrong.content.decode()
    clock.shift(30)
    done = browser.post("/accounts/two-factor/setup/", {"code": code_now(device)})
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=world.coordinator).values_list("token", flat=True)
    )
    device.refresh_from_db()
    assert device.confirmed
    assert browser.get("/queue/").status_code == 200  # this session passed the code


def test_the_qr_code_is_made_here_from_the_otpauth_address(world):
    device = totp_device_start(user=world.coordinator)
    svg = two_factor.qr_svg(device)
    assert "<svg" in svg
    assert "href" not in svg  # nothing fetched from anywhere: the secret stays here
    assert device.config_url.startswith("otpauth://totp/MSCC%20coordinator%20service%3Acoordinator")


def test_a_session_from_before_it_was_required_must_sign_in_again(world, enrol, settings):
    browser = Client()
    sign_in_page(browser, "coordinator")
    assert browser.get("/queue/").status_code == 200
    enrol(world.coordinator)
    settings.MSCC_REQUIRE_2FA = True
    response = browser.get("/queue/")
    assert response["Location"] == "/accounts/login/?next=/queue/"


def test_new_recovery_codes_replace_the_old_ones(world, two_factor_on, enrol):
    enrolled = enrol(world.coordinator)
    browser = Client()
    sign_in_page(browser, "coordinator")
    browser.post(CODE_URL, {"code": enrolled.code()})
    page = browser.post("/accounts/two-factor/recovery-codes/").content.decode()
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(new) == 10
    assert not set(new) & set(enrolled.recovery_codes)
    assert token_call(APIClient(), "coordinator", otp=enrolled.recovery_codes[0]).status_code == 400
    assert token_call(APIClient(), "coordinator", otp=new[0]).status_code == 200


def test_the_demo_can_enrol_its_staff_with_a_known_secret(db, monkeypatch, settings):
    """seed_demo with MSCC_DEMO_TOTP_SECRET: the benchmarks' scripted sign-in."""
    from tests.accounts.conftest import SECRET

    monkeypatch.setenv("MSCC_DEMO_PASSWORD", PASSWORD)
    monkeypatch.setenv("MSCC_DEMO_TOTP_SECRET", SECRET)
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    enrolled = TOTPDevice.objects.filter(confirmed=True)
    assert sorted(d.user.username for d in enrolled) == [
        "demo-admin",
        "demo-coordinator",
        "demo-lead",
        "demo-senior",
    ]
    settings.MSCC_REQUIRE_2FA = True
    device = enrolled.get(user__username="demo-coordinator")
    response = token_call(APIClient(), "demo-coordinator", otp=code_now(device))
    assert response.status_code == 200, response.content
