"""A JSON parser that is strict about size and shape.

Malformed JSON, a body over the size limit, nesting deeper than
``API_MAX_JSON_DEPTH``, or a top level that is not an object all become a
400/413 with a message, never a 500.
"""

import json
import re
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "body_too_large"


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(f"Request body is too large: the limit is {limit} bytes.")
        depth = settings.API_MAX_JSON_DEPTH
        if nesting_exceeds(raw, depth):
            raise ParseError(
                f"The JSON is nested too deeply: at most {depth} levels of arrays and objects."
            )
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
        except RecursionError as exc:  # the check above should make this unreachable
            raise ParseError("The JSON is nested too deeply.") from exc
        if not isinstance(data, dict):
            raise ParseError("The request body must be a JSON object.")
        return data


# A JSON string, escapes included: its brackets are text, not nesting.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


def nesting_exceeds(raw: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` in ``raw``,
    counted before parsing: Python's parser recurses once per level and
    fails with RecursionError (a 500) on a few thousand."""
    depth = 0
    for byte in _STRING.sub(b'""', raw).translate(None, _NOT_BRACKETS):
        if byte in _OPENING:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _reject_constant(name: str) -> None:
    # NaN and Infinity are not JSON; Python accepts them by default.
    raise ValueError(f"{name} is not valid JSON")
