"""One mapping of domain errors to HTTP, shared by the API and the pages."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError

from core.api.exceptions import domain_error, exception_handler
from core.errors import (
    NON_FIELD,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    as_body,
    field_errors,
    http_status,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (DomainError("Bad."), 400),
        (Forbidden("No."), 403),
        (NotFound("Gone."), 404),
        (Conflict("Too late."), 409),
    ],
)
def test_each_kind_has_its_status(error, status):
    assert http_status(error) == status


def test_an_error_naming_no_field_answers_detail_and_code():
    assert as_body(Conflict("Already done.", code="already_done")) == {
        "detail": "Already done.",
        "code": "already_done",
    }
    assert as_body(NotFound("Gone.")) == {"detail": "Gone.", "code": "not_found"}


def test_an_error_naming_a_field_answers_by_field():
    error = Forbidden("Not your service.", field="service")
    assert as_body(error) == {"service": ["Not your service."]}
    assert http_status(error) == 403


def test_an_error_may_name_several_fields():
    error = DomainError(errors={"location": "Required.", "pain": ["Unknown.", "Again."]})
    assert as_body(error) == {"location": ["Required."], "pain": ["Unknown.", "Again."]}
    assert error.field == "location"
    assert error.message == "location: Required. pain: Unknown. pain: Again."


def test_pages_get_the_same_messages_by_input():
    assert field_errors(DomainError("Bad.")) == {NON_FIELD: ["Bad."]}
    assert field_errors(DomainError("Bad.", field="reason")) == {"reason": ["Bad."]}
    assert field_errors(DomainError("Bad."), "general") == {"general": ["Bad."]}


def test_the_api_handler_answers_with_the_mapping():
    response = exception_handler(Conflict("Too late.", field="status"), {})
    assert response.status_code == 409
    assert response.data == {"status": ["Too late."]}
    response = exception_handler(Forbidden("No."), {})
    assert (response.status_code, response.data) == (403, {"detail": "No.", "code": "forbidden"})


def test_a_django_validation_error_from_a_service_reads_as_a_domain_error():
    error = domain_error(DjangoValidationError({"reason": ["Needed."]}))
    assert (http_status(error), as_body(error)) == (400, {"reason": ["Needed."]})
    assert domain_error(ValueError("no")) is None
