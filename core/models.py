"""Model bases shared by every domain app."""

from typing import Any

from django.db import models


class AppendOnlyError(Exception):
    """A row of an append-only table may be added, never changed or removed."""


class AppendOnly(models.Model):
    """Rows that are written once: a correction is a new row, never an edit."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only.")
