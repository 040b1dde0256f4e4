"""Bring existing services and open referrals under NG234 after triage.

The clocks were corrected against NG234 (docs/clinical-rules.md, section 4):

- the 24-hour radiotherapy standard is for MSCC not suitable for spinal
  surgery only (1.10.4); radiotherapy after a decision to operate (1.10.8)
  and radiotherapy for spinal metastases without MSCC (1.10.2) are measured
  clocks, with no target, never breached, never escalated;
- dexamethasone (1.8.1, 1.8.5) and surgery (1.11.3) are measured clocks;
- MSCC ruled out no longer ends every clock: on suspected MSCC it moves the
  referral to suspected spinal metastases; only "spinal metastases and MSCC
  ruled out" ends them; MSCC confirmed makes the referral an emergency.

This migration:

1. runs the triage corrections of coordinator/0001 (which moved here: they
   run the live services, which need this release's schema; where they ran
   already, running them again changes nothing);
2. publishes, for every service, a corrected copy of its current pathway
   version (and of any older version an open referral is frozen to): a
   radiotherapy clock covering suspected MSCC keeps its target for MSCC not
   suitable for surgery, and gains a measured postoperative clock; one
   covering suspected spinal metastases becomes measured for them; measured
   dexamethasone and surgery clocks are added where the version has none. A
   customised version keeps every other definition and local target (a
   draft open at the time can no longer be published: a newer version is;
   core/versioned.py);
3. moves every open referral to the corrected copy of its version (its clock
   rows follow, keeping their identity), then derives its category and
   clocks again from what stands on its record, with the reason recorded. A
   clock this makes overdue is escalated by the next sweep, once per step; a
   radiotherapy clock that no longer has a target stops escalating.

Closed referrals are left as they were: re-judging closed cases against new
rules would rewrite their history. Like 0001 this runs the live services, so
it is correct only against this release's schema (it depends on the last
migration of every app); a later release that changes these models must make
it a no-op. On a new database there are no services and it does nothing.
Named in the hazard log (H24).
"""

import importlib

from django.db import migrations
from django.db.models import Max

MSCC = "suspected_mscc"
SSM = "suspected_spinal_metastases"
NOTE = (
    "NG234 corrections after triage: 24-hour radiotherapy only for MSCC not suitable for "
    "spinal surgery (1.10.4); postoperative radiotherapy (1.10.8), radiotherapy for spinal "
    "metastases without MSCC (1.10.2), dexamethasone and surgery measured, without a target."
)

_0001 = importlib.import_module("coordinator.migrations.0001_ng234_triage_corrections")


def _needs_correction(version) -> bool:  # noqa: ANN001 (a live model)
    definitions = list(version.clock_definitions.all())
    kinds = {d.kind for d in definitions}
    old_radiotherapy = any(
        d.kind == "radiotherapy"
        and d.applies_when == "always"
        and d.target is not None
        and (MSCC in d.categories or SSM in d.categories)
        for d in definitions
    )
    return old_radiotherapy or "dexamethasone" not in kinds or "surgery" not in kinds


def after_triage(apps, schema_editor) -> dict[str, int]:  # noqa: ARG001 (migration signature)
    # Nothing open, nothing to correct. Checked on the historical model
    # first: the live models below carry the fields of later migrations
    # (referrals 0018's stored queue order), which a new database does not
    # have yet when this runs. (Tests call this with no ``apps``, on a
    # database that has them.)
    if apps is not None and not apps.get_model("referrals", "Referral").objects.exclude(
        status__in=["closed", "closed_not_mscc", "died", "redirected", "withdrawn"]
    ).exists():
        return {"versions": 0, "followed": 0}
    from django.utils import timezone

    from coordinator.services.clocks import referral_clocks_follow
    from pathways.codes import ClockCondition, ClockKind
    from pathways.defaults import NG234_DEFAULT_CLOCKS
    from pathways.models import ClockDefinition, PathwayVersion
    from referrals.codes import TERMINAL_STATUSES
    from referrals.models import Referral

    now = timezone.now()
    copies: dict[int, PathwayVersion] = {}
    definition_map: dict[int, int] = {}
    defaults = {(d.kind.value, d.applies_when.value, d.categories): d for d in NG234_DEFAULT_CLOCKS}

    def default(kind: str, condition: str, categories: tuple[str, ...]):  # noqa: ANN202
        return defaults[(kind, condition, categories)]

    def create(version: PathwayVersion, **values: object) -> ClockDefinition:
        return ClockDefinition.objects.create(version=version, **values)

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
        correct_into(list(old.clock_definitions.order_by("id")), new)
        copies[old.pk] = new
        return new

    def correct_into(rows: list[ClockDefinition], new: PathwayVersion) -> None:
        """Create in ``new`` the corrected definitions of ``rows``."""
        kinds = set()
        for d in rows:
            kinds.add(d.kind)
            same = {
                "kind": d.kind,
                "start_event": d.start_event,
                "stop_event": d.stop_event,
                "target": d.target,
                "reference": d.reference,
                "ng234_target": d.ng234_target,
                "justification": d.justification,
                "applies_when": d.applies_when,
            }
            split = (
                d.kind == ClockKind.RADIOTHERAPY
                and d.applies_when == ClockCondition.ALWAYS
                and d.target is not None
                and (MSCC in d.categories or SSM in d.categories)
            )
            if not split:
                definition_map[d.pk] = create(new, **{**same, "categories": d.categories}).pk
                continue
            carried = None
            if MSCC in d.categories:
                carried = create(
                    new, **{**same, "categories": [MSCC],
                            "applies_when": ClockCondition.WITHOUT_SURGERY}
                )  # fmt: skip
                after = default(ClockKind.RADIOTHERAPY, ClockCondition.AFTER_SURGERY, (MSCC,))
                create(
                    new, kind=after.kind, categories=[MSCC], start_event=after.start_event,
                    stop_event=after.stop_event, target=None, reference=after.reference,
                    ng234_target=None, applies_when=after.applies_when,
                )  # fmt: skip
            if SSM in d.categories:
                without = default(ClockKind.RADIOTHERAPY, ClockCondition.ALWAYS, (SSM,))
                measured = create(
                    new, kind=without.kind, categories=[SSM], start_event=without.start_event,
                    stop_event=without.stop_event, target=None, reference=without.reference,
                    ng234_target=None, applies_when=without.applies_when,
                )  # fmt: skip
                carried = carried or measured
            rest = [c for c in d.categories if c not in (MSCC, SSM)]
            if rest:
                create(new, **{**same, "categories": rest})
            definition_map[d.pk] = carried.pk if carried is not None else d.pk
        for kind in (ClockKind.DEXAMETHASONE, ClockKind.SURGERY):
            if kind.value in kinds:
                continue
            for d in NG234_DEFAULT_CLOCKS:
                if d.kind == kind:
                    create(
                        new, kind=d.kind, categories=list(d.categories),
                        start_event=d.start_event, stop_event=d.stop_event, target=d.target,
                        reference=d.reference, ng234_target=d.ng234_target,
                        applies_when=d.applies_when,
                    )  # fmt: skip

    open_referrals = list(
        Referral.objects.exclude(status__in=list(TERMINAL_STATUSES))
        .select_related("pathway_version", "patient")
        .order_by("received_at")
    )
    # Older versions first, each service's current version last, so that its
    # corrected copy is the newest published: the one new referrals start on.
    for version in _0001.versions_in_order([r.pathway_version for r in open_referrals]):
        if _needs_correction(version):
            copy_of(version)

    followed = 0
    for referral in open_referrals:
        if referral.pathway_version.pk in copies:
            _0001.move_to_copy(referral, copies, definition_map)
            referral.save(update_fields=["pathway_version"])
        referral_clocks_follow(referral=referral, user=None, now=now)
        followed += 1
    return {"versions": len(copies), "followed": followed}


class Migration(migrations.Migration):
    # The last migration of every app in this release: the live models must
    # match the database when it runs.
    dependencies = [
        ("accounts", "0002_forget_drf_tokens"),
        ("coordinator", "0001_ng234_triage_corrections"),
        ("notifications", "0006_code_labels"),
        ("pathways", "0012_measured_clocks"),
        ("referrals", "0016_access_patient_ids"),
    ]

    operations = [
        migrations.RunPython(_0001.correct, migrations.RunPython.noop),
        migrations.RunPython(after_triage, migrations.RunPython.noop),
    ]
