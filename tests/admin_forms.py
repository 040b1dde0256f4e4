"""Helpers for the admin tests of a versioned configuration: a signed-in
client, the messages a response carried, and what a draft's change page posts
(its note and every inline row)."""

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.contrib.messages import get_messages
from django.test import Client
from django.utils.duration import duration_string

from referrals.models import User


def staff(user: User) -> User:
    user.is_staff = True
    user.save()
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def inline_post(
    parent: Any,
    *,
    prefix: str,
    parent_field: str,
    rows: Iterable[Any],
    row_form: Callable[[Any], dict[str, Any]],
    note: str | None = None,
    changes: dict[int, dict[str, Any]] | None = None,
    delete: frozenset[int] = frozenset(),
    add: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """What the change page of ``parent`` posts: its note and every row (as
    ``row_form`` gives its fields), with ``changes`` (by row id) applied, the
    rows in ``delete`` ticked for deletion and the rows in ``add`` added."""
    stored = list(rows)
    data: dict[str, Any] = {
        "note": parent.note if note is None else note,
        f"{prefix}-TOTAL_FORMS": str(len(stored) + len(add)),
        f"{prefix}-INITIAL_FORMS": str(len(stored)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    posted = [
        {
            "id": row.pk,
            parent_field: parent.pk,
            **row_form(row),
            **(changes or {}).get(row.pk, {}),
            **({"DELETE": "on"} if row.pk in delete else {}),
        }
        for row in stored
    ]
    posted += [{parent_field: parent.pk, **row} for row in add]
    for n, row in enumerate(posted):
        for field, value in row.items():
            if isinstance(value, timedelta):
                value = duration_string(value)
            data[f"{prefix}-{n}-{field}"] = "" if value is None else value
    return data
