"""The Idempotency-Key header of POST /api/v1/referrals/ (coordinator/idempotency.py
does the work)."""

from collections.abc import Callable
from typing import Any

from rest_framework.response import Response

from coordinator import idempotency
from referrals.models import User

HEADER = "Idempotency-Key"
REPLAYED_HEADER = HEADER + "-Replayed"


def key_problem(key: str) -> str | None:
    if not key or len(key) > 255 or not key.isprintable():
        return "Idempotency-Key must be 1 to 255 printable characters."
    return None


def run_once(*, user: User, key: str, data: Any, action: Callable[[], Response]) -> Response:
    """Run ``action`` once per (user, key); replay its answer afterwards."""

    def act() -> tuple[int, Any]:
        response = action()
        return response.status_code, response.data

    outcome = idempotency.run_once(user=user, key=key, data=data, action=act, field=HEADER)
    response = Response(outcome.body, status=outcome.status_code)
    if outcome.replayed:
        response[REPLAYED_HEADER] = "true"
    return response


def replayed(response: Response) -> bool:
    """Whether ``response`` is a stored answer sent again."""
    return response.get(REPLAYED_HEADER) == "true"
