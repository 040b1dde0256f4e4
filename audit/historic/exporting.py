"""Exporting referrals as historic records: the import's format, read back.

``historic_rows`` yields one row (a list of cells, in ``columns.COLUMNS``
order) per referral in scope, in ``received_at`` order, streaming: referrals
are read with a server-side cursor in chunks, each chunk's events and clocks
in one query each, so memory stays flat however many there are and the
queries grow with the chunks, not the referrals.

What a row holds (README, "Historic audit data"):

- the patient as the service holds them (NHS number, date of birth, sex,
  postcode, the stored IMD decile); never a name;
- the category the service assessed at referral: the coordinator's
  override where there is one, else triage's. The events that confirm or rule
  out MSCC move it after that, on import as live, so the category the audit
  reports comes out the same;
- for each event kind, the ``occurred_at`` of the latest event of that kind
  that stands (one withdrawn by an ``entered_in_error`` event does not);
- ``ambulatory_after_treatment``: the ``ambulatory`` of that latest
  ``ambulatory_assessed`` event;
- suspected_at blank where it was assumed (the time of receipt, never
  confirmed), so that it is assumed again on import;
- for each clock kind, the reason a clock of that kind was marked not
  appropriate (the latest such clock's).

A referral closed as the duplicate of another (``duplicate_of``) is left
out: the audit counts one episode, and the one it repeats is exported.

The file holds patient identifiers: it is an administrator's tool on the
command line, and nothing here logs a row.
"""

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from audit.historic import columns as C
from audit.periods import Month
from pathways.codes import EventKind
from pathways.models import ClinicalEvent, Clock
from referrals.models import Alliance, Referral

CHUNK = 500


def referrals_for_export(
    *, alliance: Alliance | None = None, first: Month | None = None, last: Month | None = None
) -> QuerySet[Referral]:
    """The referrals in scope, in ``received_at`` order, with what a row
    reads prefetched: an alliance's (every alliance's without one), received
    in ``first`` to ``last`` (Europe/London months, inclusive; open-ended
    where not given), duplicates left out."""
    zone = timezone.get_default_timezone()
    qs = Referral.objects.filter(duplicate_of__isnull=True)
    if alliance is not None:
        qs = qs.filter(service__alliance=alliance)
    if first is not None:
        qs = qs.filter(received_at__gte=first.start(zone))
    if last is not None:
        qs = qs.filter(received_at__lt=last.next().start(zone))
    standing = (
        ClinicalEvent.objects.filter(correction__isnull=True)
        .exclude(kind=EventKind.ENTERED_IN_ERROR)
        .only("referral_id", "kind", "occurred_at", "ambulatory", "recorded_at")
        .order_by("occurred_at", "recorded_at")
    )
    marked = (
        Clock.objects.filter(not_appropriate=True, void=False)
        .only("referral_id", "kind", "not_appropriate_reason", "started_at")
        .order_by("started_at")
    )
    return (
        qs.select_related("patient", "referring_organisation", "service")
        .prefetch_related(
            Prefetch("events", queryset=standing, to_attr="standing_events"),
            Prefetch("clocks", queryset=marked, to_attr="marked_clocks"),
        )
        .order_by("received_at", "pk")
    )


def historic_rows(
    *,
    alliance: Alliance | None = None,
    first: Month | None = None,
    last: Month | None = None,
    chunk_size: int = CHUNK,
) -> Iterator[list[str]]:
    """One row per referral in scope (``referrals_for_export``), streamed."""
    qs = referrals_for_export(alliance=alliance, first=first, last=last)
    for referral in qs.iterator(chunk_size=chunk_size):
        yield historic_row(referral)


def historic_row(referral: Referral) -> list[str]:
    """A referral as the historic format writes it, with its standing
    events and marked clocks prefetched (``referrals_for_export``)."""
    patient = referral.patient
    latest: dict[str, ClinicalEvent] = {}
    events = (
        referral.standing_events if hasattr(referral, "standing_events") else _standing(referral)
    )
    for event in events:
        latest[event.kind] = event  # in occurred_at order: the last one stays
    reasons: dict[str, str] = {}
    clocks = referral.marked_clocks if hasattr(referral, "marked_clocks") else _marked(referral)
    for clock in clocks:
        reasons[clock.kind] = clock.not_appropriate_reason
    assessed = latest.get(EventKind.AMBULATORY_ASSESSED)
    values: dict[str, str] = {
        "reference": referral.reference,
        "nhs_number": patient.nhs_number,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "postcode": patient.postcode,
        "imd_decile": "" if patient.imd_decile is None else str(patient.imd_decile),
        "referring_organisation": referral.referring_organisation.code,
        "service": referral.service.code,
        "received_at": _time(referral.received_at),
        "cancer_status": referral.cancer_status,
        "primary_tumour": referral.primary_tumour,
        "category": referral.overridden_category or referral.triage_category,
        "pain_features": C.LIST_SEPARATOR.join(referral.pain_features),
        "neuro_features": C.LIST_SEPARATOR.join(referral.neuro_features),
        "neuro_onset_at": _time(referral.neuro_onset_at),
        "suspected_at": "" if referral.suspected_at_assumed else _time(referral.suspected_at),
        "imaging_findings": referral.imaging_findings,
        "ambulatory_at_presentation": C.boolean_text(referral.ambulatory),
        "ambulatory_after_treatment": C.boolean_text(assessed.ambulatory if assessed else None),
        "status": referral.status,
        "imaging_modality": referral.imaging_modality,
        "movement_pain": referral.movement_pain,
        "instability_signs": C.boolean_text(referral.instability_signs),
        "haematological": referral.haematological,
        "back_pain": C.boolean_text(referral.back_pain),
        "known_spinal_metastases": C.boolean_text(referral.known_spinal_metastases),
    }
    for column, kind in C.EVENT_COLUMNS.items():
        event = latest.get(kind)
        values[column] = _time(event.occurred_at) if event else ""
    for column, clock_kind in C.NOT_APPROPRIATE_COLUMNS.items():
        values[column] = reasons.get(clock_kind, "")
    return [values[column] for column in C.COLUMNS]


def _time(value: datetime | None) -> str:
    """ISO 8601 with the UTC offset, in the service's time zone."""
    return "" if value is None else timezone.localtime(value).isoformat()


def _standing(referral: Referral) -> list[ClinicalEvent]:
    # Only for a referral read without the prefetch (one at a time).
    return list(
        referral.events.filter(correction__isnull=True)
        .exclude(kind=EventKind.ENTERED_IN_ERROR)
        .order_by("occurred_at", "recorded_at")
    )


def _marked(referral: Referral) -> list[Clock]:
    return list(referral.clocks.filter(not_appropriate=True, void=False).order_by("started_at"))
