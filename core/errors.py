"""Domain errors raised by services and turned into HTTP answers at the edge."""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The input field the error is about, so the answer can name it.
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, object]:
        if self.field:
            return {self.field: [self.message]}
        return {"detail": self.message, "code": self.code}


class Conflict(DomainError):
    """The action does not fit the record's current state (HTTP 409)."""

    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
