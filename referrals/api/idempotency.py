"""Idempotency-Key for POSTs: a retried request gets the first answer.

The record is inserted in the same transaction as the referral. A concurrent
request with the same key blocks on the unique index until the first commits,
then reads the stored answer; if the first rolled back, the second proceeds.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from rest_framework import status
from rest_framework.response import Response

from referrals.models import IdempotencyRecord, User

HEADER = "Idempotency-Key"


def key_problem(key: str) -> str | None:
    if not key or len(key) > 255 or not key.isprintable():
        return "Idempotency-Key must be 1 to 255 printable characters."
    return None


def body_hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(*, user: User, key: str, data: Any, action: Callable[[], Response]) -> Response:
    """Run ``action`` once per (user, key); replay its answer afterwards."""
    request_hash = body_hash(data)
    with transaction.atomic():
        record, created = IdempotencyRecord.objects.get_or_create(
            user=user, key=key, defaults={"request_hash": request_hash}
        )
        if not created:
            if record.request_hash != request_hash:
                return Response(
                    {HEADER: ["This key was already used with a different request body."]},
                    status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                )
            response = Response(record.response_body, status=record.status_code)
            response[HEADER + "-Replayed"] = "true"
            return response
        response = action()
        record.status_code = response.status_code
        record.response_body = response.data
        record.save(update_fields=["status_code", "response_body"])
        return response
