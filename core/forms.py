"""Form fields shared by the apps' admin pages and forms.

``HoursMinutesField`` edits a ``DurationField`` as a service admin says it:
one text input reading "24 h", "1 h 30 min" or "90 min" (core/durations.py),
shown back the same way, with an error that says what to type.
"""

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core import durations


class HoursMinutesInput(forms.TextInput):
    def format_value(self, value: Any) -> str | None:
        if isinstance(value, timedelta):
            return durations.hours_minutes(value)
        formatted: str | None = super().format_value(value)
        return formatted


class HoursMinutesField(forms.Field):
    widget = HoursMinutesInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("size", "12")
        self.widget.attrs.setdefault("autocomplete", "off")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, timedelta):
            return durations.hours_minutes(value)
        return value

    def to_python(self, value: Any) -> timedelta | None:
        if isinstance(value, timedelta):
            return value
        if value in self.empty_values:
            return None
        try:
            return durations.parse(str(value))
        except durations.DurationProblem as problem:
            raise ValidationError(str(problem), code="invalid") from None
