"""The referral state map: the only moves there are.

Pure data and one check, so the map can be read in one place.
"""

from referrals.codes import TERMINAL_STATUSES, ReferralStatus

S = ReferralStatus

# Every non-terminal state may also end in one of the terminal states.
_FORWARD: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.RECEIVED: frozenset({S.TRIAGED}),
    S.TRIAGED: frozenset({S.INVESTIGATING, S.TREATMENT_PLANNED}),
    S.INVESTIGATING: frozenset({S.TREATMENT_PLANNED}),
    S.TREATMENT_PLANNED: frozenset({S.TREATING}),
    S.TREATING: frozenset({S.REHABILITATION, S.CLOSED}),
    S.REHABILITATION: frozenset({S.CLOSED}),
}
_ENDINGS = frozenset({S.CLOSED_NOT_MSCC, S.REDIRECTED, S.WITHDRAWN, S.DIED})

TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    state: nexts | _ENDINGS for state, nexts in _FORWARD.items()
}
for _terminal in TERMINAL_STATUSES:
    TRANSITIONS[_terminal] = frozenset()


def transition_problem(current: str, target: str) -> str | None:
    """Why ``current`` may not move to ``target``, or None if it may."""
    current_s, target_s = ReferralStatus(current), ReferralStatus(target)
    if current_s in TERMINAL_STATUSES:
        state = current_s.in_sentence
        return f"The referral is {state}: a closed referral cannot change."
    if target_s not in TRANSITIONS[current_s]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current_s]))
        return (
            f"A referral cannot move from {current_s.value} to {target_s.value} "
            f"(allowed: {allowed})."
        )
    return None


# What each move needs besides the target state (the status API names them).
REQUIRED_FIELDS: dict[ReferralStatus, tuple[str, ...]] = {
    S.CLOSED: ("reason",),
    S.CLOSED_NOT_MSCC: ("reason",),
    S.REDIRECTED: ("reason", "redirected_to"),
    S.WITHDRAWN: ("reason",),
    S.DIED: ("occurred_at",),
}


def missing_fields(target: str, given: dict[str, object]) -> dict[str, str]:
    """The fields a move to ``target`` needs that ``given`` lacks, with why."""
    return {
        name: f"Needed to move a referral to {ReferralStatus(target).in_sentence}."
        for name in REQUIRED_FIELDS.get(ReferralStatus(target), ())
        if not given.get(name)
    }


def reopen_problem(current: str, target: str, before: str) -> str | None:
    """Why a closed referral may not be reopened to ``target``, or None if it
    may: a terminal move entered in error is reversed only back to the state
    held before it."""
    if ReferralStatus(current) not in TERMINAL_STATUSES:
        return "Only a closed referral is reopened."
    if not before or ReferralStatus(target) != ReferralStatus(before):
        held = ReferralStatus(before).in_sentence if before else "unknown"
        return (
            f"The referral is {ReferralStatus(current).in_sentence}: a closed referral cannot "
            "change, "
            f"except back to the state it held before ({held}) when the closure was "
            "entered in error, with the reason."
        )
    return None
