"""Whatever is sent to the sign-in calls and pages, the answer is a 4xx
naming the problem, never a 500."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.conftest import CODE_URL, TOKEN_URL


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "username"),
        ({"username": "referrer"}, "password"),
        ({"username": ["a"], "password": "x"}, "username"),
        ({"username": "referrer", "password": {"a": 1}}, "password"),
        ({"username": "referrer", "password": "x", "otp": ["1"]}, "otp"),
        ({"username": "referrer", "password": "x", "otp": "1" * 33}, "otp"),
        ({"username": "referrer", "password": "x", "extra": 1}, "extra"),
        ({"username": "u" * 151, "password": "x"}, "username"),
        ({"username": "a\x00b", "password": "x"}, "username"),
    ],
)
def test_a_bad_token_call_names_the_field(world, body, field):
    response = APIClient().post(TOKEN_URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"a string"', "application/json"),
        ("username=referrer&password=x", "application/x-www-form-urlencoded"),
        ("\xff\xfe", "application/json"),
    ],
)
def test_a_malformed_token_call_is_a_4xx(world, content, content_type):
    response = APIClient().post(TOKEN_URL, content, content_type=content_type)
    assert 400 <= response.status_code < 500


def test_the_token_call_takes_a_form_as_before(world):
    from tests.conftest import PASSWORD

    response = APIClient().post(
        TOKEN_URL,
        urlencode({"username": "referrer", "password": PASSWORD}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/auth/sign-out/", "/api/v1/auth/sign-out-everywhere/"])
def test_signing_out_needs_a_sign_in(world, path):
    assert APIClient().post(path).status_code == 401
    assert APIClient().get(path).status_code in (401, 405)


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", CODE_URL, {"code": "x" * 1000}),
        ("get", CODE_URL, None),
        ("get", "/accounts/two-factor/recovery-codes/", None),
        ("post", "/accounts/sign-out-everywhere/", None),
        ("get", "/accounts/two-factor/setup/", None),
        ("post", "/accounts/login/", {"username": "x" * 500, "password": "y"}),
        ("post", "/admin/login/", {"username": "referrer"}),
        ("post", "/accounts/login/", {"username": "a\x00b", "password": "y"}),
        ("post", CODE_URL, {"code": "1\x002"}),
    ],
)
def test_the_pages_answer_without_a_500(world, method, path, data):
    response = getattr(Client(), method)(path, data)
    assert response.status_code < 500
