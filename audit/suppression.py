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
  the cell gets a partner in one of its sums, and the rules run again until
  no suppressed cell can be worked out from the sums shown.

What the sums cannot stop (differencing two overlapping queries) is a
residual risk named in the hazard log.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

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
) -> frozenset[Key]:
    """The keys of every cell to show as suppressed."""
    sums = list(sums)
    # A cell alone in a sum is the same figure as its total (a one-month
    # period's month and whole period): exempt with it.
    exempt_keys = frozenset(exempt)
    exempt_keys |= {s.members[0] for s in sums if len(s.members) == 1 and s.total in exempt_keys}
    hidden = {key for key, value in values.items() if is_small(value, threshold)} - exempt_keys
    hidden |= set(forced) & set(values)
    equations = [s for s in sums if s.members]
    while True:
        changed = True
        while changed:
            changed = False
            for equation in equations:
                cells = (equation.total, *equation.members)
                if sum(cell in hidden for cell in cells) != 1:
                    continue
                partner = _partner(equation, values, hidden, exempt_keys)
                if partner is not None:
                    hidden.add(partner)
                    changed = True
        # Each sum has 0 or 2+ unknowns; now the sums together.
        partners = set()
        for cell in _determined(hidden, equations):
            candidates = [
                (values[p], i, p)
                for i, equation in enumerate(equations)
                if cell in (equation.total, *equation.members)
                and (p := _partner(equation, values, hidden, exempt_keys)) is not None
            ]
            if candidates:
                partners.add(min(candidates, key=lambda c: c[:2])[2])
        if not partners:
            return frozenset(hidden)
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


def _determined(hidden: set[Key], equations: list[Sum]) -> list[Key]:
    """The suppressed cells the sums pin down between them: those whose value
    follows from the shown cells by adding and subtracting sums (Gauss-Jordan
    elimination over the suppressed cells, sparse). In a stable order."""
    order: dict[Key, int] = {}
    rows: list[dict[Key, int]] = []
    for equation in equations:
        row: dict[Key, int] = {}
        for cell, sign in ((equation.total, 1), *((m, -1) for m in equation.members)):
            if cell in hidden:
                order.setdefault(cell, len(order))
                row[cell] = (row.get(cell, 0) + sign) % _PRIME
        rows.append({cell: c for cell, c in row.items() if c})
    # Short rows first, each pivoting on its least shared cell: little fill-in.
    uses: dict[Key, int] = {}
    for row in rows:
        for cell in row:
            uses[cell] = uses.get(cell, 0) + 1
    pivots: dict[Key, dict[Key, int]] = {}  # pivot cell -> its reduced row
    holders: dict[Key, set[Key]] = {}  # cell -> pivots whose rows hold it
    for row in sorted(rows, key=len):
        for pivot in [cell for cell in row if cell in pivots]:
            factor = row.get(pivot, 0)
            if factor:
                _subtract(row, pivots[pivot], factor)
        if not row:
            continue
        pivot = min(row, key=lambda cell: (uses[cell], order[cell]))
        inverse = pow(row[pivot], _PRIME - 2, _PRIME)
        row = {cell: c * inverse % _PRIME for cell, c in row.items()}
        for other in list(holders.get(pivot, ())):
            other_row = pivots[other]
            _subtract(other_row, row, other_row[pivot], holders, other)
        pivots[pivot] = row
        for cell in row:
            holders.setdefault(cell, set()).add(pivot)
    return sorted((p for p, row in pivots.items() if len(row) == 1), key=order.__getitem__)


def _subtract(
    row: dict[Key, int],
    pivot_row: dict[Key, int],
    factor: int,
    holders: dict[Key, set[Key]] | None = None,
    owner: Key = None,
) -> None:
    """``row -= factor * pivot_row``, keeping ``holders`` (who holds which
    cell) up to date when ``row`` is the pivot row of ``owner``."""
    for cell, c in pivot_row.items():
        value = (row.get(cell, 0) - factor * c) % _PRIME
        if value:
            if holders is not None and cell not in row:
                holders.setdefault(cell, set()).add(owner)
            row[cell] = value
        elif cell in row:
            del row[cell]
            if holders is not None:
                holders.get(cell, set()).discard(owner)
