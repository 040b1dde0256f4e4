"""An adversary with the audit summary's CSV: every relation the file shows
between its own figures, and what they give away of the suppressed ones.

The attacker knows what the spec publishes: a breakdown's cells add up to its
section's referrals; a figure's months add up to its whole-period value;
percent_met is 100 x met / eligible; a rate is referrals / population per
100,000 per year; median and 90th percentile are of the clocks that stopped.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

COUNTS = ("referrals", "eligible", "not_appropriate", "pending", "met", "count")
HIDDEN = "*"
# Which columns say who a CSV row is about (with the period, the cell's name).
IDENTITY = ("table", "breakdown", "code", "clock", "category", "reference", "target_hours")

Key = tuple[Any, ...]  # (period, identity..., column)


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def identity(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row[c] for c in IDENTITY)


def key(period: str, row: dict[str, str], column: str) -> Key:
    return (period, *identity(row), column)


@dataclass
class Equation:
    """sum(coefficient x cell) == constant, over the file's cells."""

    terms: dict[Key, int]
    constant: int = 0
    why: str = ""


@dataclass
class Knowledge:
    known: dict[Key, int] = field(default_factory=dict)
    unknown: set[Key] = field(default_factory=set)
    equations: list[Equation] = field(default_factory=list)
    # What the file gave away, with how.
    recovered: dict[Key, str] = field(default_factory=dict)

    def cell(self, k: Key, text: str) -> None:
        if text == HIDDEN:
            self.unknown.add(k)
        elif text != "":
            self.known[k] = int(text)

    def leak(self, k: Key, how: str) -> None:
        self.recovered.setdefault(k, how)


def read(text: str, *, tag: str = "") -> tuple[Knowledge, list[dict[str, str]]]:
    """The cells of one CSV, and the sums it shows (a ``tag`` keeps two files'
    whole-period cells apart while their months stay the same cells)."""
    rows = parse(text)
    knowledge = Knowledge()
    periods = sorted({r["period"] for r in rows if r["period"] != "total"})

    def period_of(row: dict[str, str]) -> str:
        return f"total{tag}" if row["period"] == "total" else row["period"]

    by_identity: dict[tuple[str, ...], dict[str, dict[str, str]]] = defaultdict(dict)
    for row in rows:
        by_identity[identity(row)][period_of(row)] = row
        for column in COUNTS:
            knowledge.cell(key(period_of(row), row, column), row[column])
    # (b), (c): a figure's months add up to its whole-period value.
    for ident, by_period in by_identity.items():
        whole = by_period.get(f"total{tag}")
        if whole is None:
            continue
        for column in COUNTS:
            if whole[column] == "" and all(by_period[p][column] == "" for p in periods):
                continue
            terms = {key(f"total{tag}", whole, column): 1}
            for p in periods:
                terms[key(p, by_period[p], column)] = terms.get(key(p, by_period[p], column), 0) - 1
            knowledge.equations.append(Equation(terms, 0, f"months of {ident} {column}"))
    # (a): a breakdown's cells add up to the section's referrals.
    for p in [*periods, f"total{tag}"]:
        section = [r for r in rows if period_of(r) == p]
        total = next(r for r in section if r["table"] == "referrals" and r["code"] == "total")
        breakdowns: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
        for r in section:
            if r["table"] in ("incidence", "outcomes"):
                breakdowns[(r["table"], r["breakdown"])].append(r)
            if r["table"] == "referrals" and r["code"] != "total":
                twin = next(
                    x
                    for x in section
                    if x["table"] == "incidence"
                    and x["breakdown"] == "category"
                    and x["code"] == r["code"]
                )
                knowledge.equations.append(
                    Equation(
                        {key(p, r, "referrals"): 1, key(p, twin, "referrals"): -1},
                        0,
                        f"{p} referrals {r['code']} is its incidence cell",
                    )
                )
        for (table, breakdown), cells in breakdowns.items():
            column = "referrals" if table == "incidence" else "count"
            terms = {key(p, total, "referrals"): 1}
            for c in cells:
                terms[key(p, c, column)] = -1
            knowledge.equations.append(Equation(terms, 0, f"{p} {breakdown} adds up"))
    return knowledge, rows


def merge(parts: Iterable[Knowledge]) -> Knowledge:
    merged = Knowledge()
    for part in parts:
        merged.known.update(part.known)
        merged.unknown |= part.unknown
        merged.equations += part.equations
    # A cell shown in one file is known in all.
    merged.unknown -= set(merged.known)
    return merged


def solve(knowledge: Knowledge) -> None:
    """Every unknown the equations pin down: by linear algebra (exact
    elimination over the rationals), and by non-negativity (unknowns that
    add up to nothing are all zero)."""
    unknown = sorted(knowledge.unknown, key=str)
    index = {k: i for i, k in enumerate(unknown)}
    matrix: list[list[Fraction]] = []
    for equation in knowledge.equations:
        row = [Fraction(0)] * (len(unknown) + 1)
        rest = Fraction(equation.constant)
        involved = False
        for k, coefficient in equation.terms.items():
            if k in index:
                row[index[k]] += coefficient
                involved = True
            else:
                rest -= coefficient * knowledge.known.get(k, 0)
        if not involved:
            continue
        row[-1] = rest
        matrix.append(row)
        signs = {row[i] > 0 for i in range(len(unknown)) if row[i]}
        if rest == 0 and len(signs) == 1:
            for i in range(len(unknown)):
                if row[i]:
                    knowledge.leak(unknown[i], f"0 by non-negativity: {equation.why}")
    pivots = _reduce(matrix, len(unknown))
    for row_index, column in pivots:
        row = matrix[row_index]
        if all(row[j] == 0 for j in range(len(unknown)) if j != column):
            knowledge.leak(unknown[column], f"= {row[-1] / row[column]} by elimination")


def _reduce(matrix: list[list[Fraction]], width: int) -> list[tuple[int, int]]:
    """Reduced row echelon form in place; the (row, column) of each pivot."""
    pivots = []
    row = 0
    for column in range(width):
        found = next((r for r in range(row, len(matrix)) if matrix[r][column] != 0), None)
        if found is None:
            continue
        matrix[row], matrix[found] = matrix[found], matrix[row]
        lead = matrix[row][column]
        matrix[row] = [v / lead for v in matrix[row]]
        for r in range(len(matrix)):
            if r != row and matrix[r][column] != 0:
                factor = matrix[r][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[row], strict=True)]
        pivots.append((row, column))
        row += 1
    return pivots


def direct(rows: list[dict[str, str]], *, threshold: int, exempt_total: bool) -> list[str]:
    """The leaks one row shows on its own: (d) percent_met beside a suppressed
    count, and met or eligible - met shown from 1 to the threshold; (e) a rate
    beside a suppressed count; (f) a median or 90th percentile beside a
    suppressed count, or left blank beside one (blank says no clock stopped,
    which a suppressed count must not tell); and any count from 1 to the
    threshold shown (but the alliance's grand total, when ``exempt_total``)."""
    problems = []
    for r in rows:
        where = " ".join(r[c] for c in ("period", "table", "breakdown", "code", "reference"))
        if r["table"] == "timeliness":
            e, m, p = r["eligible"], r["met"], r["percent_met"]
            if p not in ("", HIDDEN) and HIDDEN in (e, m):
                problems.append(f"{where}: percent_met {p} beside a suppressed count")
            if e not in ("", HIDDEN) and m not in ("", HIDDEN):
                missed = int(e) - int(m)
                if 1 <= missed <= threshold:
                    problems.append(f"{where}: eligible - met = {missed} shown")
            behind = [e]  # the clocks that stopped are some of these
            if m == HIDDEN and "" in (r["median_hours"], r["p90_hours"]):
                problems.append(f"{where}: a blank median beside a suppressed met says met = 0")
        elif r["table"] == "intervals":
            behind = [r["count"]]
        else:
            behind = [r["referrals"] or r["count"]]
            if r["rate_per_100000"] not in ("", HIDDEN) and behind[0] == HIDDEN:
                problems.append(f"{where}: rate {r['rate_per_100000']} beside a suppressed count")
        if r["table"] in ("timeliness", "intervals") and HIDDEN in behind:
            for name in ("median_hours", "p90_hours"):
                if r[name] != HIDDEN:
                    problems.append(f"{where}: {name} {r[name]!r} beside a suppressed count")
        grand_total = r["table"] == "referrals" and r["code"] == "total" and r["period"] == "total"
        for column in COUNTS:
            value = r[column]
            if value in ("", HIDDEN) or (grand_total and exempt_total):
                continue
            if 1 <= int(value) <= threshold:
                problems.append(f"{where}: {column} = {value} shown")
    return problems
