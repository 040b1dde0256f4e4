"""The referral list's search form: what it posts, read into a
``ReferralSearch``, and its errors beside the inputs.

The search text may be an NHS number, so it is only ever read from a POST
(with its CSRF token): never from the address, where it would be kept in
the browser's history, proxies' logs and the access record. The filters that
are codes (category, status, clocks, open only, order) may come from the
address too.

One box takes an NHS number, a name or a reference, told apart by what was
typed: digits (spaces and dashes allowed) are an NHS number, checked like
the referral form's (10 digits, Modulus 11); ``MSCC-`` and eight letters
and digits, or eight with a digit among them, a reference; letters a name
(eight letters of the references' alphabet are searched as both).
Anything else is refused, naming the box, rather than guessed at.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coordinator.referral_search import REFERENCE, ClockFilter, ListSort, ReferralSearch
from referrals import nhs_number
from referrals.codes import Category, ReferralStatus

# The inputs, in form order; "q" is the search text.
SEARCH_FIELDS = ("q", "category", "status", "clocks", "open", "sort")
# Those that may come from the address: codes, never an identifier.
ADDRESS_FIELDS = ("category", "status", "clocks", "open", "sort")
FIELD_LABELS = {
    "q": "NHS number, name or reference",
    "category": "Category",
    "status": "Status",
    "clocks": "Clocks",
    "open": "Open referrals only",
    "sort": "Order",
}
SEARCH_MAX_LENGTH = 100
# Letters of any alphabet, and the marks names carry.
_NAME = re.compile(r"[^\W\d_]+(?:[ '\u2019.,-]+[^\W\d_]+)*[.]?")
_NHS_NUMBER_LIKE = re.compile(r"[0-9][0-9 -]*")
_TRUE = ("1", "on", "true", "yes")
_FALSE = ("", "0", "off", "false", "no")


@dataclass
class SearchForm:
    """A read of the form: the values to show again, the errors by input,
    and the search (None when there is an error)."""

    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    search: ReferralSearch | None = None

    def error_summary(self) -> list[dict[str, str]]:
        return [
            {"name": name, "label": FIELD_LABELS[name], "message": message}
            for name in SEARCH_FIELDS
            for message in self.errors.get(name, [])
        ]

    def hidden(self) -> list[tuple[str, str]]:
        """The search as hidden inputs: what the export and the page buttons
        post, so they act on exactly the list shown."""
        return [(name, str(self.values[name])) for name in SEARCH_FIELDS if self.values[name]]


def _text(data: Mapping[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    raw = str(data.get("q", ""))
    text = " ".join(raw.split())
    if not text:
        return {}
    if len(raw) > SEARCH_MAX_LENGTH:
        errors["q"] = [f"Type at most {SEARCH_MAX_LENGTH} characters."]
        return {}
    if _NHS_NUMBER_LIKE.fullmatch(text):
        problem = nhs_number.problem(text)
        if problem:
            errors["q"] = [problem]
            return {}
        return {"nhs_number": nhs_number.normalise(text)}
    reference = REFERENCE.fullmatch(text)
    if reference and (text.upper().startswith("MSCC") or any(c.isdigit() for c in text)):
        return {"reference": "MSCC-" + reference.group(1).upper()}
    if _NAME.fullmatch(text):
        terms = tuple(t for t in re.split(r"[\s,]+", text.replace(".", " ")) if t)
        if sum(len(t) for t in terms) < 2:
            errors["q"] = ["Type at least 2 letters of a name."]
            return {}
        if reference:
            # Eight letters of the references' alphabet: a reference typed
            # without MSCC- (one in ten has no digit), or a name. Either matches.
            return {"name_terms": terms, "reference": "MSCC-" + reference.group(1).upper()}
        return {"name_terms": terms}
    errors["q"] = [
        "Type an NHS number (10 digits), a family or given name, "
        "or a reference such as MSCC-7K3M9QPX."
    ]
    return {}


def _choice(
    data: Mapping[str, Any], name: str, codes: list[str], errors: dict[str, list[str]]
) -> str:
    value = str(data.get(name, ""))
    if value and value not in codes:
        errors[name] = [f"Choose a {FIELD_LABELS[name].lower()} from the list."]
        return ""
    return value


def search_form(data: Mapping[str, Any], *, text_allowed: bool) -> SearchForm:
    """Read the list's inputs from ``data`` (a POST, or the address when
    ``text_allowed`` is False, where a search text is refused unread)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {name: str(data.get(name, "")) for name in SEARCH_FIELDS}
    if text_allowed:
        found = _text(data, errors)
    else:
        found = {}
        if values["q"]:
            errors["q"] = ["Type the search in the box: a search is never sent in the web address."]
        values["q"] = ""  # never shown back from an address
    category = _choice(data, "category", [c.value for c in Category], errors)
    status = _choice(data, "status", [s.value for s in ReferralStatus], errors)
    clocks = _choice(data, "clocks", [c.value for c in ClockFilter], errors)
    sort = _choice(data, "sort", [s.value for s in ListSort], errors)
    open_value = values["open"].lower()
    if open_value not in _TRUE + _FALSE:
        errors["open"] = ["Tick the box, or leave it empty."]
    values["open"] = "1" if open_value in _TRUE else ""
    if errors:
        return SearchForm(values=values, errors=errors)
    return SearchForm(
        values=values,
        search=ReferralSearch(
            **found,
            category=category,
            status=status,
            clocks=clocks,
            open_only=open_value in _TRUE,
            sort=ListSort(sort) if sort else ListSort.NEWEST,
        ),
    )
