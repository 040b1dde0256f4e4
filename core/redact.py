"""Patient identifiers taken out of paths and log lines (plain Python).

A path that reaches a log or the access record may carry an NHS number or
a name: in its query (``?nhs_number=...``, a search box, a ``next`` that
holds another path) or, from a client's mistake, in the path itself. Logs
carry ids, never identities, so:

* every 10-digit run (an NHS number, spaced or not) becomes ``[redacted]``;
* a query keeps the values of the parameters known to carry only codes,
  dates and page numbers (``SAFE_QUERY_PARAMETERS``); every other value
  becomes ``[redacted]``, so a parameter added later is withheld until it is
  added here.

The request itself is untouched: the API's ``nhs_number`` filter works on
the query as sent; only what is recorded of it is redacted.
"""

import re
from urllib.parse import unquote_plus

REDACTED = "[redacted]"

# An NHS number: ten digits, perhaps spaced 3-3-4, not inside a longer number.
NHS_NUMBER = re.compile(r"(?<![0-9])[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}(?![0-9])")
# Codes, dates, numbers: the only query values a log or the access record keeps.
SAFE_QUERY_PARAMETERS = frozenset(
    {
        # The admin's page, ordering, error flag and list filters on codes.
        "p",
        "o",
        "e",
        "all",
        "category__exact",
        "status__exact",
        "service__id__exact",
        "alliance",
        "at",
        "category",
        "clocks",
        "current",
        "format",
        "from",
        "kind",
        "open",
        "page",
        "page_size",
        "received_from",
        "received_to",
        "shown",
        "sort",
        "status",
        "to",
        "week",
    }
)
_QUERY = re.compile(r"\?[^\s\"']*")
# A UUID (a referral's or a clock's id in a path) may hold ten digits in a
# row; it is never an NHS number, and a mangled id would make an access
# record point nowhere.
_UUID_OR_NHS_NUMBER = re.compile(
    r"(?P<uuid>(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}(?![0-9a-fA-F]))|" + NHS_NUMBER.pattern
)


def _redact_numbers(text: str) -> str:
    """Every NHS number in ``text`` withheld; UUIDs left as they are."""
    return _UUID_OR_NHS_NUMBER.sub(lambda m: m.group("uuid") or REDACTED, text)


def redact_query(query: str) -> str:
    """A query string (without its ``?``) with the values of unsafe parameters
    and every NHS number withheld."""
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        if not eq:
            parts.append(REDACTED if NHS_NUMBER.search(unquote_plus(name)) else name)
            continue
        if unquote_plus(name) not in SAFE_QUERY_PARAMETERS or NHS_NUMBER.search(
            unquote_plus(value)
        ):
            value = REDACTED
        parts.append(f"{name}={value}")
    return "&".join(parts)


def redact_path(full_path: str) -> str:
    """A path with its query (``/api/v1/referrals/?nhs_number=...``), as it
    may be recorded."""
    path, sep, query = full_path.partition("?")
    path = _redact_numbers(path)
    return f"{path}?{redact_query(query)}" if sep else path


def redact_text(text: str) -> str:
    """A log line: the query of any path in it redacted, and every NHS number."""
    if "?" in text:
        text = _QUERY.sub(lambda m: "?" + redact_query(m.group()[1:]), text)
    return _redact_numbers(text)
