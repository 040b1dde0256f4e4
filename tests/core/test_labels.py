"""Labels beside codes: one mechanism, the codes unchanged."""

import pytest

from core.labels import LabelledEnum, in_sentence, label_of, labelled
from core.roles import Role
from notifications.codes import Channel, OnCallRole
from pathways.codes import ClockKind, EventKind
from referrals.codes import Category, ReferralStatus


class Colour(LabelledEnum):
    DARK_RED = "dark_red", "Deep red"
    PALE_BLUE = "pale_blue"


def test_a_member_is_its_code_and_carries_its_label():
    assert Colour.DARK_RED == "dark_red"
    assert Colour("dark_red") is Colour.DARK_RED
    assert Colour.DARK_RED.label == "Deep red"
    assert Colour.PALE_BLUE.label == "Pale blue"  # no label given: the code in words
    assert Colour.choices() == [("dark_red", "Deep red"), ("pale_blue", "Pale blue")]


def test_a_stored_code_finds_its_label_by_enum_name():
    assert label_of("EventKind", "mri_performed") == "MRI performed"
    assert label_of("EventKind", EventKind.RT_DECISION) == "Decision to treat with radiotherapy"
    assert label_of("EventKind", "added_later") == "added_later"
    assert labelled("Category") is Category
    with pytest.raises(LookupError):
        labelled("NoSuchEnum")


def test_labels_read_inside_a_sentence():
    assert ClockKind.ACKNOWLEDGEMENT.in_sentence == "acknowledgement"
    assert EventKind.MRI_PERFORMED.in_sentence == "MRI performed"
    assert ReferralStatus.CLOSED_NOT_MSCC.in_sentence == "closed: not MSCC"
    assert in_sentence("E-mail") == "e-mail"


@pytest.mark.parametrize(
    "enum", [Category, ReferralStatus, ClockKind, EventKind, Channel, OnCallRole, Role]
)
def test_every_code_has_a_label(enum):
    for member in enum:
        assert member.label
        assert member.value == str(member)
