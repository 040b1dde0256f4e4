"""API fields every app's serializers share: strict objects, aware times,
closed code lists. The errors they raise name the field."""

import re
from datetime import datetime
from enum import Enum
from typing import Any

from rest_framework import serializers


def _codes(enum: type[Enum]) -> list[str]:
    return [m.value for m in enum]


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not know, naming them: a misspelt field must not
    be silently dropped from a clinical referral."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset: a time without one is ambiguous across the
    clocks going back, so it is refused rather than guessed."""

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str) and value and not re.search(r"(Z|[+-]\d\d:?\d\d)$", value):
            raise serializers.ValidationError(
                "Give the time with its UTC offset, e.g. 2026-11-24T03:00:00+00:00."
            )
        parsed = super().to_internal_value(value)
        # Nothing the service records is from before 1900 or after 2100 (and
        # a time before 1900 has no standard UTC offset in UK time to show).
        if not 1900 <= parsed.year <= 2100:
            raise serializers.ValidationError("Give a time between 1900 and 2100.")
        return parsed


class CodeField(serializers.ChoiceField):
    default_error_messages = {"invalid_choice": "Unknown code {input!r}; expected one of: {codes}."}

    def __init__(self, enum: type[Enum], **kwargs: Any) -> None:
        self._codes_text = ", ".join(_codes(enum))
        super().__init__(choices=_codes(enum), **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        if str(data) not in self.choice_strings_to_values:
            self.fail("invalid_choice", input=data, codes=self._codes_text)
        return self.choice_strings_to_values[str(data)]


class CodeListField(serializers.ListField):
    def __init__(self, enum: type[Enum], **kwargs: Any) -> None:
        super().__init__(
            child=CodeField(enum), allow_empty=True, required=False, default=list, **kwargs
        )

    def to_internal_value(self, data: Any) -> list[str]:
        # Duplicates are harmless; keep the first of each, in order.
        return list(dict.fromkeys(super().to_internal_value(data)))
