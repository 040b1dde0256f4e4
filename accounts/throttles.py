"""The sign-in throttle: SIGN_IN_RATE attempts a minute per client address
(core/client_address.py, never a client-supplied header), counted in the
shared cache (settings.CACHES) so every worker process counts together."""

from typing import Any

from rest_framework.throttling import AnonRateThrottle

from core.client_address import client_address


class SignInThrottle(AnonRateThrottle):
    scope = "sign_in"

    def get_ident(self, request: Any) -> str:
        return client_address(request) or "unknown"

    def get_cache_key(self, request: Any, view: Any) -> str:
        # Signed in or not: a sign-in attempt is counted by address.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def sign_in_throttled(request: Any) -> int | None:
    """For the sign-in pages: None when this attempt may go on, else the
    seconds to wait (the attempt is counted when it may go on)."""
    throttle = SignInThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]  # no view needed
        return None
    wait = throttle.wait()
    return max(1, int(wait or 1))
