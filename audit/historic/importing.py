"""Importing historic referrals: each row replayed through the live services.

An imported referral is made exactly as a live one is, so that the audit
counts both alike: ``referral_create`` as of its ``received_at`` (triage,
first clocks), the file's category as a recorded override where it differs
from triage's (``referral_override_category``), each event by
``referral_event_add`` in the order it happened, each "not appropriate"
reason by ``referral_clock_not_appropriate``, and then closed
(``referral_close_historic``) at the last moment the record knows of. Each
service is called with ``now`` the historic moment it stands for, never the
wall clock: the services' time bounds (an event's look-back, suspicion before
receipt) are then judged as they would have been at the time.

Imported referrals are closed: they never enter the queue, their clocks are
stopped or cancelled so the sweep never escalates them, and nothing is sent
(no service on this path enqueues a task).

Nothing is written unless every row goes in: the file is checked whole
first (``reading.py``, then the reference data here), and the writes are one
transaction with a savepoint per row, so that a row a service still refuses
is reported with the others, by line and column, and the whole import is
rolled back. A dry run does the same and always rolls back: what it reports
is what a real run would write.
"""

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from audit.historic import columns as C
from audit.historic.reading import (
    ENDING_EVENTS,
    NAME_NOT_RECORDED,
    HistoricRow,
    Problem,
    column_of,
)
from coordinator.services import (
    referral_clock_not_appropriate,
    referral_close_historic,
    referral_create,
    referral_event_add,
    referral_override_category,
    service_provision,
)
from core.errors import DomainError
from core.logs import get_logger
from core.roles import Role
from pathways.codes import ClockStatus, EventKind
from referrals.codes import OrganisationKind, ReferralStatus
from referrals.inputs import PatientDetails
from referrals.models import Alliance, Organisation, Patient, Referral, Service, User

log = get_logger(__name__)

# The status reason of every imported record, and the details of the events
# that close it: how a historic record is told from a live one.
IMPORTED = "imported"
OVERRIDE_REASON = "The category the historic record gives (imported)."

# The system account that records a service's imported referrals.
SYSTEM_USERNAME = "historic-import"

_REFERENCE_BATCH = 1000


class ImportRefused(Exception):
    """The file cannot be imported as it is: every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problems")


@dataclass
class ImportResult:
    read: int = 0
    imported: int = 0
    events: int = 0
    # Rows whose reference the database already holds (an earlier import).
    skipped: list[str] = field(default_factory=list)
    created_organisations: list[str] = field(default_factory=list)
    created_services: list[str] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0


Progress = Callable[[int, int], None]


def system_user_for(service: Service) -> User:
    """The account that records ``service``'s imported referrals.

    One per service, because a coordinator records for their own service
    only (``referral_may_be_made``). A coordinator, so it may record what a
    coordinator records; and the intake limits never count it (they apply to
    the API and the referral page, ``referral_create_from_input``, which the
    import does not go through; coordinators are exempt from them anyway).
    It can never sign in: inactive, with no usable password (Django's
    backends, the token call and the admin all refuse an inactive user), so
    nobody can act as it, and the limits' exemption is nothing a live
    referrer can borrow. ``referred_by`` and ``recorded_by`` name it on every
    imported row, so an imported record is told from a live one."""
    username = f"{SYSTEM_USERNAME}.{service.code}".lower()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username,
            password=None,  # unusable
            first_name="Historic",
            last_name=f"import ({service.code})",
            role=Role.COORDINATOR,
            service=service,
            is_active=False,
        )
        return user
    if user.role != Role.COORDINATOR or user.service_id != service.pk:
        raise DomainError(
            f"The username {username} is another account's: rename it to import.",
            field="service",
        )
    if user.is_active or user.has_usable_password():
        # Someone enabled it: it is never to sign in.
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])
    return user


# --- the reference data -----------------------------------------------------------


@dataclass
class _Plan:
    organisations: dict[str, Organisation]
    services: dict[str, Service]
    # Codes to create, and the alliance of each.
    new_organisations: dict[str, Alliance]
    new_services: dict[str, Alliance]
    existing: set[str]


def _plan(rows: Sequence[HistoricRow], *, create_missing: bool) -> tuple[_Plan, list[Problem]]:
    """Every row's organisation and service found (or, with
    ``create_missing``, to be made), in one alliance; the references already
    held. A missing organisation is made in its service's alliance, and a
    missing service in its organisation's: the file names no alliance, so
    where neither is known the row is refused. An alliance is never made
    (its population and suppression threshold are an administrator's
    decisions), nor is anything made without ``create_missing``."""
    org_codes = {r.organisation for r in rows}
    service_codes = {r.service for r in rows}
    organisations = {
        o.code: o
        for o in Organisation.objects.filter(code__in=org_codes).select_related("alliance")
    }
    services = {
        s.code: s for s in Service.objects.filter(code__in=service_codes).select_related("alliance")
    }
    problems: list[Problem] = []
    new_organisations: dict[str, Alliance] = {}
    new_services: dict[str, Alliance] = {}
    for row in rows:
        organisation = organisations.get(row.organisation)
        service = services.get(row.service)
        if organisation and service:
            if organisation.alliance_id != service.alliance_id:
                problems.append(
                    Problem(
                        row.line,
                        "service",
                        f"{row.service} is not an MSCC service of {row.organisation}'s "
                        f"cancer alliance ({organisation.alliance.code})",
                    )
                )
            continue
        if not create_missing:
            for column, code, what in (
                ("referring_organisation", row.organisation, organisation),
                ("service", row.service, service),
            ):
                if what is None:
                    problems.append(
                        Problem(
                            row.line,
                            column,
                            f"no {column.replace('_', ' ')} {code} "
                            "(--create-missing makes it in the alliance of the other)",
                        )
                    )
            continue
        if organisation is None and service is None:
            problems.append(
                Problem(
                    row.line,
                    "service",
                    f"neither {row.service} nor {row.organisation} exists, so their "
                    "alliance is not known: set up one of them first (the import "
                    "never makes an alliance)",
                )
            )
            continue
        if service is not None:
            _adopt(
                new_organisations,
                row.organisation,
                service.alliance,
                row,
                problems,
                "referring_organisation",
            )
        elif organisation is not None:
            _adopt(new_services, row.service, organisation.alliance, row, problems, "service")
    existing: set[str] = set()
    references = [r.reference for r in rows]
    for start in range(0, len(references), _REFERENCE_BATCH):
        chunk = references[start : start + _REFERENCE_BATCH]
        existing.update(
            Referral.objects.filter(reference__in=chunk).values_list("reference", flat=True)
        )
    return _Plan(organisations, services, new_organisations, new_services, existing), problems


def _adopt(
    new: dict[str, Alliance],
    code: str,
    alliance: Alliance,
    row: HistoricRow,
    problems: list[Problem],
    column: str,
) -> None:
    held = new.setdefault(code, alliance)
    if held.pk != alliance.pk:
        problems.append(
            Problem(
                row.line,
                column,
                f"{code} would be made in alliance {alliance.code}, but another row "
                f"puts it in {held.code}",
            )
        )


def _make_missing(plan: _Plan) -> None:
    for code, alliance in sorted(plan.new_organisations.items()):
        # The file says nothing of its kind; an administrator can correct it.
        plan.organisations[code] = Organisation.objects.create(
            code=code, name=code, kind=OrganisationKind.OTHER, alliance=alliance
        )
    for code, alliance in sorted(plan.new_services.items()):
        service = Service.objects.create(code=code, name=code, alliance=alliance)
        service_provision(service=service)
        plan.services[code] = service


# --- the import ----------------------------------------------------------------


def referrals_import(
    rows: Sequence[HistoricRow],
    *,
    read: int | None = None,
    create_missing: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import checked rows (``reading.read_historic``), or none: raises
    ``ImportRefused`` with every problem and writes nothing. ``read``: the
    rows the file held, for the result; ``progress(done, total)`` is called
    after each row."""
    started = time.monotonic()
    result = ImportResult(read=len(rows) if read is None else read, dry_run=dry_run)
    plan, problems = _plan(rows, create_missing=create_missing)
    if problems:
        raise ImportRefused(problems)
    result.created_organisations = sorted(plan.new_organisations)
    result.created_services = sorted(plan.new_services)
    with transaction.atomic():
        _make_missing(plan)
        users: dict[str, User] = {}
        for done, row in enumerate(rows, start=1):
            if row.reference in plan.existing:
                result.skipped.append(row.reference)
            else:
                service = plan.services[row.service]
                if service.code not in users:
                    users[service.code] = system_user_for(service)
                try:
                    # A savepoint: a row a service refuses leaves nothing
                    # behind, and the rows after it are still tried.
                    with transaction.atomic():
                        result.events += _import_row(
                            row,
                            organisation=plan.organisations[row.organisation],
                            service=service,
                            user=users[service.code],
                        )
                    result.imported += 1
                except _RowRefused as refused:
                    problems += refused.problems
            if progress:
                progress(done, len(rows))
        if problems or dry_run:
            transaction.set_rollback(True)
    result.seconds = time.monotonic() - started
    if problems:
        raise ImportRefused(problems)
    log.info(
        "historic.imported",
        read=result.read,
        imported=result.imported,
        skipped=len(result.skipped),
        events=result.events,
        dry_run=dry_run,
        took_ms=round(result.seconds * 1000),
    )
    return result


class _RowRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problems")


@contextmanager
def _step(row: HistoricRow, column: str) -> Iterator[None]:
    """A service refusing a row's step: the problem under the column the
    step reads (or the field the service names, where it is a column)."""
    try:
        yield
    except DomainError as error:
        named = [
            Problem(
                row.line,
                column_of(name) if column_of(name) in C.COLUMNS else column,
                _text(message),
            )
            for name, messages in error.errors.items()
            for message in messages
        ]
        raise _RowRefused(named or [Problem(row.line, column, _text(error.message))]) from error
    except IntegrityError as error:
        # Another import took the reference since the file was checked.
        raise _RowRefused(
            [Problem(row.line, column, "refused by the database (was it imported meanwhile?)")]
        ) from error


def _text(message: str) -> str:
    message = message.strip().rstrip(".")
    return message[:1].lower() + message[1:] if message[1:2].islower() else message


def _import_row(
    row: HistoricRow, *, organisation: Organisation, service: Service, user: User
) -> int:
    """One row through the live services; returns the events recorded."""
    with _step(row, "received_at"):
        referral = referral_create(
            user=user,
            now=row.received_at,
            organisation=organisation,
            service=service,
            patient=_patient(row),
            # ``reference`` is a field of the referral like the clinical ones:
            # the file's is kept, so a second import finds it.
            clinical={**row.clinical, "reference": row.reference},
        )
    if row.imd_decile is not None and referral.patient.imd_decile != row.imd_decile:
        patient = referral.patient
        patient.imd_decile = row.imd_decile
        patient._history_user = user  # type: ignore[attr-defined]
        patient.save(update_fields=["imd_decile"])
    if row.category and row.category != referral.category:
        with _step(row, "category"):
            referral = referral_override_category(
                referral=referral,
                user=user,
                now=row.received_at,
                category=row.category,
                reason=OVERRIDE_REASON,
            )
    # The markings go in while their clocks can still be open: before the
    # first event that ends every clock, else at the last moment.
    marking_at = row.marking_moment
    marked = False
    for event in row.events:
        if not marked and event.kind in ENDING_EVENTS:
            _mark(row, referral, user, marking_at)
            marked = True
        with _step(row, event.column):
            referral_event_add(
                referral=referral,
                user=user,
                # Recorded when it happened, and never before the referral existed.
                now=max(event.occurred_at, row.received_at),
                kind=event.kind,
                occurred_at=event.occurred_at,
                details=IMPORTED if event.kind == EventKind.DIED else "",
                ambulatory=event.ambulatory,
            )
    if not marked:
        _mark(row, referral, user, marking_at)
    if row.closing != ReferralStatus.DIED:
        with _step(row, "status"):
            referral_close_historic(
                referral=referral,
                user=user,
                now=row.last_moment,
                reason=IMPORTED,
                status=row.closing,
            )
    return len(row.events)


def _mark(row: HistoricRow, referral: Referral, user: User, at: datetime) -> None:
    """The file's "not appropriate" reasons, each on the latest clock of its
    kind still open to it (a cancelled clock is already out of the standard)."""
    for kind, reason in row.not_appropriate:
        column = C.not_appropriate_column(kind)
        clock = (
            referral.clocks.filter(kind=kind, void=False)
            .exclude(status=ClockStatus.CANCELLED)
            .order_by("-started_at")
            .first()
        )
        if clock is None:
            raise _RowRefused(
                [
                    Problem(
                        row.line,
                        column,
                        f"no {kind} clock of this referral is open to mark at "
                        f"{at.isoformat()} (none started, or it had already ended)",
                    )
                ]
            )
        with _step(row, column):
            referral_clock_not_appropriate(
                referral=referral, clock_id=clock.pk, reason=reason, user=user, now=at
            )


def _patient(row: HistoricRow) -> PatientDetails:
    """The patient as the file gives them. The file carries no names: a
    person already held keeps theirs (there is nothing to disagree with, and
    no identity check to raise over a name nobody sent); a new one is stored
    as "Not recorded". The date of birth is still compared with the held
    record, as at intake."""
    held = (
        Patient.objects.filter(nhs_number=row.nhs_number)
        .values_list("given_name", "family_name")
        .first()
    )
    given, family = held or (NAME_NOT_RECORDED, NAME_NOT_RECORDED)
    return PatientDetails(
        nhs_number=row.nhs_number,
        given_name=given,
        family_name=family,
        date_of_birth=row.date_of_birth,
        sex=row.sex,
        postcode=row.postcode,
    )
