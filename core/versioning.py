"""Shared by versioned configurations (pathway versions, escalation policies)."""

from collections.abc import Iterable
from typing import Any

from django.db import models
from simple_history.utils import bulk_create_with_history


def rows_copy(
    *,
    rows: Iterable[models.Model],
    model: type[models.Model],
    parent_field: str,
    parent: models.Model,
    user: Any,
) -> list[models.Model]:
    """Copy ``rows`` under a new parent (a draft), with history. Every concrete
    field but the key and the parent is copied, so a field added later is too."""
    copied = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != parent_field
    ]
    # simple-history is untyped: say what bulk_create_with_history returns.
    created: list[models.Model] = bulk_create_with_history(
        [
            model(**{parent_field: parent}, **{name: getattr(r, name) for name in copied})
            for r in rows
        ],
        model,
        default_user=user,
    )
    return created
