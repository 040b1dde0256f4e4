"""Domain errors raised by services, and the one mapping of them to HTTP.

A service refuses with a ``DomainError`` (400) or one of its kinds:
``Forbidden`` (403), ``NotFound`` (404), ``Conflict`` (409),
``TooManyRequests`` (429, with the seconds for ``Retry-After``). The edges never
decide a status or a body themselves: the API's exception handler
(``core/api/exceptions.py``) and the pages (``coordinator/views``,
``notifications/views.py``) both ask ``http_status(error)`` and
``as_body(error)`` (or, to put messages beside a page's inputs,
``field_errors(error)``).

An answer has one of two shapes, and only these:

* ``{field: [message, ...], ...}`` when the error names one or more fields;
* ``{"detail": message, "code": code}`` otherwise.

Plain Python (no Django), like the codes.
"""

from collections.abc import Mapping, Sequence

# The key a page uses for messages that belong to no one input (Django's
# NON_FIELD_ERRORS).
NON_FIELD = "__all__"


class DomainError(Exception):
    """The request cannot be done as asked (HTTP 400)."""

    status_code = 400
    code = "invalid"

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        code: str | None = None,
        errors: Mapping[str, str | Sequence[str]] | None = None,
    ) -> None:
        # ``errors`` names several fields at once, each with its messages;
        # ``field`` names one, with ``message``.
        by_field: dict[str, list[str]] = {}
        for name, problems in (errors or {}).items():
            by_field[name] = [problems] if isinstance(problems, str) else list(problems)
        if field and not by_field:
            by_field[field] = [message]
        if not message:
            message = " ".join(f"{name}: {m}" for name, ms in by_field.items() for m in ms)
        super().__init__(message)
        self.message = message
        self.errors = by_field
        # The (first) input field the error is about, so the answer can name it.
        self.field = field or next(iter(by_field), None)
        if code:
            self.code = code

    def as_dict(self) -> dict[str, object]:
        return as_body(self)


class Conflict(DomainError):
    """The action does not fit the record's current state (HTTP 409)."""

    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    """The user may not do this (HTTP 403)."""

    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    """No such record, or none the user may see (HTTP 404)."""

    status_code = 404
    code = "not_found"


class TooManyRequests(DomainError):
    """Too many requests of this kind, for now (HTTP 429): ``retry_after``
    is the number of seconds after which one will be taken again."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))


def retry_after(error: DomainError) -> int | None:
    """Seconds for a ``Retry-After`` header, for a 429; None otherwise."""
    return error.retry_after if isinstance(error, TooManyRequests) else None


def http_status(error: DomainError) -> int:
    """The HTTP status of a domain error: 400, 403, 404 or 409 (or a
    subclass's own, e.g. 422 for a reused idempotency key)."""
    return error.status_code


def as_body(error: DomainError) -> dict[str, object]:
    """The answer's body, in one of the two shapes (module docstring)."""
    if error.errors:
        return {name: list(messages) for name, messages in error.errors.items()}
    return {"detail": error.message, "code": error.code}


def field_errors(error: DomainError, non_field: str = NON_FIELD) -> dict[str, list[str]]:
    """Every message by the input it belongs to, those naming no field under
    ``non_field``: what a page shows beside its inputs."""
    if error.errors:
        return {name: list(messages) for name, messages in error.errors.items()}
    return {non_field: [error.message]}
