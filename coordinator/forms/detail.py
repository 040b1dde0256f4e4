"""The referral page's working forms: their inputs, a post as the serializer's
input, and the errors back on the inputs.
"""

from typing import Any

from django.http import QueryDict

from coordinator.forms.common import NON_FIELD, _messages, local_time_to_iso
from pathways import scoring
from pathways.codes import ScoreKind

# Each form posts the names its API serializer takes (EventInput, StatusInput,
# MdtInput, NotAppropriateInput, ScoreRecordInput, SuspectedAtInput,
# LinkInput), so the page and the API accept and refuse the same things. As
# for the referral form, an empty input is left out: the serializer then
# applies its default or says it is required.

EVENT_FIELDS = ("kind", "occurred_at", "ambulatory", "details")
WITHDRAW_FIELDS = ("reason",)
STATUS_FIELDS = ("status", "reason", "redirected_to", "occurred_at")
MDT_FIELDS = (
    "decided_at",
    "participants",
    "decision",
    "reasons",
    "care_plan",
    "high_risk_of_side_effects",
)
NOT_APPROPRIATE_FIELDS = ("reason",)
SUSPECTED_AT_FIELDS = ("suspected_at", "reason")
LINK_FIELDS = ("duplicate_of", "reason")
SCORE_FIELDS: dict[str, tuple[str, ...]] = {
    ScoreKind.SINS: tuple(scoring.SINS_CODES),
    ScoreKind.TOKUHASHI: scoring.TOKUHASHI_COMPONENTS,
}
# Inputs of the working forms that are datetime-local (UK wall-clock time).
_LOCAL_TIMES = frozenset({"occurred_at", "decided_at", "suspected_at"})
_CHECKBOXES = frozenset({"high_risk_of_side_effects"})


def form_values(post: QueryDict, names: tuple[str, ...]) -> dict[str, Any]:
    """What the user entered, to show again beside the errors."""
    return {name: (name in post) if name in _CHECKBOXES else post.get(name, "") for name in names}


def form_data(post: QueryDict, names: tuple[str, ...]) -> dict[str, Any]:
    """A working form's post as its serializer's input."""
    data: dict[str, Any] = {}
    for name in names:
        if name in _CHECKBOXES:
            data[name] = name in post
            continue
        value = post.get(name, "").strip()
        if value == "":
            continue
        data[name] = local_time_to_iso(value) if name in _LOCAL_TIMES else value
    return data


def score_data(kind: str, post: QueryDict) -> dict[str, Any]:
    """A score form's post as ScoreRecordInput's body: the kind, and its components."""
    return {"kind": kind, "inputs": form_data(post, SCORE_FIELDS[kind])}


def blank_values(names: tuple[str, ...]) -> dict[str, Any]:
    return {name: (False if name in _CHECKBOXES else "") for name in names}


def form_errors(
    errors: dict[str, Any], names: tuple[str, ...], renamed: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Errors (a serializer's, a service's) keyed by the form's inputs; an error
    about anything the form has no input for is the form's general error.
    ``renamed`` maps a serializer or service field to the page input it is about."""
    renamed = renamed or {}
    page: dict[str, list[str]] = {}
    for key, value in errors.items():
        if key == "inputs" and isinstance(value, dict):
            # A score's components: each is an input of the score form.
            for name, messages in form_errors(value, names, renamed).items():
                page.setdefault(name, []).extend(messages)
            continue
        name = renamed.get(key, key)
        page.setdefault(name if name in names else NON_FIELD, []).extend(_messages(value))
    return page
