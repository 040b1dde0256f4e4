import itertools

import pytest

from referrals.codes import TERMINAL_STATUSES, ReferralStatus
from referrals.transitions import TRANSITIONS, transition_problem


def test_every_state_is_in_the_map():
    assert set(TRANSITIONS) == set(ReferralStatus)


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATUSES))
def test_terminal_states_go_nowhere(terminal):
    assert TRANSITIONS[terminal] == frozenset()
    assert "cannot change" in transition_problem(terminal, "triaged")


def test_the_main_path_is_allowed_in_order():
    path = [
        "received",
        "triaged",
        "investigating",
        "treatment_planned",
        "treating",
        "rehabilitation",
        "closed",
    ]
    for current, target in itertools.pairwise(path):
        assert transition_problem(current, target) is None


def test_skipping_back_is_refused_with_the_allowed_moves():
    problem = transition_problem("treating", "received")
    assert "cannot move from treating to received" in problem
    assert "rehabilitation" in problem
