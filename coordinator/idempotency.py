"""Run a create once per (user, key) and replay its outcome afterwards.

Used by the API's Idempotency-Key header and by the referral page's hidden
submission key (a double-clicked submit must not make two referrals).

The record is inserted in the same transaction as the referral. A concurrent
request with the same key blocks on the unique index until the first commits,
then reads the stored outcome; if the first rolled back, the second proceeds.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from core.errors import DomainError
from referrals.models import IdempotencyRecord, User


class KeyReused(DomainError):
    """The key was already used for a different request."""

    status_code = 422
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: Any
    replayed: bool


def body_hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    *, user: User, key: str, data: Any, action: Callable[[], tuple[int, Any]], field: str
) -> Outcome:
    """Run ``action`` (returning status and JSON-able body) once per key.

    ``field`` names the input that carries the key, for the error when the
    key is reused with other data.
    """
    request_hash = body_hash(data)
    with transaction.atomic():
        record, created = IdempotencyRecord.objects.get_or_create(
            user=user, key=key, defaults={"request_hash": request_hash}
        )
        if not created:
            if record.request_hash != request_hash:
                raise KeyReused("This key was already used with a different request.", field=field)
            return Outcome(record.status_code or 200, record.response_body, replayed=True)
        status_code, body = action()
        record.status_code = status_code
        record.response_body = body
        record.save(update_fields=["status_code", "response_body"])
        return Outcome(status_code, body, replayed=False)
