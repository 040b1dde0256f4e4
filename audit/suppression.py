"""Small-number suppression for the audit (docs/clinical-rules.md, section 6).

Pure: no Django. A figure is a cell (a count) with a key; some cells add up
to another cell that is also shown (a breakdown's cells to its section's
total; a figure's months to its whole-period value). The rules:

- primary: a count from 1 to the threshold is suppressed, except the cells
  named exempt (the alliance's whole-period total of referrals);
- forced: cells the caller suppresses for a reason of its own (a count whose
  complement is small, for example met when eligible - met is 1 to 5);
- secondary: in every sum that is shown (total = member + member + ...), the
  unknowns are never exactly one, or it could be worked out by subtraction.
  Where one is alone, its partner is the smallest other non-zero member, else
  the total (if not exempt), else a zero member. Repeated until nothing
  changes: a partner may leave another sum with one unknown.

- combined: the sums are read together too. Where several of them pin a
  suppressed cell down between them (two months' cells each with a partner,
  and their columns' totals: the classic "bridge" of a table with margins),
  the smallest shown cell that working-out uses is suppressed as well, and
  the rules run again until no suppressed cell can be worked out;
- unshown: cells the reader never sees but can work out (two categories'
  referrals together, which a timeliness row's clocks add up to) take part
  in the sums as unknowns, needing no protection of their own.

What the sums cannot stop (differencing two overlapping queries) is a
residual risk named in the hazard log.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Key = Hashable


@dataclass(frozen=True)
class Sum:
    """``total`` = the sum of ``members`` (all are cells that are shown)."""

    total: Key
    members: tuple[Key, ...]


def is_small(value: int, threshold: int) -> bool:
    return 1 <= value <= threshold


def suppressed_cells(
    values: Mapping[Key, int],
    *,
    threshold: int,
    sums: Iterable[Sum] = (),
    exempt: Iterable[Key] = (),
    forced: Iterable[Key] = (),
    unshown: Iterable[Key] = (),
    follows: Mapping[Key, Key] | None = None,
) -> frozenset[Key]:
    """The keys of every cell to show as suppressed. ``unshown``: cells the
    reader never sees (a sum of shown cells, such as two categories'
    referrals together): unknown to them, but no figure of their own, so
    nothing is suppressed to keep one from being worked out. ``follows``:
    a cell that goes wherever another goes (``met``, which is at most its
    ``eligible``, would bound it), kept safe in its own sums like any other."""
    follows = follows or {}
    sums = list(sums)
    unshown_keys = frozenset(unshown)
    # A cell alone in a sum is the same figure as its total (a one-month
    # period's month and whole period): exempt with it.
    exempt_keys = frozenset(exempt)
    exempt_keys |= {s.members[0] for s in sums if len(s.members) == 1 and s.total in exempt_keys}
    hidden = {key for key, value in values.items() if is_small(value, threshold)} - exempt_keys
    hidden |= set(forced) & set(values)
    hidden |= unshown_keys
    equations = [s for s in sums if s.members]
    while True:
        changed = True
        while changed:
            changed = False
            for equation in equations:
                unknown = [c for c in (equation.total, *equation.members) if c in hidden]
                if len(unknown) != 1 or unknown[0] in unshown_keys:
                    continue
                partner = _partner(equation, values, hidden, exempt_keys)
                if partner is not None:
                    hidden.add(partner)
                    changed = True
            followers = {follows[k] for k in hidden if k in follows} - hidden
            if followers:
                hidden |= followers
                changed = True
        # Each sum has 0 or 2+ unknowns; now the sums together: a suppressed
        # cell they pin down gets a partner among the shown cells its
        # working-out uses (the smallest non-zero one).
        partners = set()
        for cell, working in _determined(hidden, equations).items():
            if cell not in unshown_keys:
                partner = _used(working, equations, values, hidden, exempt_keys)
                if partner is not None:
                    partners.add(partner)
        if not partners:
            return frozenset(hidden - unshown_keys)
        hidden |= partners


def _partner(
    equation: Sum, values: Mapping[Key, int], hidden: set[Key], exempt: frozenset[Key]
) -> Key | None:
    visible = [m for m in equation.members if m not in hidden and m not in exempt]
    non_zero = sorted((m for m in visible if values[m] > 0), key=lambda m: values[m])
    if non_zero:
        return non_zero[0]
    if equation.total not in hidden and equation.total not in exempt:
        return equation.total
    # Only zeros are left to hide beside it; hiding one still leaves two unknowns.
    return visible[0] if visible else None


# Elimination modulo a large prime: the answers of exact fractions for sums
# of counts (their coefficients stay small integers), without their cost.
_PRIME = 2**61 - 1

Row = dict[Key, int]  # cell -> coefficient
Working = dict[int, int]  # a sum's index -> its multiple


def _terms(equation: Sum) -> Iterable[tuple[Key, int]]:
    return ((equation.total, 1), *((m, -1) for m in equation.members))


def _determined(hidden: set[Key], equations: list[Sum]) -> dict[Key, Working]:
    """The suppressed cells the sums pin down between them, each with its
    working-out: the sums (by index) and the multiple of each that, added
    up, leave that cell alone among the suppressed ones. Gauss-Jordan
    elimination over the suppressed cells, sparse; in a stable order."""
    order: dict[Key, int] = {}
    rows: list[tuple[Row, Working]] = []
    for i, equation in enumerate(equations):
        row: Row = {}
        for cell, sign in _terms(equation):
            if cell in hidden:
                order.setdefault(cell, len(order))
                row[cell] = (row.get(cell, 0) + sign) % _PRIME
        rows.append(({cell: c for cell, c in row.items() if c}, {i: 1}))
    # Short rows first, each pivoting on its least shared cell: little fill-in.
    uses: dict[Key, int] = {}
    for row, _ in rows:
        for cell in row:
            uses[cell] = uses.get(cell, 0) + 1
    pivots: dict[Key, tuple[Row, Working]] = {}  # pivot cell -> its reduced row
    holders: dict[Key, dict[Key, None]] = {}  # cell -> pivots whose rows hold it
    for row, working in sorted(rows, key=lambda r: len(r[0])):
        for pivot in [cell for cell in row if cell in pivots]:
            factor = row.get(pivot, 0)
            if factor:
                _subtract(row, pivots[pivot][0], factor)
                _subtract(working, pivots[pivot][1], factor)
        if not row:
            continue
        pivot = min(row, key=lambda cell: (uses[cell], order[cell]))
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        row = {cell: c * inverse % _PRIME for cell, c in row.items()}
        working = {i: c * inverse % _PRIME for i, c in working.items()}
        for other in list(holders.get(pivot, ())):
            other_row, other_working = pivots[other]
            factor = other_row[pivot]
            _subtract(other_row, row, factor, holders, other)
            _subtract(other_working, working, factor)
        pivots[pivot] = (row, working)
        for cell in row:
            holders.setdefault(cell, {})[pivot] = None
    alone = sorted((p for p, (row, _) in pivots.items() if len(row) == 1), key=order.__getitem__)
    return {p: pivots[p][1] for p in alone}


def _used(
    working: Working,
    equations: list[Sum],
    values: Mapping[Key, int],
    hidden: set[Key],
    exempt: frozenset[Key],
) -> Key | None:
    """The smallest (non-zero first) shown cell that ``working`` uses: the
    partner that stops it. None if it uses only exempt cells."""
    used: Row = {}
    for i, multiple in working.items():
        for cell, sign in _terms(equations[i]):
            if cell not in hidden:
                used[cell] = (used.get(cell, 0) + multiple * sign) % _PRIME
    shown = [cell for cell, c in used.items() if c and cell not in exempt]
    return min(shown, key=lambda cell: (values[cell] == 0, values[cell]), default=None)


def _subtract(
    row: dict[Any, int],
    pivot_row: dict[Any, int],
    factor: int,
    holders: dict[Key, dict[Key, None]] | None = None,
    owner: Key = None,
) -> None:
    """``row -= factor * pivot_row``, keeping ``holders`` (who holds which
    cell) up to date when ``row`` is the pivot row of ``owner``."""
    for cell, c in pivot_row.items():
        value = (row.get(cell, 0) - factor * c) % _PRIME
        if value:
            if holders is not None and cell not in row:
                holders.setdefault(cell, {})[owner] = None
            row[cell] = value
        elif cell in row:
            del row[cell]
            if holders is not None:
                holders.get(cell, {}).pop(owner, None)
