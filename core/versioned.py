"""One base for a versioned configuration of a service: pathway versions and
escalation policies (STYLE.md habit 6, "freeze what applied").

A configuration is numbered per service. A draft (``published_at`` NULL) is
editable and applies to nobody; once published it is frozen, and the newest
published one is what new referrals start on. One draft per service at a
time. Its rows (clock definitions, escalation steps) hang off it by a foreign
key and are copied into each new draft.

The model is abstract and the services take the concrete models as
parameters (a ``Versioning``), so this shared floor imports no domain app:
foreign keys name ``referrals.Service`` and ``referrals.User`` lazily.

Locks, always taken in this order so two admins cannot deadlock: the service
row (serialises drafting and publishing for one service), then the
configuration row (serialises edits of a draft against its publishing, so
publish validates exactly what goes live).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core.errors import Conflict, DomainError, Forbidden
from core.roles import Role

# Field name -> messages, the shape Django forms and the API both accept.
Errors = dict[str, list[str]]


def service_field(*, related_name: str) -> Any:
    """The service a configuration belongs to; each concrete model names its
    own reverse accessor (``service.pathway_versions``)."""
    return models.ForeignKey(
        "referrals.Service", on_delete=models.PROTECT, related_name=related_name
    )


def versioned_constraints(prefix: str) -> list[models.BaseConstraint]:
    """Numbers are unique per service, and a service has one draft at a time
    (the services also lock the service row). Named ``<prefix>_...`` as the
    migrations already created them."""
    return [
        models.UniqueConstraint(fields=["service", "number"], name=f"{prefix}_service_number"),
        models.UniqueConstraint(
            fields=["service"],
            condition=models.Q(published_at__isnull=True),
            name=f"{prefix}_one_draft_per_service",
        ),
    ]


def rows_copy(
    *,
    rows: Iterable[models.Model],
    model: type[models.Model],
    parent_field: str,
    parent: models.Model,
    user: Any,
) -> list[models.Model]:
    """Copy ``rows`` under a new parent (a draft), with history. Every concrete
    field but the key and the parent is copied, so a field added later is too."""
    copied = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name != parent_field
    ]
    # simple-history is untyped: say what bulk_create_with_history returns.
    created: list[models.Model] = bulk_create_with_history(
        [
            model(**{parent_field: parent}, **{name: getattr(r, name) for name in copied})
            for r in rows
        ],
        model,
        default_user=user,
    )
    return created


class VersionedConfiguration(models.Model):
    """Number, who and when, a note, and publishing. A concrete model
    redeclares ``service`` with its related name, adds ``history =
    HistoricalRecords()`` and ``Meta.constraints = versioned_constraints(...)``."""

    service = service_field(related_name="+")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    # A draft (NULL) is editable and applies to nobody; once published it is
    # frozen, and the newest published one is what new referrals start on.
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        "referrals.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class ConfigurationInvalid(DomainError):
    """A row or a whole draft breaks its configuration's rules; ``errors``
    names every field at fault."""

    def __init__(self, errors: Errors) -> None:
        super().__init__(errors=errors)


def may_configure(*, user: Any, service_id: int | None) -> bool:
    """A superuser may configure any service; a service admin only their own
    service; nobody else any (and nobody who has left)."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return (
        user.role == Role.SERVICE_ADMIN
        and user.service_id is not None
        and user.service_id == service_id
    )


def is_configurer(user: Any) -> bool:
    """May use the configuration admin at all (which service is checked per object)."""
    return bool(
        user.is_active
        and (user.is_superuser or (user.role == Role.SERVICE_ADMIN and user.service_id))
    )


ConfigT = TypeVar("ConfigT", bound="VersionedConfiguration")


@dataclass(frozen=True)
class Versioning(Generic[ConfigT]):
    """The shared services, for one concrete configuration and its rows."""

    model: type[ConfigT]
    rows_model: type[models.Model]
    parent_field: str  # the rows' foreign key to the configuration
    rows_order: tuple[str, ...]  # the order rows are copied and checked in
    noun: str  # "pathway version", "escalation policy"
    what: str  # what an admin configures: "pathway", "escalation policy"
    error_field: str  # the field a refusal names: "version", "policy"
    applies: str  # new referrals start ___ it: "on", "under"
    invalid: type[ConfigurationInvalid] = ConfigurationInvalid

    # --- who may, and locks -----------------------------------------------------

    def require_may_configure(self, user: Any, service_id: int) -> None:
        if not may_configure(user=user, service_id=service_id):
            raise Forbidden(
                f"Only an admin of this service can change its {self.what}.", field="service"
            )

    def lock_service(self, service_id: int) -> Any:
        service_model: Any = self.model._meta.get_field("service").related_model
        return service_model.objects.select_for_update().get(pk=service_id)

    def lock_draft(self, pk: int, user: Any) -> ConfigT:
        """The configuration, locked, if ``user`` may configure it and it is
        still a draft."""
        # No select_related here: FOR UPDATE would lock the joined service row
        # as well, outside the service-then-configuration order.
        obj = self.model._default_manager.select_for_update().get(pk=pk)
        self.require_may_configure(user, obj.service_id)
        if obj.published_at is not None:
            raise Conflict(
                f"{self.noun.capitalize()} v{obj.number} is published and can never be "
                f"changed: referrals started {self.applies} it keep it. Start a new draft "
                "from it instead.",
                field=self.error_field,
            )
        return obj

    def rows_of(self, obj: VersionedConfiguration) -> models.QuerySet[Any]:
        return self.rows_model._default_manager.filter(**{self.parent_field: obj}).order_by(
            *self.rows_order
        )

    # --- writes -------------------------------------------------------------------

    def create_first(
        self, *, service: Any, user: Any, note: str, rows: Iterable[models.Model]
    ) -> ConfigT:
        """Version 1 of a service's configuration, published, with ``rows``
        (unsaved, their parent set here)."""
        with transaction.atomic():
            now = timezone.now()
            obj = self.model(
                service=service,
                number=1,
                created_by=user,
                note=note,
                published_at=now,
                published_by=user,
            )
            obj._history_user = user  # type: ignore[attr-defined]
            obj.save()
            rows = list(rows)
            for row in rows:
                setattr(row, self.parent_field, obj)
            bulk_create_with_history(rows, self.rows_model, default_user=user)
            return obj

    def draft_create(self, *, source: VersionedConfiguration, user: Any, note: str = "") -> ConfigT:
        """A new draft, numbered after the service's newest, holding a copy of
        every row of ``source``. Refused while the service already has a draft."""
        with transaction.atomic():
            self.require_may_configure(user, source.service_id)
            service = self.lock_service(source.service_id)
            siblings = self.model.objects.filter(service=service)  # type: ignore[attr-defined]
            open_draft = siblings.filter(published_at__isnull=True).first()
            if open_draft is not None:
                raise Conflict(
                    f"{service.code} already has a draft {self.noun}, v{open_draft.number}: "
                    "publish it (or edit it) first. A service has one draft at a time.",
                    field=self.error_field,
                )
            stored = siblings.get(pk=source.pk)
            number = (siblings.aggregate(last=Max("number"))["last"] or 0) + 1
            draft = self.model(
                service=service,
                number=number,
                created_by=user,
                note=note or f"Draft from v{stored.number}",
            )
            draft._history_user = user  # type: ignore[attr-defined]
            draft.save()
            rows_copy(
                rows=self.rows_of(stored),
                model=self.rows_model,
                parent_field=self.parent_field,
                parent=draft,
                user=user,
            )
            return draft

    def note_update(self, *, obj: VersionedConfiguration, user: Any, note: str) -> ConfigT:
        """Change a draft's note (what changed and why)."""
        with transaction.atomic():
            draft = self.lock_draft(obj.pk, user)
            draft.note = note
            draft._history_user = user  # type: ignore[attr-defined]
            draft.save(update_fields=["note"])
            return draft

    def publish(
        self,
        *,
        obj: VersionedConfiguration,
        user: Any,
        now: datetime,
        errors_of: Callable[[Any], Errors],
    ) -> ConfigT:
        """Check the whole draft with ``errors_of(locked draft)`` and publish
        it: from ``now`` it is what new referrals start on. Referrals already
        started keep theirs."""
        with transaction.atomic():
            self.require_may_configure(user, obj.service_id)
            self.lock_service(obj.service_id)
            draft = self.lock_draft(obj.pk, user)
            errors = errors_of(draft)
            if errors:
                raise self.invalid(errors)
            if self.model.objects.filter(  # type: ignore[attr-defined]
                service_id=draft.service_id, number__gt=draft.number, published_at__isnull=False
            ).exists():
                # Cannot happen while drafts are numbered after every version,
                # but one that would not become current must not go live.
                raise Conflict(f"A newer {self.noun} than v{draft.number} is already published.")
            draft.published_at = now
            draft.published_by = user
            draft._history_user = user  # type: ignore[attr-defined]
            draft.save(update_fields=["published_at", "published_by"])
            return draft
