"""Recompute every referral's clocks, then bring existing services and open
referrals under the corrected triage.

First: clocks used to be patched event by event; from this release they are
derived (pathways/clock_derivation.py). ``recompute_all`` brings the clocks
of existing referrals into line with the derivation (e.g. a radiotherapy
clock that a withdrawn "MSCC ruled out" had prevented now exists), keeping
each clock row's identity, and reschedules the escalations of the clocks that
changed. A clock it makes overdue is raised by the next sweep like any other:
one escalation per clock and step, never a replay of those already raised.

Then, the triage corrections:

The triage rules were corrected against NG234 (docs/clinical-rules.md): a
suspected (not yet diagnosed) cancer with any cord compression feature is
suspected MSCC; cord or cauda equina compression with no cancer at all is an
emergency spinal assessment, acknowledged within 30 minutes; 1.3.5 applies
only when cancer is suspected; asymptomatic spinal metastases on imaging are
not the urgent pathway (1.5.6); a haematological primary is a confirmed
haematological malignancy. This migration:

1. publishes, for every service, a corrected pathway version: a copy of its
   current version whose 30-minute acknowledgement clock (the one that covers
   suspected MSCC) also covers emergency spinal assessment. A customised
   version keeps every local target; only that category is added.
2. re-triages every open referral under the corrected rules. Where the
   category changes (and no coordinator has overridden it), the change is
   recorded like an override, with its reason; the referral moves to the
   corrected copy of the version it was frozen to (its clock rows follow,
   keeping their identity); and its clocks are recomputed. A clock this makes
   overdue is escalated by the next sweep, once per step.

Both steps run the live services (the derivation and the rules are the
point), so this migration is correct only against the schema of its own
release: it depends on the last migration of every app in that release, and
a later release that changes these models must make it a no-op (it will have
run everywhere by then). On a new database there are no referrals and it
does nothing. Named in the hazard log (H15, H17).

The next release changed these models, so this migration's operations now
run in coordinator/0002_ng234_after_triage, after every schema change of that
release (where this one already ran, running them again changes nothing).
"""

from django.db import migrations
from django.db.models import Max

ESA = "emergency_spinal_assessment"
MSCC = "suspected_mscc"
NOTE = (
    "NG234 corrections: cord or cauda equina compression without cancer "
    "(emergency spinal assessment) acknowledged within 30 minutes, like suspected MSCC."
)
REASON = (
    "Re-triaged under the corrected NG234 rules (data migration "
    "coordinator/0001_ng234_triage_corrections)."
)


def recompute_all(apps, schema_editor) -> int:  # noqa: ARG001 (migration signature)
    from django.utils import timezone

    from notifications.services.schedule import clocks_schedule
    from pathways.services.clocks import clocks_recompute
    from referrals.models import Referral

    now = timezone.now()
    changed_total = 0
    ids = list(Referral.objects.order_by("received_at").values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        for referral in Referral.objects.filter(pk__in=ids[start : start + 500]).select_related(
            "pathway_version"
        ):
            changed = clocks_recompute(referral=referral, user=None, now=now)
            for clock in changed:
                clock.referral = referral
            clocks_schedule(changed)
            changed_total += len(changed)
    return changed_total


def versions_in_order(frozen_to):  # noqa: ANN001, ANN201 (live models)
    """The versions a correction looks at: those open referrals are frozen
    to, and each service's current published version; older ones first and
    the current ones last, so that a current version's corrected copy is the
    newest published, the one new referrals start on."""
    from pathways.models import PathwayVersion
    from referrals.models import Service

    current = {}
    for service in Service.objects.all():
        version = (
            PathwayVersion.objects.filter(service=service, published_at__isnull=False)
            .order_by("-number")
            .first()
        )
        if version is not None:
            current[service.pk] = version
    wanted = {v.pk: v for v in frozen_to}
    wanted.update({v.pk: v for v in current.values()})
    is_current = {v.pk for v in current.values()}
    return sorted(wanted.values(), key=lambda v: (v.pk in is_current, v.number))


def move_to_copy(referral, copies, definition_map) -> None:  # noqa: ANN001 (live models)
    """Put the referral on the corrected copy of its version, if there is
    one, its clock rows following (same rows, the copied definitions); the
    caller saves the referral."""
    old = referral.pathway_version
    if old.pk not in copies:
        return
    for clock in referral.clocks.all():
        if clock.definition_id in definition_map:
            type(clock).objects.filter(pk=clock.pk).update(
                definition_id=definition_map[clock.definition_id]
            )
    referral.pathway_version = copies[old.pk]


def _needs_correction(version) -> bool:  # noqa: ANN001 (a live model)
    return any(
        d.kind == "acknowledgement" and MSCC in d.categories and ESA not in d.categories
        for d in version.clock_definitions.all()
    )


def correct(apps, schema_editor) -> dict[str, int]:  # noqa: ARG001 (migration signature)
    # Nothing open, nothing to correct. Checked on the historical model
    # first: the live models below carry the fields of later migrations
    # (referrals 0018's stored queue order), which a new database does not
    # have yet when this runs. (Tests call this with no ``apps``, on a
    # database that has them.)
    if apps is not None and not apps.get_model("referrals", "Referral").objects.exclude(
        status__in=["closed", "closed_not_mscc", "died", "redirected", "withdrawn"]
    ).exists():
        return {"versions": 0, "retriaged": 0}
    from django.utils import timezone

    from coordinator.services.clocks import referral_clocks_follow
    from pathways.models import ClockDefinition, PathwayVersion
    from referrals import rules
    from referrals.codes import TERMINAL_STATUSES
    from referrals.models import Referral
    from referrals.selectors import triage_input_for

    now = timezone.now()
    copies: dict[int, PathwayVersion] = {}
    definition_map: dict[int, int] = {}

    def copy_of(old: PathwayVersion) -> PathwayVersion:
        if old.pk in copies:
            return copies[old.pk]
        newest = PathwayVersion.objects.filter(service_id=old.service_id).aggregate(
            n=Max("number")
        )["n"]
        new = PathwayVersion.objects.create(
            service_id=old.service_id,
            number=(newest or 0) + 1,
            note=f"{NOTE} (from v{old.number})",
            published_at=now,
        )
        for definition in old.clock_definitions.order_by("id"):
            categories = list(definition.categories)
            if definition.kind == "acknowledgement":
                if MSCC in categories and ESA not in categories:
                    categories.append(ESA)
                elif MSCC not in categories and ESA in categories:
                    categories.remove(ESA)
            copied = ClockDefinition.objects.create(
                version=new,
                kind=definition.kind,
                categories=categories,
                start_event=definition.start_event,
                stop_event=definition.stop_event,
                target=definition.target,
                reference=definition.reference,
                ng234_target=definition.ng234_target,
                justification=definition.justification,
                applies_when=definition.applies_when,
            )
            definition_map[definition.pk] = copied.pk
        copies[old.pk] = new
        return new

    open_referrals = list(
        Referral.objects.exclude(status__in=list(TERMINAL_STATUSES))
        .select_related("pathway_version", "patient")
        .order_by("received_at")
    )
    retriage = [
        (r, rules.categorise(triage_input_for(r)))
        for r in open_referrals
        if r.category_overridden_at is None
    ]
    retriage = [(r, c) for r, c in retriage if c != r.category]

    # Copies of older versions first, then each service's current version
    # last, so that the corrected current version is the newest published:
    # the one new referrals start on.
    for version in versions_in_order([r.pathway_version for r, _ in retriage]):
        if _needs_correction(version):
            copy_of(version)

    moved = 0
    for referral, category in retriage:
        move_to_copy(referral, copies, definition_map)
        # Recorded as an override, the input the category is derived from.
        referral.overridden_category = category
        referral.category_override_reason = REASON
        referral.category_overridden_at = now
        referral.category_overridden_by = None
        referral.save(
            update_fields=[
                "pathway_version",
                "overridden_category",
                "category_override_reason",
                "category_overridden_at",
                "category_overridden_by",
            ]
        )
        referral_clocks_follow(referral=referral, user=None, now=now)
        moved += 1
    return {"versions": len(copies), "retriaged": moved}


class Migration(migrations.Migration):
    # The last migration of every app in this release: the live models must
    # match the database when it runs.
    dependencies = [
        ("notifications", "0006_code_labels"),
        ("pathways", "0010_ct_and_myelography"),
        ("referrals", "0013_duplicate_of"),
    ]

    # Moved to 0002 (see above): the live services need the newer schema.
    operations: list[migrations.operations.base.Operation] = []
