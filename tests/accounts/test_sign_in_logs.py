"""Sign-in is logged with ids (user id, token id, client address), never a
password, a code, a token or the username typed."""

import json

from django.test import Client
from rest_framework.test import APIClient

from core.logs import JsonFormatter
from tests.accounts.conftest import CODE_URL, sign_in_page, token_call
from tests.conftest import PASSWORD


def lines(caplog) -> list[str]:
    formatter = JsonFormatter()
    return [formatter.format(r) for r in caplog.records]


def test_sign_in_events_carry_ids_and_no_secrets(world, two_factor_on, enrol, caplog, clock):
    caplog.set_level("DEBUG")
    enrolled = enrol(world.coordinator)
    wrong_password = "a-guessed-password-0001"
    api = APIClient(REMOTE_ADDR="198.51.100.10")
    token_call(api, "coordinator", wrong_password)
    token_call(api, "no-such-user-typed-here", wrong_password)
    for i in range(9):
        token_call(api, "coordinator", f"{wrong_password}-{i}")  # the tenth pauses
    code = enrolled.code()
    answer = token_call(APIClient(), "coordinator", otp=code).json()
    token = answer["token"]
    APIClient().post("/api/v1/auth/sign-out/", HTTP_AUTHORIZATION=f"Token {token}")
    clock.shift(31)
    browser = Client()
    sign_in_page(browser, "coordinator")
    browser.post(CODE_URL, {"code": enrolled.recovery_codes[0]})
    world.coordinator.set_password("a brand new passphrase")
    world.coordinator.save()

    text = "\n".join(lines(caplog))
    for secret in [PASSWORD, wrong_password, code, token, token[:15], *enrolled.recovery_codes]:
        assert secret not in text, secret
    assert "no-such-user-typed-here" not in text
    events = [json.loads(line) for line in lines(caplog)]
    names = {e["event"] for e in events}
    assert {
        "sign_in.failed",
        "sign_in.paused",
        "sign_in.succeeded",
        "token.created",
        "token.revoked",
        "two_factor.recovery_code_used",
        "password.changed",
    } <= names
    paused = next(e for e in events if e["event"] == "sign_in.paused")
    assert paused["user_id"] == world.coordinator.pk
    assert paused["client_address"] == "198.51.100.10"
    succeeded = [e for e in events if e["event"] == "sign_in.succeeded"]
    assert {e["second_factor"] for e in succeeded} == {"totp", "recovery_code"}
