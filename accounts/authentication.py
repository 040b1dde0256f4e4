"""API token authentication: django-rest-knox's, with two changes.

- A malformed token is refused with a 401 before it reaches knox (which
  fails on bytes that are not UTF-8 with a 500).
- Knox reads all of a user's tokens on every request to delete their lapsed
  ones; here only the presented token's expiry is checked (no extra query),
  and lapsed tokens are deleted when they are presented or at the user's
  next sign-in (``accounts.services.token_create``).

The header is the public contract's ``Authorization: Token <token>``; knox
checks the expiry and moves the idle expiry on (settings.REST_KNOX).
"""

import re
from typing import Any

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

from core.logs import get_logger

log = get_logger(__name__)

# A knox token: 64 hexadecimal characters (no prefix is configured).
_TOKEN = re.compile(rb"^[0-9a-f]{64}$")


class TokenAuthentication(KnoxTokenAuthentication):  # type: ignore[misc]
    def authenticate_credentials(self, token: bytes) -> Any:
        if not _TOKEN.match(token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token: Any) -> bool:
        """True (and the token deleted) when the presented token has lapsed."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            log.info("token.lapsed", user_id=auth_token.user_id, token_id=auth_token.digest[:12])
            auth_token.delete()
            return True
        return False
