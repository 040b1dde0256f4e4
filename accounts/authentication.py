"""API token authentication: django-rest-knox's, refusing a malformed token
with a 401 before it reaches knox (which would fail on bytes that are not
UTF-8 with a 500). The header is the public contract's
``Authorization: Token <token>``; knox checks the token's expiry on every
request and moves its idle expiry on (settings.REST_KNOX)."""

import re
from typing import Any

from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

# A knox token: 64 hexadecimal characters (no prefix is configured).
_TOKEN = re.compile(rb"^[0-9a-f]{64}$")


class TokenAuthentication(KnoxTokenAuthentication):  # type: ignore[misc]
    def authenticate_credentials(self, token: bytes) -> Any:
        if not _TOKEN.match(token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)
