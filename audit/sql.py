"""The SQL pieces the audit needs that Django has no portable form for:
hours between two times, and a percentile (median, 90th) computed by the
database, so that no row leaves it.

PostgreSQL has ``percentile_cont``; the embedded SQLite default gets the same
definition (linear interpolation between the closest ranks) as an aggregate
registered on each new connection (``register_sqlite_functions``).
"""

import math
from typing import Any

from django.db.models import Aggregate, F, FloatField, Func


class HoursBetween(Func):
    """Hours from ``start`` to ``end`` (NULL when either is NULL)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(*(F(e) if isinstance(e, str) else e for e in (start, end)))

    def _both(self, compiler: Any) -> tuple[str, str, list[Any]]:
        start_sql, start_params = compiler.compile(self.source_expressions[0])
        end_sql, end_params = compiler.compile(self.source_expressions[1])
        return start_sql, end_sql, [*end_params, *start_params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        start, end, params = self._both(compiler)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores aware times on SQLite as UTC text; julianday reads it.
        start, end, params = self._both(compiler)
        return f"((julianday({end}) - julianday({start})) * 24.0)", params

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        raise NotImplementedError(f"No interval arithmetic for {connection.vendor}.")


class Percentile(Aggregate):
    """The continuous percentile (0 to 1) of a value; NULLs are ignored, so a
    ``Case`` that is NULL outside the rows wanted filters it."""

    name = "Percentile"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("A percentile's fraction is from 0 to 1.")
        self.fraction = fraction
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"percentile_cont({float(self.fraction)!r}) WITHIN GROUP (ORDER BY {sql})",
            params,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"mscc_percentile({sql}, {float(self.fraction)!r})", params

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        raise NotImplementedError(f"No percentile for {connection.vendor}.")


def percentile_of(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's
    ``percentile_cont``; Python's ``statistics.quantiles(method="inclusive")``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _SqlitePercentile:
    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        if value is not None:
            self.values.append(float(value))
        self.fraction = fraction

    def finalize(self) -> float | None:
        return percentile_of(self.values, self.fraction)


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On each new SQLite connection (the embedded default): the percentile."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("mscc_percentile", 2, _SqlitePercentile)
