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

What the sums cannot stop (a suppressed cell worked out by combining several
sums, or by differencing two overlapping queries) is a residual risk named
in the hazard log.
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
    exempt_keys = frozenset(exempt)
    hidden = {key for key, value in values.items() if is_small(value, threshold)} - exempt_keys
    hidden |= set(forced) & set(values)
    equations = [s for s in sums if s.members]
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
    return frozenset(hidden)


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
