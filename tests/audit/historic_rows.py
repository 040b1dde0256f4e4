"""Synthetic referrals as rows of the historic CSV (docs: the audit's import
and export format), and a loader that takes them into the database through
the live services, as a coordinator would have recorded them.

The rows are the oracle's input (tests/audit/test_summary_oracle.py): plain
dicts of strings keyed by the CSV's column names, so the oracle reads exactly
what a historic file would say and nothing the database made of it.

Modelling choices the oracle relies on (each is how a historic row reads):
- a row's ``category`` is the category from receipt: where triage of the
  row's features gives another, the coordinator's override is recorded at
  receipt;
- a ``<clock>_not_appropriate_reason`` marks that clock as soon as it starts;
- every ``<event>_at`` is recorded at its own time (``now`` = the event's
  time, or receipt for one that happened before the referral), in time order;
- ``died_at``, when given, is the last event of the row.
"""

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from coordinator.services import (
    referral_clock_not_appropriate,
    referral_create,
    referral_event_add,
    referral_override_category,
)
from pathways.codes import ClockKind, ClockStatus, EventKind
from pathways.models import Clock
from referrals.codes import (
    CancerStatus,
    Category,
    NeuroFeature,
    PainFeature,
    PrimaryTumour,
    Sex,
)
from referrals.inputs import PatientDetails
from referrals.models import Organisation, Patient, Referral, Service, User
from tests.factories import next_nhs_number

ZONE = ZoneInfo("Europe/London")

EVENT_COLUMNS = tuple(f"{k.value}_at" for k in EventKind if k != EventKind.ENTERED_IN_ERROR)
NOT_APPROPRIATE_COLUMNS = tuple(f"{k.value}_not_appropriate_reason" for k in ClockKind)
COLUMNS: tuple[str, ...] = (
    "reference",
    "nhs_number",
    "date_of_birth",
    "sex",
    "postcode",
    "imd_decile",
    "referring_organisation",
    "service",
    "received_at",
    "cancer_status",
    "primary_tumour",
    "category",
    "pain_features",
    "neuro_features",
    "neuro_onset_at",
    "suspected_at",
    "imaging_findings",
    *EVENT_COLUMNS,
    "ambulatory_at_presentation",
    "ambulatory_after_treatment",
    # Optional columns.
    "imaging_modality",
    "back_pain",
    *NOT_APPROPRIATE_COLUMNS,
)

# Postcodes the test loads into PostcodeDeprivation, and ones it does not.
KNOWN_POSTCODES: dict[str, int] = {
    "LS1 4AP": 3,
    "LS6 2QF": 7,
    "BD7 1DP": 1,
    "HG1 2RQ": 10,
    "YO1 7HH": 6,
}
UNKNOWN_POSTCODES = ("LS99 9ZZ", "WF1 1AA")

HAEMATOLOGICAL_PRIMARIES = ("myeloma", "lymphoma", "other_haematological")


def when(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def stamp(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(ZONE).isoformat()


def codes(text: str) -> list[str]:
    return [c for c in text.split(";") if c]


def flag(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text)


@dataclass(frozen=True)
class Period:
    """Referrals are received from ``start`` to ``end``; nothing happens after ``now``."""

    start: datetime
    end: datetime
    now: datetime


@dataclass
class _Draft:
    """One row being made: times as datetimes until the row is written out."""

    received: datetime
    category: str
    fields: dict[str, str]
    events: dict[str, datetime]
    ambulatory_after: bool | None = None
    # Triage of the features gives another category (overridden at receipt).
    overridden: bool = False

    def add(self, kind: EventKind, at: datetime, now: datetime) -> datetime | None:
        """Record ``kind`` at ``at`` unless it would happen after ``now``."""
        if at > now:
            return None
        self.events[kind.value] = at
        return at


class RowMaker:
    """Seeded synthetic rows, each a plausible episode of one category."""

    def __init__(
        self,
        seed: int,
        period: Period,
        organisations: list[str],
        services: list[str],
        prefix: str = "HIST",
    ) -> None:
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.period = period
        self.organisations = organisations
        self.services = services
        self.number = 0

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.randint(int(low), int(high)))

    def hours(self, low: float, high: float) -> timedelta:
        return self.minutes(low * 60, high * 60)

    def rows(self, count: int) -> list[dict[str, str]]:
        span = int((self.period.end - self.period.start).total_seconds() // 60)
        made = []
        for _ in range(count):
            received = self.period.start + timedelta(minutes=self.rng.randrange(span))
            made.append(self.row(received=received))
        return made

    def row(
        self,
        *,
        received: datetime,
        category: str | None = None,
        date_of_birth: date | None = None,
        **overrides: str,
    ) -> dict[str, str]:
        rng = self.rng
        category = (
            category or rng.choices([c.value for c in Category], weights=[35, 8, 30, 10, 10, 7])[0]
        )
        fields = self._features(category)
        overridden = fields.pop("overridden") == "true"
        draft = _Draft(received, category, fields, {}, overridden=overridden)
        self._times(draft)
        self._events(draft)
        self.number += 1
        born = date_of_birth or date(
            rng.randint(1928, 2009), rng.randint(1, 12), rng.randint(1, 28)
        )
        postcode = rng.choice([*KNOWN_POSTCODES, *KNOWN_POSTCODES, *UNKNOWN_POSTCODES])
        row = dict.fromkeys(COLUMNS, "")
        row.update(draft.fields)
        row.update(
            reference=f"{self.prefix}-{self.number:05d}",
            nhs_number=next_nhs_number(),
            date_of_birth=born.isoformat(),
            sex=rng.choice([s.value for s in Sex]),
            postcode=postcode,
            imd_decile=str(rng.randint(1, 10)) if rng.random() < 0.4 else "",
            referring_organisation=rng.choice(self.organisations),
            service=rng.choice(self.services),
            received_at=stamp(received),
            category=category,
            ambulatory_at_presentation=rng.choice(["true", "false", ""]),
            ambulatory_after_treatment=(
                "" if draft.ambulatory_after is None else str(draft.ambulatory_after).lower()
            ),
        )
        for kind, at in draft.events.items():
            row[f"{kind}_at"] = stamp(at)
        self._not_appropriate(row)
        row.update(overrides)
        return row

    def _features(self, category: str) -> dict[str, str]:
        """Features that triage to ``category`` (most rows), or to another
        category that the coordinator overrode at receipt (a few)."""
        rng = self.rng
        pain = ";".join(rng.sample([p.value for p in PainFeature], rng.randint(1, 3)))
        neuro = ";".join(rng.sample([n.value for n in NeuroFeature], rng.randint(1, 3)))
        cord = ";".join(
            rng.sample(
                [n.value for n in NeuroFeature if n != NeuroFeature.RADICULAR], rng.randint(1, 2)
            )
        )
        primary = rng.choice([p.value for p in PrimaryTumour])
        cancer = {"cancer_status": CancerStatus.CURRENT_OR_PAST.value, "primary_tumour": primary}
        none = {"cancer_status": CancerStatus.NONE.value, "primary_tumour": ""}
        fields = {"imaging_findings": "none", "imaging_modality": "", "back_pain": "false"}
        overridden = rng.random() < 0.08
        fields["overridden"] = "true" if overridden else "false"
        if category == Category.SUSPECTED_MSCC:
            fields |= cancer | {"neuro_features": neuro, "pain_features": pain}
            if overridden:  # triaged spinal metastases; the coordinator judged it MSCC
                fields |= {"neuro_features": ""}
            elif rng.random() < 0.12:
                fields |= {
                    "imaging_findings": "cord_compression",
                    "imaging_modality": "mri_whole_spine",
                }
            elif rng.random() < 0.05:
                # Cord compression on CT: still the MRI the standard asks for.
                fields |= {"imaging_findings": "cord_compression", "imaging_modality": "ct"}
        elif category == Category.SUSPECTED_SPINAL_METASTASES:
            fields |= cancer | {"pain_features": pain, "neuro_features": ""}
            if overridden:  # triaged MSCC (radicular pain only); judged spinal metastases
                fields |= {"neuro_features": NeuroFeature.RADICULAR.value}
            elif rng.random() < 0.1:
                fields |= {
                    "imaging_findings": "spinal_metastases",
                    "imaging_modality": "mri_whole_spine",
                }
        elif category == Category.EMERGENCY_SPINAL_ASSESSMENT:
            fields |= none | {"neuro_features": cord, "pain_features": ""}
        elif category == Category.ONCOLOGY_ASSESSMENT:
            fields |= {
                "cancer_status": CancerStatus.SUSPECTED.value,
                "primary_tumour": "",
                "pain_features": pain,
                "neuro_features": "",
            }
        elif category == Category.SAFETY_NET:
            fields |= cancer | {"pain_features": "", "neuro_features": "", "back_pain": "true"}
        else:
            fields |= cancer | {"pain_features": "", "neuro_features": ""}
            if overridden:  # triaged safety-net advice; judged no action
                fields |= {"back_pain": "true"}
        return fields

    def _times(self, draft: _Draft) -> None:
        rng, received, fields = self.rng, draft.received, draft.fields
        onset = None
        if fields["neuro_features"] and rng.random() < 0.6:
            onset = received - self.hours(1, 240)
        suspected: datetime | None = None
        pathway = (Category.SUSPECTED_MSCC, Category.SUSPECTED_SPINAL_METASTASES)
        if draft.category in pathway and rng.random() < 0.85:
            suspected = received - self.hours(0, 48)
            if onset is not None and suspected < onset:
                suspected = onset + (received - onset) / 2
        fields["neuro_onset_at"] = stamp(onset)
        # Blank: the service takes the time of receipt.
        fields["suspected_at"] = stamp(suspected)

    def _events(self, draft: _Draft) -> None:
        rng, now, received, category = self.rng, self.period.now, draft.received, draft.category
        suspected = when(draft.fields["suspected_at"]) or received
        urgent = category in (Category.SUSPECTED_MSCC, Category.EMERGENCY_SPINAL_ASSESSMENT)
        target = timedelta(minutes=30) if urgent else timedelta(hours=4)
        if rng.random() < 0.9:
            late = rng.random() < 0.2
            delay = target + self.minutes(1, 600) if late else self.minutes(0, target.seconds // 60)
            draft.add(EventKind.ACKNOWLEDGED, received + delay, now)
        mscc = category == Category.SUSPECTED_MSCC
        mets = category == Category.SUSPECTED_SPINAL_METASTASES
        if mets and rng.random() < 0.85:
            draft.add(EventKind.ADVICE_GIVEN, received + self.hours(0.1, 40), now)
        last = max([received, *draft.events.values()])
        if mscc or mets:
            met_at_referral = draft.fields["imaging_modality"] == "mri_whole_spine"
            if not met_at_referral and rng.random() < 0.88:
                mri = suspected + (self.hours(1, 40) if mscc else self.hours(12, 240))
                if rng.random() < 0.5:
                    draft.add(EventKind.MRI_REQUESTED, mri - self.hours(0.5, 3), now)
                kind = EventKind.CT_PERFORMED if rng.random() < 0.06 else EventKind.MRI_PERFORMED
                if draft.overridden:
                    # An override is recorded at receipt: imaging before it
                    # met the standard of triage's category, not the row's.
                    mri = max(mri, received + timedelta(minutes=1))
                draft.add(kind, mri, now)
            indicated = (
                draft.fields["neuro_features"]
                or draft.fields["primary_tumour"] in HAEMATOLOGICAL_PRIMARIES
            )
            if indicated and rng.random() < 0.6:
                draft.add(EventKind.DEXAMETHASONE_GIVEN, suspected + self.hours(0, 30), now)
            if rng.random() < 0.3:
                immobilised = draft.add(
                    EventKind.IMMOBILISATION_STARTED, received + self.hours(0.5, 20), now
                )
                if immobilised and rng.random() < 0.8:
                    draft.add(
                        EventKind.STABILITY_ADVICE_GIVEN, immobilised + self.hours(1, 40), now
                    )
            surgery = None
            if mscc and rng.random() < 0.15:
                surgery = draft.add(EventKind.SURGERY_DECISION, received + self.hours(2, 48), now)
                if surgery and rng.random() < 0.7:
                    draft.add(EventKind.SURGERY_PERFORMED, surgery + self.hours(2, 60), now)
            if rng.random() < (0.45 if mscc else 0.2):
                after = surgery + self.hours(30, 200) if surgery and rng.random() < 0.6 else None
                decided = draft.add(
                    EventKind.RT_DECISION, after or received + self.hours(1, 72), now
                )
                if decided and rng.random() < 0.85:
                    draft.add(EventKind.RT_DELIVERED, decided + self.hours(1, 40), now)
            if rng.random() < 0.45:
                last = max([received, *draft.events.values()])
                if draft.add(EventKind.AMBULATORY_ASSESSED, last + self.hours(1, 200), now):
                    draft.ambulatory_after = rng.random() < 0.6
        last = max([received, *draft.events.values()])
        if rng.random() < 0.12:
            # Within 30 days of receipt, or after them.
            died = max(last + self.hours(1, 24), received + self.hours(24, 1400))
            draft.add(EventKind.DIED, died, now)

    def _not_appropriate(self, row: dict[str, str]) -> None:
        """A few clocks out of the standard, each one the row has."""
        category = row["category"]
        candidates = ["acknowledgement"]
        if category == Category.SUSPECTED_SPINAL_METASTASES:
            candidates.append("advice")
        if category in (Category.SUSPECTED_MSCC, Category.SUSPECTED_SPINAL_METASTASES):
            candidates.append("mri")
            if row["immobilisation_started_at"]:
                candidates.append("stability_advice")
            if row["rt_decision_at"]:
                candidates.append("radiotherapy")
        for kind in candidates:
            if self.rng.random() < 0.06:
                row[f"{kind}_not_appropriate_reason"] = "Declined (synthetic)."


# Which events start which clocks, to mark one "not appropriate" as it starts.
_STARTED_BY = {
    EventKind.IMMOBILISATION_STARTED.value: ClockKind.STABILITY_ADVICE.value,
    EventKind.RT_DECISION.value: ClockKind.RADIOTHERAPY.value,
    EventKind.SURGERY_DECISION.value: ClockKind.SURGERY.value,
}


def _mark(referral: Referral, kind: str, reason: str, user: User, now: datetime) -> None:
    clock = (
        Clock.objects.filter(referral=referral, kind=kind, void=False, not_appropriate=False)
        .exclude(status=ClockStatus.CANCELLED)
        .order_by("-started_at")
        .first()
    )
    assert clock is not None, f"{referral.reference}: no {kind} clock to mark"
    referral_clock_not_appropriate(
        referral=referral, clock_id=clock.pk, reason=reason, user=user, now=now
    )


def load_rows(
    rows: Iterable[dict[str, str]],
    *,
    coordinators: dict[str, User],
    organisations: dict[str, Organisation],
    services: dict[str, Service],
) -> dict[str, Referral]:
    """Each row taken by ``referral_create`` at its receipt, then its category,
    markings and events through the coordinator's services. Returns the
    referrals by the row's reference."""
    made = {}
    for row in rows:
        received = when(row["received_at"])
        assert received is not None
        user = coordinators[row["service"]]
        clinical = {
            "cancer_status": row["cancer_status"],
            "primary_tumour": row["primary_tumour"],
            "pain_features": codes(row["pain_features"]),
            "neuro_features": codes(row["neuro_features"]),
            "neuro_onset_at": when(row["neuro_onset_at"]),
            "suspected_at": when(row["suspected_at"]),
            "imaging_findings": row["imaging_findings"] or "none",
            "imaging_modality": row["imaging_modality"],
            "back_pain": row["back_pain"] == "true",
            "ambulatory": flag(row["ambulatory_at_presentation"]),
        }
        referral = referral_create(
            user=user,
            now=received,
            organisation=organisations[row["referring_organisation"]],
            service=services[row["service"]],
            patient=PatientDetails(
                nhs_number=row["nhs_number"],
                given_name="Test",
                family_name="Patient",
                date_of_birth=date.fromisoformat(row["date_of_birth"]),
                sex=row["sex"],
                postcode=row["postcode"],
            ),
            clinical=clinical,
        )
        if row["imd_decile"]:
            # The row's own decile, as the historic import stores it.
            Patient.objects.filter(pk=referral.patient_id).update(imd_decile=int(row["imd_decile"]))
        if referral.category != row["category"]:
            referral = referral_override_category(
                referral=referral,
                user=user,
                now=received,
                category=row["category"],
                reason="Historic record (synthetic).",
            )
        reasons = {
            kind.value: row[f"{kind.value}_not_appropriate_reason"]
            for kind in ClockKind
            if row[f"{kind.value}_not_appropriate_reason"]
        }
        for kind in ("acknowledgement", "advice", "mri", "dexamethasone"):
            if kind in reasons:
                _mark(referral, kind, reasons[kind], user, received)
        events = sorted(
            (at, column.removesuffix("_at"))
            for column in EVENT_COLUMNS
            if (at := when(row[column])) is not None
        )
        for at, kind in events:
            referral_event_add(
                referral=referral,
                user=user,
                now=max(at, received),
                kind=kind,
                occurred_at=at,
                details="Synthetic",
                ambulatory=(
                    flag(row["ambulatory_after_treatment"])
                    if kind == EventKind.AMBULATORY_ASSESSED
                    else None
                ),
            )
            started = _STARTED_BY.get(kind)
            if started in reasons:
                _mark(referral, started, reasons[started], user, max(at, received))
        referral.refresh_from_db()
        made[row["reference"]] = referral
    return made


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)
