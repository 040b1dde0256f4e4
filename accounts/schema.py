"""The API token in the OpenAPI schema: the same ``tokenAuth`` scheme as
DRF's token had (``Authorization: Token <token>``), now for knox's tokens."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "accounts.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A token from POST /api/v1/auth/token/, with the prefix "Token": '
            "`Token <token>`. It lapses after an idle hour and 12 hours in all.",
        }
