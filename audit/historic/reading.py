"""Reading a historic referral CSV: every row parsed and checked, every
problem found, before anything is written.

``read_historic`` reads the whole file and returns typed rows and a list of
problems, each naming its line and column, so that one run reports every bad
row (``line 14, column received_at: not an ISO 8601 time with an offset``).
The checks are those the live services would make when the import replays
each row through them (``importing.py``): the referral's input rules
(``referrals.inputs.referral_input_checked``, run as of the row's
``received_at``), and the bounds an event's time is held to
(``pathways.services.events.event_time_checked``). What needs the database
(organisations, services, references already imported) is checked by
``importing.py``.

Problems never quote a patient identifier back (an NHS number, a date of
birth, a postcode): the messages say what is wrong with the value, not what
it was.
"""

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from audit.historic import columns as C
from core.errors import DomainError
from pathways.codes import ClockKind, EventKind
from referrals import nhs_number
from referrals.codes import TERMINAL_STATUSES, ReferralStatus
from referrals.inputs import TEXT_MAX, PatientDetails, referral_input_checked

E = EventKind

# The file carries no names: a new patient is stored with these, and the
# record says so rather than inventing a name.
NAME_NOT_RECORDED = "Not recorded"

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]*$")

# How an imported record ends: the state the file gives when it is one of
# these; any other (an open state, or blank) is closed as ``closed``. A
# death is recorded as the ``died`` event and ends the record itself.
CLOSINGS = frozenset(
    {
        ReferralStatus.CLOSED,
        ReferralStatus.CLOSED_NOT_MSCC,
        ReferralStatus.REDIRECTED,
        ReferralStatus.WITHDRAWN,
    }
)

# Events that end every clock still running: markings are made before them.
ENDING_EVENTS = frozenset({E.DIED, E.SPINAL_METASTASES_RULED_OUT})

# The referral input's field names, as ``referral_input_checked`` names them,
# and the column each is read from.
_FIELD_COLUMNS = {
    "patient.nhs_number": "nhs_number",
    "patient.date_of_birth": "date_of_birth",
    "patient.sex": "sex",
    "patient.postcode": "postcode",
    "patient.given_name": "nhs_number",
    "patient.family_name": "nhs_number",
    "ambulatory": "ambulatory_at_presentation",
}


def column_of(field_name: str) -> str:
    """The file's column for a field a service names in its error."""
    return _FIELD_COLUMNS.get(field_name, field_name)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, where it is."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"line {self.line}, column {self.column}: {self.message}"
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class HistoricEvent:
    kind: EventKind
    occurred_at: datetime
    # For ``ambulatory_assessed`` only: whether the person walked.
    ambulatory: bool | None = None

    @property
    def column(self) -> str:
        return C.event_column(self.kind)


@dataclass(frozen=True)
class HistoricRow:
    """One referral as the file gives it, parsed and checked."""

    line: int
    reference: str
    nhs_number: str
    date_of_birth: date
    sex: str
    postcode: str
    imd_decile: int | None
    organisation: str
    service: str
    received_at: datetime
    # The fields of ``referral_create``'s ``clinical``.
    clinical: Mapping[str, Any]
    # The category the service assessed at referral (blank: triage's stands).
    category: str
    # How the record ends (``CLOSINGS``, or ``died`` when it has ``died_at``).
    closing: ReferralStatus
    # In the order they are recorded: by time, and at one instant by the
    # vocabulary's order, except that a death comes last.
    events: tuple[HistoricEvent, ...]
    not_appropriate: tuple[tuple[ClockKind, str], ...] = ()

    @property
    def last_moment(self) -> datetime:
        """The latest time the record knows of: it is closed then."""
        return max([self.received_at, *(e.occurred_at for e in self.events)])

    @property
    def marking_moment(self) -> datetime:
        """When the "not appropriate" markings are recorded: the last moment
        at which the clocks they belong to can still be open (before a death
        or spinal metastases ruled out ends them, else the last moment)."""
        ending = [e.occurred_at for e in self.events if e.kind in ENDING_EVENTS]
        return max(min(ending), self.received_at) if ending else self.last_moment


@dataclass
class Reading:
    rows: list[HistoricRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Data rows read (blank lines not counted).
    read: int = 0


class _Bad(Exception):
    """A cell's value is wrong: the message says how."""


def read_historic(lines: Iterable[str], *, now: datetime | None = None) -> Reading:
    """Parse and check every row of a historic CSV (``lines``: the file's
    text, e.g. an open file). ``now``: the wall clock, which no time in the
    file may be after."""
    now = now or timezone.now()
    reading = Reading()
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        reading.problems.append(Problem(1, "", "the file is empty: it needs a header line"))
        return reading
    except csv.Error as error:
        reading.problems.append(Problem(1, "", f"not a CSV line ({error})"))
        return reading
    header = [name.strip().lstrip("\ufeff") for name in header]
    header_problems = _header_problems(header)
    if header_problems:
        reading.problems += header_problems
        return reading

    first_line: dict[str, int] = {}
    previous_end = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            reading.problems.append(Problem(previous_end + 1, "", f"not a CSV line ({error})"))
            previous_end = reader.line_num
            continue
        line, previous_end = previous_end + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue  # A blank line (often the last).
        reading.read += 1
        if len(values) != len(header):
            reading.problems.append(
                Problem(line, "", f"{len(values)} values for the header's {len(header)} columns")
            )
            continue
        cells = {name: value.strip() for name, value in zip(header, values, strict=True)}
        row, problems = _row(line, cells, now=now)
        reference = cells["reference"]
        if reference and reference in first_line:
            problems.append(
                Problem(
                    line,
                    "reference",
                    f"also on line {first_line[reference]}: a reference names one referral",
                )
            )
        first_line.setdefault(reference, line)
        if problems:
            reading.problems += problems
        elif row is not None:
            reading.rows.append(row)
    return reading


def _header_problems(header: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(1, name, "the column is named twice"))
        elif name not in C.COLUMNS:
            problems.append(Problem(1, name, "not a column of the historic format"))
        seen.add(name)
    problems += [
        Problem(1, name, "a required column is missing from the header")
        for name in C.REQUIRED
        if name not in seen
    ]
    return problems


# --- one row -------------------------------------------------------------------


def _row(
    line: int, cells: dict[str, str], *, now: datetime
) -> tuple[HistoricRow | None, list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for name in C.COLUMNS:
        text = cells.get(name, "")
        try:
            values[name] = _cell(name, text)
        except _Bad as error:
            problems.append(Problem(line, name, str(error)))
            values[name] = None
    bad = {p.column for p in problems}

    def ok(*names: str) -> bool:
        return not bad.intersection(names)

    received_at: datetime | None = values["received_at"]
    if ok("received_at") and received_at is not None and received_at > now:
        problems.append(Problem(line, "received_at", "in the future: check the date"))
    for name in ("suspected_at", "neuro_onset_at"):
        at = values[name]
        if ok(name, "received_at") and at is not None and received_at and at > received_at:
            problems.append(
                Problem(line, name, "after received_at: it comes before the referral it led to")
            )

    events = _events(values)
    clinical = _clinical(values)
    patient_columns = ("nhs_number", "date_of_birth", "sex", "postcode")
    if ok("received_at", *patient_columns, *clinical) and received_at is not None:
        # Intake's own messages, but none for a column already reported.
        reported = {p.column for p in problems}
        problems += _input_problems(line, values, clinical, received_at, reported)
    if ok("received_at", "date_of_birth", "suspected_at", "neuro_onset_at") and received_at:
        problems += _event_problems(line, values, events, received_at, now)
    if ok(C.event_column(E.AMBULATORY_ASSESSED), "ambulatory_after_treatment"):
        problems += _ambulatory_problems(line, values)
    closing, closing_problems = _closing(line, values)
    problems += closing_problems
    if problems or received_at is None:
        return None, problems
    return (
        HistoricRow(
            line=line,
            reference=values["reference"],
            nhs_number=values["nhs_number"],
            date_of_birth=values["date_of_birth"],
            sex=values["sex"],
            postcode=values["postcode"],
            imd_decile=values["imd_decile"],
            organisation=values["referring_organisation"],
            service=values["service"],
            received_at=received_at,
            clinical=clinical,
            category=values["category"] or "",
            closing=closing,
            events=tuple(sorted(events, key=_recording_order)),
            not_appropriate=tuple(
                (kind, values[column])
                for column, kind in C.NOT_APPROPRIATE_COLUMNS.items()
                if values[column]
            ),
        ),
        [],
    )


_KIND_ORDER = {kind: i for i, kind in enumerate(C.EVENT_KINDS)}


def _recording_order(event: HistoricEvent) -> tuple[datetime, bool, int]:
    return (event.occurred_at, event.kind == E.DIED, _KIND_ORDER[event.kind])


def _cell(name: str, text: str) -> Any:
    """A cell's value, typed (None or the column's default when blank)."""
    if not text:
        if name in C.NOT_BLANK:
            raise _Bad("a value is needed")
        if name in C.CODE_LIST_COLUMNS:
            return []
        if name in C.BOOLEAN_COLUMNS:
            return None if name in C.NULLABLE_BOOLEAN_COLUMNS else False
        return None if name in C.TIME_COLUMNS or name == "imd_decile" else ""
    if name == "reference":
        if len(text) > C.REFERENCE_MAX or not _REFERENCE.match(text):
            raise _Bad(
                f"a reference is 1 to {C.REFERENCE_MAX} letters, digits and - _ . / "
                "(starting with a letter or digit)"
            )
        return text
    if name == "nhs_number":
        problem = nhs_number.problem(text)
        if problem:
            raise _Bad(problem[0].lower() + problem[1:].rstrip("."))
        return nhs_number.normalise(text)
    if name == "date_of_birth":
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _Bad("not a date as YYYY-MM-DD") from None
    if name == "imd_decile":
        if not text.isdigit() or int(text) not in C.IMD_DECILES:
            raise _Bad("an IMD decile is a whole number from 1 to 10")
        return int(text)
    if name in C.TIME_COLUMNS:
        return _time(text)
    if name in C.BOOLEAN_COLUMNS:
        if text.lower() not in (C.TRUE, C.FALSE):
            raise _Bad("give true, false or leave it blank")
        return text.lower() == C.TRUE
    if name in C.CODE_COLUMNS:
        return _code(name, text)
    if name in C.CODE_LIST_COLUMNS:
        codes = [c.strip() for c in text.split(C.LIST_SEPARATOR) if c.strip()]
        unknown = [c for c in codes if c not in C.CODE_LIST_COLUMNS[name]._value2member_map_]
        if unknown:
            raise _Bad(
                f"unknown code{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(c) for c in unknown)}; "
                f"the codes are {_listing(C.CODE_LIST_COLUMNS[name])}, separated by ';'"
            )
        return list(dict.fromkeys(codes))
    if name in C.NOT_APPROPRIATE_COLUMNS:
        if len(text) > TEXT_MAX:
            raise _Bad(f"keep the reason to {TEXT_MAX} characters")
        return text
    # referring_organisation, service, postcode: checked against the database
    # (importing.py) or by the input rules (below).
    return text


def _time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _Bad("not an ISO 8601 time with an offset") from None
    if value.tzinfo is None:
        raise _Bad(
            "not an ISO 8601 time with an offset: give the UTC offset "
            "(e.g. 2026-01-05T09:30:00+00:00), a local time is ambiguous when the clocks change"
        )
    return value


def _code(name: str, text: str) -> str:
    vocabulary = C.CODE_COLUMNS[name]
    if text not in vocabulary._value2member_map_:
        raise _Bad(f"unknown code {text!r}; the codes are {_listing(vocabulary)}")
    return text


def _listing(vocabulary: Any) -> str:
    return ", ".join(member.value for member in vocabulary)


def _clinical(values: Mapping[str, Any]) -> dict[str, Any]:
    """``referral_create``'s clinical fields; an optional column left out or
    blank takes the referral's default."""
    clinical: dict[str, Any] = {
        "cancer_status": values["cancer_status"],
        "primary_tumour": values["primary_tumour"] or "",
        "pain_features": values["pain_features"],
        "neuro_features": values["neuro_features"],
        "neuro_onset_at": values["neuro_onset_at"],
        "suspected_at": values["suspected_at"],
        "imaging_findings": values["imaging_findings"] or "none",
        "ambulatory": values["ambulatory_at_presentation"],
        "instability_signs": values["instability_signs"],
        "back_pain": values["back_pain"],
        "known_spinal_metastases": values["known_spinal_metastases"],
    }
    for name in ("imaging_modality", "movement_pain", "haematological"):
        if values[name]:
            clinical[name] = values[name]
    return clinical


def _input_problems(
    line: int,
    values: Mapping[str, Any],
    clinical: Mapping[str, Any],
    received_at: datetime,
    bad: set[str],
) -> list[Problem]:
    """The referral input's own rules, as intake applies them at receipt."""
    patient = PatientDetails(
        nhs_number=values["nhs_number"],
        given_name=NAME_NOT_RECORDED,
        family_name=NAME_NOT_RECORDED,
        date_of_birth=values["date_of_birth"],
        sex=values["sex"],
        postcode=values["postcode"],
    )
    try:
        referral_input_checked(patient=patient, clinical=clinical, now=received_at)
    except DomainError as error:
        return [
            Problem(line, column_of(name), _sentence(message))
            for name, messages in error.errors.items()
            for message in messages
            if column_of(name) not in bad
        ]
    return []


def _sentence(message: str) -> str:
    """A service's message as the tail of a problem line."""
    message = message.strip().rstrip(".")
    return message[:1].lower() + message[1:] if message[1:2].islower() else message


def _events(values: Mapping[str, Any]) -> list[HistoricEvent]:
    return [
        HistoricEvent(
            kind,
            values[column],
            values["ambulatory_after_treatment"] if kind == E.AMBULATORY_ASSESSED else None,
        )
        for column, kind in C.EVENT_COLUMNS.items()
        if values.get(column) is not None
    ]


def _event_problems(
    line: int,
    values: Mapping[str, Any],
    events: list[HistoricEvent],
    received_at: datetime,
    now: datetime,
) -> list[Problem]:
    """The bounds the live services hold an event's time to: within the
    person's life and this episode (``event_time_checked``), an
    acknowledgement not before receipt (``referral_acknowledge``), nothing
    after a death (a died referral takes no further events), and not in the
    future."""
    problems = []
    born: date = values["date_of_birth"]
    days = settings.MSCC_EVENT_LOOKBACK_DAYS
    starts = [received_at, values["suspected_at"], values["neuro_onset_at"]]
    earliest = min(t for t in starts if t is not None)
    died = values.get(C.event_column(E.DIED))
    for event in events:
        column, at = event.column, event.occurred_at
        if at > now:
            problems.append(Problem(line, column, "in the future: check the date"))
        elif timezone.localtime(at).date() < born:
            problems.append(Problem(line, column, "before the date of birth: check the date"))
        elif at < earliest - timedelta(days=days):
            problems.append(
                Problem(
                    line,
                    column,
                    f"more than {days} days before the referral's first suspicion, "
                    "symptom onset or receipt: check the date",
                )
            )
        elif event.kind == E.ACKNOWLEDGED and at < received_at:
            problems.append(
                Problem(line, column, "before received_at: a referral is acknowledged after it")
            )
        elif died is not None and at > died and event.kind != E.DIED:
            problems.append(
                Problem(line, column, "after died_at: a record takes no event after a death")
            )
    return problems


def _ambulatory_problems(line: int, values: Mapping[str, Any]) -> list[Problem]:
    at_column = C.event_column(E.AMBULATORY_ASSESSED)
    assessed, walks = values[at_column], values["ambulatory_after_treatment"]
    if assessed is not None and walks is None:
        return [
            Problem(
                line,
                "ambulatory_after_treatment",
                f"needed with {at_column}: say whether the person walked (true or false)",
            )
        ]
    if assessed is None and walks is not None:
        return [
            Problem(
                line, at_column, "needed with ambulatory_after_treatment: when walking was assessed"
            )
        ]
    return []


def _closing(line: int, values: Mapping[str, Any]) -> tuple[ReferralStatus, list[Problem]]:
    """How the record ends: died with ``died_at``; else the file's ``status``
    where it is a closure; else ``closed`` (a historic record is closed,
    whatever state the file last saw it in)."""
    status = values.get("status") or ""
    died = values.get(C.event_column(E.DIED)) is not None
    if died:
        if status and status in TERMINAL_STATUSES and status != ReferralStatus.DIED:
            return ReferralStatus.DIED, [
                Problem(line, "status", f"{status} with died_at: a record with a death ends died")
            ]
        return ReferralStatus.DIED, []
    if status == ReferralStatus.DIED:
        return ReferralStatus.DIED, [
            Problem(line, C.event_column(E.DIED), "needed with status died: when the person died")
        ]
    if status in CLOSINGS:
        return ReferralStatus(status), []
    return ReferralStatus.CLOSED, []
