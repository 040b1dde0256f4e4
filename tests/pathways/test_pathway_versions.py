"""Pathway definitions: the pure rules, drafts, publishing, and the freeze of
a referral to the version it started on (docs/clinical-rules.md, section 4)."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from pathways import definition_rules
from pathways.codes import ClockKind
from pathways.defaults import NG234_DEFAULT_CLOCKS
from pathways.definition_rules import DefinitionData
from pathways.models import ClockDefinition, PathwayVersion
from pathways.selectors import pathway_version_current
from pathways.services import (
    PathwayInvalid,
    clock_definition_create,
    clock_definition_delete,
    clock_definition_update,
    pathway_version_draft_create,
    pathway_version_publish,
    pathway_version_update,
)
from pathways.services.versions import definition_data
from referrals.codes import Category
from tests.conftest import hours

MSCC = Category.SUSPECTED_MSCC.value
METS = Category.SUSPECTED_SPINAL_METASTASES.value

MRI_MSCC = DefinitionData(
    kind="mri",
    categories=[MSCC],
    start_event="suspected",
    stop_event="mri_performed",
    target=hours(24),
    reference="NG234 1.5.2; QS56 statement 3",
)


def ng234_defaults() -> list[DefinitionData]:
    return [
        DefinitionData(
            kind=d.kind.value,
            categories=list(d.categories),
            start_event=str(d.start_event),
            stop_event=str(d.stop_event),
            target=d.target,
            reference=d.reference,
            applies_when=d.applies_when.value,
        )
        for d in NG234_DEFAULT_CLOCKS
    ]


def mri_definition(version: PathwayVersion, category: str = MSCC) -> ClockDefinition:
    return next(
        d
        for d in version.clock_definitions.order_by("id")
        if d.kind == ClockKind.MRI and d.categories == [category]
    )


# --- the pure rules ---------------------------------------------------------


def test_every_ng234_default_passes_the_rules():
    defaults = ng234_defaults()
    assert all(definition_rules.definition_errors(d) == {} for d in defaults)
    assert definition_rules.publish_errors(defaults) == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target": timedelta(0)}, "target"),
        ({"target": -hours(1)}, "target"),
        ({"target": None}, "target"),
        ({"start_event": "mri_performed"}, "stop_event"),  # stop is the start
        ({"start_event": "whenever"}, "start_event"),
        ({"start_event": "entered_in_error"}, "start_event"),
        ({"stop_event": "mri_done"}, "stop_event"),
        # Clocks stop on recorded events: an anchor would never stop one.
        ({"stop_event": "referral_received"}, "stop_event"),
        ({"kind": "banana"}, "kind"),
        ({"categories": []}, "categories"),
        ({"categories": ["urgent"]}, "categories"),
        ({"categories": MSCC}, "categories"),  # a string, not a list
        ({"reference": "  "}, "reference"),
        ({"target": hours(48)}, "justification"),  # longer than NG234's 24 h
    ],
)
def test_each_broken_rule_names_its_field(changes: dict[str, Any], field: str):
    errors = definition_rules.definition_errors(replace(MRI_MSCC, **changes))
    assert list(errors) == [field]
    assert errors[field][0]


def test_a_target_shorter_than_ng234_is_allowed_without_a_justification():
    shorter = replace(MRI_MSCC, target=hours(12))
    assert definition_rules.definition_errors(shorter) == {}
    assert not definition_rules.exceeds_ng234(shorter.target, hours(24))


def test_a_longer_target_with_a_justification_is_allowed_and_exceeds_ng234():
    longer = replace(MRI_MSCC, target=hours(48), justification="Single MRI scanner, 2026.")
    assert definition_rules.definition_errors(longer) == {}
    assert definition_rules.exceeds_ng234(longer.target, hours(24))


def test_the_justification_message_says_both_targets():
    [message] = definition_rules.definition_errors(replace(MRI_MSCC, target=hours(48)))[
        "justification"
    ]
    assert "48 hours" in message
    assert "24 hours" in message


def test_ng234_target_is_the_strictest_for_the_categories_covered():
    assert definition_rules.ng234_target_for("mri", [MSCC]) == hours(24)
    assert definition_rules.ng234_target_for("mri", [METS]) == timedelta(days=7)
    assert definition_rules.ng234_target_for("mri", [METS, MSCC]) == hours(24)
    # A local standard, and a clock NG234 sets no time for: no NG234 target.
    assert definition_rules.ng234_target_for("acknowledgement", [MSCC]) is None
    assert definition_rules.ng234_target_for("dexamethasone", [MSCC]) is None


def test_a_local_standard_may_be_any_positive_length():
    slow_ack = DefinitionData(
        kind="acknowledgement",
        categories=[MSCC],
        start_event="referral_received",
        stop_event="acknowledged",
        target=hours(8),
        reference="Local",
    )
    assert definition_rules.definition_errors(slow_ack) == {}


def test_two_clocks_of_a_kind_for_one_category_overlap():
    defaults = ng234_defaults()
    errors = definition_rules.publish_errors([*defaults, replace(MRI_MSCC, target=hours(12))])
    assert list(errors) == ["clock_definitions"]
    assert "mri" in errors["clock_definitions"][0]
    assert MSCC in errors["clock_definitions"][0]


def test_dropping_an_ng234_clock_for_a_category_cannot_be_published():
    kept = [d for d in ng234_defaults() if not (d.kind == "mri" and d.categories == [METS])]
    errors = definition_rules.publish_errors(kept)
    [message] = errors["clock_definitions"]
    assert "mri" in message
    assert METS in message
    assert "7 days" in message


def test_publish_errors_name_the_clock_and_its_field():
    defaults = ng234_defaults()
    defaults[3] = replace(defaults[3], target=timedelta(0))
    assert list(definition_rules.publish_errors(defaults)) == ["clock_definitions.4.target"]


# --- measured clocks and the radiotherapy conditions (docs/clinical-rules.md, section 4) ----


def test_a_measured_clock_is_allowed_only_where_ng234_sets_no_time():
    measured_dex = DefinitionData(
        kind="dexamethasone", categories=[MSCC], start_event="suspected",
        stop_event="dexamethasone_given", target=None, reference="NG234 1.8.1 (measured)",
    )  # fmt: skip
    assert definition_rules.definition_errors(measured_dex) == {}
    [message] = definition_rules.definition_errors(replace(MRI_MSCC, target=None))["target"]
    assert "NG234 sets 24 hours" in message
    ack = DefinitionData(
        kind="acknowledgement", categories=[MSCC], start_event="referral_received",
        stop_event="acknowledged", target=None, reference="Local",
    )  # fmt: skip
    assert "target" in definition_rules.definition_errors(ack)
    # Radiotherapy after surgery (1.10.8) has no NG234 time; without it, 24 hours.
    postoperative = DefinitionData(
        kind="radiotherapy", categories=[MSCC], start_event="rt_decision",
        stop_event="rt_delivered", target=None, reference="NG234 1.10.8",
        applies_when="after_surgery",
    )  # fmt: skip
    assert definition_rules.definition_errors(postoperative) == {}
    without = replace(postoperative, applies_when="without_surgery")
    assert "target" in definition_rules.definition_errors(without)
    assert "applies_when" in definition_rules.definition_errors(
        replace(postoperative, applies_when="sometimes")
    )


def test_radiotherapy_with_and_without_surgery_never_overlap_but_always_does():
    defaults = ng234_defaults()
    assert definition_rules.publish_errors(defaults) == {}
    extra = next(d for d in defaults if d.applies_when == "without_surgery")
    errors = definition_rules.publish_errors([*defaults, replace(extra, applies_when="always")])
    assert "radiotherapy" in errors["clock_definitions"][0]


def test_the_24_hour_radiotherapy_standard_for_mscc_cannot_be_made_measured_or_dropped():
    defaults = ng234_defaults()
    dropped = [d for d in defaults if d.applies_when != "without_surgery"]
    [message] = definition_rules.publish_errors(dropped)["clock_definitions"]
    assert "radiotherapy" in message and MSCC in message and "24 hours" in message


# --- editing a draft, and never a published version -------------------------


def test_a_draft_is_edited_through_the_services(pathway, service_admin):
    draft = pathway_version_draft_create(version=pathway, user=service_admin)
    mri = mri_definition(draft)

    clock_definition_update(
        definition=mri, user=service_admin, data=replace(MRI_MSCC, target=hours(12))
    )
    added = clock_definition_create(
        version=draft,
        user=service_admin,
        data=DefinitionData(
            kind="dexamethasone",
            categories=[MSCC],
            start_event="referral_received",
            stop_event="dexamethasone_given",
            target=hours(6),
            reference="NG234 1.7.1 (local target)",
        ),
    )
    stability = draft.clock_definitions.get(kind="stability_advice")
    clock_definition_update(
        definition=stability,
        user=service_admin,
        data=replace(definition_data(stability), reference="NG234 1.4.4 (spinal surgeon)"),
    )
    pathway_version_update(version=draft, user=service_admin, note="MRI within 12 h locally")

    mri.refresh_from_db()
    assert mri.target == hours(12)
    assert added.version == draft
    assert added.ng234_target is None  # NG234 sets no time for dexamethasone
    assert (
        draft.clock_definitions.get(kind="stability_advice").reference
        == "NG234 1.4.4 (spinal surgeon)"
    )
    draft.refresh_from_db()
    assert draft.note == "MRI within 12 h locally"
    # The original is untouched.
    assert mri_definition(pathway).target == hours(24)


def test_a_draft_refuses_a_broken_definition_and_names_the_field(pathway, service_admin):
    draft = pathway_version_draft_create(version=pathway, user=service_admin)
    mri = mri_definition(draft)
    with pytest.raises(PathwayInvalid) as refused:
        clock_definition_update(
            definition=mri,
            user=service_admin,
            data=replace(MRI_MSCC, stop_event="suspected", target=timedelta(0)),
        )
    assert set(refused.value.errors) == {"stop_event", "target"}
    mri.refresh_from_db()
    assert mri.stop_event == "mri_performed"


# --- longer than NG234 -------------------------------------------------------


def test_a_longer_target_needs_a_justification_and_is_then_flagged(pathway, service_admin):
    draft = pathway_version_draft_create(version=pathway, user=service_admin)
    mri = mri_definition(draft)

    with pytest.raises(PathwayInvalid) as refused:
        clock_definition_update(
            definition=mri, user=service_admin, data=replace(MRI_MSCC, target=hours(36))
        )
    assert list(refused.value.errors) == ["justification"]
    mri.refresh_from_db()
    assert not mri.exceeds_ng234

    clock_definition_update(
        definition=mri,
        user=service_admin,
        data=replace(
            MRI_MSCC, target=hours(36), justification="Scanner shared with the trauma centre."
        ),
    )
    mri.refresh_from_db()
    assert mri.target == hours(36)
    assert mri.ng234_target == hours(24)
    assert mri.exceeds_ng234


def test_ng234_target_is_derived_so_widening_categories_cannot_dodge_it(pathway, service_admin):
    draft = pathway_version_draft_create(version=pathway, user=service_admin)
    # An MRI clock for spinal metastases (NG234: 7 days) widened to suspected
    # MSCC as well is held to MSCC's 24 hours.
    mets_mri = mri_definition(draft, METS)
    mscc_mri = mri_definition(draft, MSCC)
    clock_definition_delete(definition=mscc_mri, user=service_admin)
    widened = replace(definition_data(mets_mri), categories=[METS, MSCC])
    with pytest.raises(PathwayInvalid) as refused:
        clock_definition_update(definition=mets_mri, user=service_admin, data=widened)
    assert list(refused.value.errors) == ["justification"]


# --- publishing --------------------------------------------------------------


def test_publishing_validates_the_whole_draft(service, pathway, service_admin, now):
    draft = pathway_version_draft_create(version=pathway, user=service_admin)
    clock_definition_delete(definition=mri_definition(draft, METS), user=service_admin)
    # A row written behind the services' back is caught at publishing too.
    draft.clock_definitions.filter(kind="radiotherapy").update(target=timedelta(0))

    with pytest.raises(PathwayInvalid) as refused:
        pathway_version_publish(version=draft, user=service_admin, now=now)

    errors = refused.value.errors
    assert any(key.endswith(".target") for key in errors)
    assert any(METS in message for message in errors["clock_definitions"])
    draft.refresh_from_db()
    assert draft.published_at is None
    assert pathway_version_current(service=service) == pathway


def test_publishing_changes_new_referrals_only(world, service_admin, make_referral, now):
    before = make_referral(now=now - hours(2))
    assert before.category == MSCC
    before_mri = before.clocks.get(kind="mri")
    before_ack = before.clocks.get(kind="acknowledgement")
    frozen = {c.pk: (c.target, c.reference, c.started_at, c.due_at) for c in before.clocks.all()}
    assert before_mri.target == hours(24)

    draft = pathway_version_draft_create(version=world.pathway, user=world.admin)
    mri = mri_definition(draft)
    clock_definition_update(
        definition=mri,
        user=service_admin,
        data=replace(MRI_MSCC, target=hours(12), reference="Local: MRI within 12 h"),
    )
    ack = draft.clock_definitions.get(kind="acknowledgement", target=hours(0.5))
    clock_definition_update(
        definition=ack, user=service_admin, data=replace(definition_data(ack), target=hours(0.25))
    )
    published = pathway_version_publish(version=draft, user=service_admin, now=now)

    assert published.published_at == now
    assert published.published_by == world.admin
    assert pathway_version_current(service=world.service) == draft

    # The referral made before keeps v1, and its clocks keep their targets and
    # due times.
    before.refresh_from_db()
    assert before.pathway_version == world.pathway
    assert {
        c.pk: (c.target, c.reference, c.started_at, c.due_at) for c in before.clocks.all()
    } == frozen
    before_mri.refresh_from_db()
    before_ack.refresh_from_db()
    assert before_mri.due_at == before_mri.started_at + hours(24)
    assert before_ack.due_at == before_ack.started_at + timedelta(minutes=30)

    # A referral made after starts on v2, with its targets.
    after = make_referral(now=now + hours(1))
    assert after.pathway_version == draft
    after_mri = after.clocks.get(kind="mri")
    assert after_mri.target == hours(12)
    assert after_mri.reference == "Local: MRI within 12 h"
    assert after_mri.due_at == after_mri.started_at + hours(12)
    assert after.clocks.get(kind="acknowledgement").target == timedelta(minutes=15)

    # The other service is untouched.
    assert pathway_version_current(service=world.other_service) == world.other_pathway
