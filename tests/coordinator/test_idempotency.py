"""Idempotency-Key: a retry gets the first answer; concurrent requests with one
key make one referral; the same key with another body is refused."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import token_create
from referrals.models import IdempotencyRecord, Referral
from tests.conftest import referral_body

URL = "/api/v1/referrals/"


def test_a_retry_returns_the_first_answer(world, api):
    client = api(world.referrer)
    body = referral_body()
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["reference"] == first.json()["reference"]
    assert again["Idempotency-Key-Replayed"] == "true"
    assert Referral.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(world, api):
    client = api(world.referrer)
    client.post(URL, referral_body(), format="json", HTTP_IDEMPOTENCY_KEY="abc-2")
    response = client.post(URL, referral_body(), format="json", HTTP_IDEMPOTENCY_KEY="abc-2")
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()
    assert Referral.objects.count() == 1


def test_keys_belong_to_their_user(world, api):
    body = referral_body(referring_organisation="WARD-A")
    api(world.coordinator).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    api(world.senior).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert Referral.objects.count() == 2


def test_a_refused_body_stores_no_key_and_can_be_corrected(world, api):
    client = api(world.referrer)
    bad = referral_body(cancer_status="maybe")
    assert client.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 400
    assert IdempotencyRecord.objects.count() == 0
    good = client.post(URL, referral_body(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 201


def test_a_forbidden_body_stores_no_key(world, api):
    body = referral_body(referring_organisation="GP-A2")
    response = api(world.referrer).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 403
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_a_400(world, api, key):
    response = api(world.referrer).post(
        URL, referral_body(), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert Referral.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_make_one_referral(world):
    """Eight threads, eight connections, one key: the unique index on
    (user, key) makes the others wait for the first and replay its answer."""
    token = token_create(user=world.referrer).token
    body = referral_body()
    barrier = threading.Barrier(8)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        try:
            response = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="race")
            with lock:
                results.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _ in results] == [201] * 8
    assert len({rid for _, rid in results}) == 1
    assert Referral.objects.count() == 1
