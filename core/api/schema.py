"""The OpenAPI schema's error answers, and paginated lists.

Every answer that is not a success has one of the two shapes of
``core/errors.py``: ``{field: [message, ...]}`` or ``{"detail": ..., "code": ...}``
(DRF's own errors: ``{"detail": ...}``). ``error_responses`` (a
drf-spectacular post-processing hook) adds them to every operation by what
it can answer: 401 and 403 where a sign-in is needed, 400 and 413 for a body,
400 for query filters, 404 for an id in the path, 409 for a workflow step,
and 429 (with ``Retry-After``) for the referral intake and the token call.
"""

from typing import Any

from rest_framework import serializers

ERROR = {
    "type": "object",
    "description": "An error naming no field, or one of DRF's.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "The messages for each input field at fault (unknown fields included); "
    "a nested input (the patient, a list) has its own field errors.",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"$ref": "#/components/schemas/FieldErrors"},
        ]
    },
}
_ERROR = {"$ref": "#/components/schemas/Error"}
_EITHER = {"oneOf": [{"$ref": "#/components/schemas/FieldErrors"}, _ERROR]}
_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds until a request of this kind is taken again.",
    }
}
_DESCRIPTIONS = {
    "400": "Bad input: each field at fault named, nothing stored.",
    "401": "Not signed in (no token, or one that is not valid).",
    "403": "Signed in, but this role or organisation may not do this.",
    "404": "No such record, or none you may see.",
    "409": "The record's state does not allow this now.",
    "413": "The body is over the size limit.",
    "422": "The Idempotency-Key was already used with another body.",
    "429": "Too many requests: see Retry-After; for a referral, phone the MSCC coordinator.",
}
_BODY_METHODS = frozenset({"post", "put", "patch"})


def error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _BODY_METHODS | {"get", "delete"}:
                continue
            codes: set[str] = set()
            signed_in = operation.get("security") != [{}] and {} not in operation.get(
                "security", []
            )
            if signed_in:
                codes |= {"401", "403"}
            if method in _BODY_METHODS:
                codes |= {"400", "413"}
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                codes.add("400")
            if "{" in path:
                codes.add("404")
            if method == "post" and "{" in path and path.startswith("/api/v1/referrals/"):
                codes.add("409")
            if method == "post" and path in ("/api/v1/referrals/", "/api/v1/auth/token/"):
                codes.add("429")
            if method == "post" and path == "/api/v1/referrals/":
                codes.add("422")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                if code in responses:
                    continue
                answer: dict[str, Any] = {
                    "description": _DESCRIPTIONS[code],
                    "content": {
                        "application/json": {"schema": _EITHER if code == "400" else _ERROR}
                    },
                }
                if code == "429":
                    answer["headers"] = _RETRY_AFTER
                responses[code] = answer
    return result


_PAGES: dict[tuple[type, tuple[str, ...]], type] = {}


def paginated(
    item: type[serializers.Serializer[Any]], **extra: serializers.Field[Any, Any, Any, Any]
) -> type:
    """The serializer of one page of ``item`` as ``core.api.pagination.Pagination``
    answers it (``count``, ``next``, ``previous``, ``results``), for the schema:
    one class per item (one schema component)."""
    key = (item, tuple(sorted(extra)))
    if key in _PAGES:
        return _PAGES[key]
    fields: dict[str, Any] = {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
        **extra,
    }
    name = item.__name__.removesuffix("Serializer").removesuffix("Output")
    _PAGES[key] = type(f"Paginated{name}List", (serializers.Serializer,), fields)
    return _PAGES[key]
