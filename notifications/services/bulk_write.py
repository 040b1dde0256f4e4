"""Set-based writes for the escalation sweep: one statement per table per
batch, whatever the number of rows (issue 12).

Django's ``bulk_update`` sends ``UPDATE … SET col = CASE WHEN id = … THEN …``
with one branch per row, which PostgreSQL must parse and plan each time; and
``bulk_create`` and ``bulk_update`` prepare every value of every object
through the ORM. Here the values are prepared once per field and sent as
arrays:

* PostgreSQL: ``INSERT … SELECT * FROM unnest(%s::type[], …)`` and
  ``UPDATE … FROM unnest(%s::type[], …) AS v WHERE t.id = v.id``. The SQL
  text depends only on the table and the columns, never on the count.
* Any other database (the embedded SQLite default): the same rows, one
  prepared single-row statement sent with ``executemany``.

Both branches are run on the same rows and compared in
tests/notifications/test_sweep_writes.py. Neither sends signals nor writes
history rows, exactly as ``bulk_create``/``bulk_update`` do not: use them
only for models and columns with no history (``Clock.next_escalation_at`` is
excluded from the clock's history for that reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model


def _fields(model: type[Model], names: Sequence[str] | None) -> list[Field[Any, Any]]:
    concrete = model._meta.concrete_fields
    if names is None:
        return list(concrete)
    by_name = {f.name: f for f in concrete} | {f.attname: f for f in concrete}
    return [by_name[n] for n in names]


# Values psycopg sends as they are, to a column cast to the field's type: on
# PostgreSQL they skip the field's preparation, the bulk of the Python time of
# a large batch. A naive datetime is not among them (the field makes it aware).
_PLAIN = (str, int, float, UUID, timedelta)


def _prepared(value: Any, f: Field[Any, Any], conn: BaseDatabaseWrapper, fast: bool) -> Any:
    if fast and (
        value is None
        or isinstance(value, _PLAIN)
        or (isinstance(value, datetime) and value.tzinfo is not None)
    ):
        return value
    return f.get_db_prep_save(value, conn)


def _columns(
    objs: Sequence[Model], fields: list[Field[Any, Any]], conn: BaseDatabaseWrapper, fast: bool
) -> list[list[Any]]:
    """One list of prepared database values per field, in object order."""
    return [[_prepared(getattr(obj, f.attname), f, conn, fast) for obj in objs] for f in fields]


def _column(f: Field[Any, Any]) -> str:
    if f.column is None:
        raise ValueError(f"{f.name} has no column")
    return f.column


def _execute_bound(statement: str, params: list[list[Any]]) -> None:
    """Run one statement with its parameters bound on the server.

    Django's psycopg cursors bind on the client: every value of every array
    would be quoted into the SQL text in Python, and parsed back by the
    server. A plain psycopg cursor on the same connection (so in the same
    transaction) sends them as parameters instead. It bypasses Django's
    execute wrappers (``connection.execute_wrapper`` logging does not see
    it)."""
    connection.ensure_connection()
    raw = connection.connection
    if raw is None:
        raise RuntimeError("no database connection")
    import psycopg

    with psycopg.Cursor(raw) as cursor:
        cursor.execute(statement, params)


def _unnest_parts(
    fields: list[Field[Any, Any]], columns: list[list[Any]]
) -> tuple[str, str, list[Any]]:
    """The select list, the ``unnest(…) AS v(…)`` and the parameters for
    these columns, the first (the key) always an array. A column with one
    value in every row (``created_at``, ``round``, a NULL) is sent once, as a
    scalar, not as an array of copies. Placeholders are ``%b``: psycopg dumps
    arrays in binary several times faster than as text."""
    values: list[str] = []
    scalars: list[Any] = []
    arrays: list[str] = []
    aliases: list[str] = []
    vectors: list[Any] = []
    for i, (f, column) in enumerate(zip(fields, columns, strict=True)):
        cast = f.db_type(connection)
        first = column[0]
        same = all(v is None for v in column) if first is None else all(v == first for v in column)
        if i and same:
            values.append(f"NULL::{cast}" if first is None else f"%b::{cast}")
            if first is not None:
                scalars.append(first)
        else:
            values.append(f"v.c{i}")
            arrays.append(f"%b::{cast}[]")
            aliases.append(f"c{i}")
            vectors.append(column)
    unnest = f"unnest({', '.join(arrays)}) AS v({', '.join(aliases)})"
    return ", ".join(values), unnest, scalars + vectors


def _use_unnest(conn: BaseDatabaseWrapper) -> bool:
    return conn.vendor == "postgresql"


def rows_insert(objs: Sequence[Model], *, unnest: bool | None = None) -> None:
    """INSERT these new objects (primary keys already set, as a UUID default
    sets them) in one statement on PostgreSQL. Raises on any conflict, as
    ``bulk_create`` does: the caller's transaction rolls back."""
    if not objs:
        return
    model = type(objs[0])
    fields = _fields(model, None)
    for f in fields:
        if getattr(objs[0], f.attname) is None and f.primary_key:
            raise ValueError(f"{model.__name__}: rows_insert needs primary keys set")
    use_unnest = _use_unnest(connection) if unnest is None else unnest
    columns = _columns(objs, fields, connection, use_unnest)
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = ", ".join(qn(_column(f)) for f in fields)
    if use_unnest:
        values, arrays, params = _unnest_parts(fields, columns)
        _execute_bound(
            f"INSERT INTO {table} ({names}) SELECT {values} FROM {arrays}",  # noqa: S608
            params,
        )
    else:
        marks = ", ".join(["%s"] * len(fields))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                list(zip(*columns, strict=True)),
            )
    for obj in objs:
        # Saved, as bulk_create leaves them: a later save() is an UPDATE.
        obj._state.adding = False
        obj._state.db = connection.alias


def rows_update(objs: Sequence[Model], names: Sequence[str], *, unnest: bool | None = None) -> None:
    """UPDATE these columns of these saved objects to the objects' values, by
    primary key, in one statement on PostgreSQL."""
    if not objs:
        return
    model = type(objs[0])
    pk = model._meta.pk
    if pk is None:
        raise ValueError(f"{model.__name__} has no primary key")
    fields = _fields(model, names)
    use_unnest = _use_unnest(connection) if unnest is None else unnest
    columns = _columns(objs, [pk, *fields], connection, use_unnest)
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    if use_unnest:
        values, arrays, params = _unnest_parts([pk, *fields], columns)
        sets = ", ".join(
            f"{qn(_column(f))} = {value}"
            for f, value in zip(fields, values.split(", ")[1:], strict=True)
        )
        _execute_bound(
            f"UPDATE {table} SET {sets} FROM {arrays} "  # noqa: S608
            f"WHERE {table}.{qn(_column(pk))} = v.c0",
            params,
        )
    else:
        sets = ", ".join(f"{qn(_column(f))} = %s" for f in fields)
        keyed_last = columns[1:] + columns[:1]  # the key last, for the WHERE
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {qn(_column(pk))} = %s",  # noqa: S608
                list(zip(*keyed_last, strict=True)),
            )
