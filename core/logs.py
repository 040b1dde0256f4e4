"""Structured logs: one JSON object a line, carrying ids, never identities.

The convention, for every module::

    from core.logs import get_logger

    log = get_logger(__name__)
    log.info("referral.created", reference=referral.reference, referral_id=referral.pk)

The first argument is the event's name (``noun.verb``, fixed text, never
interpolated); the keywords are ids, references, counts and durations. Log a
referral by its ``reference`` and rows by their ids: never a patient's name,
NHS number, date of birth or postcode (logs leave the clinical record's access
controls: they are shipped, searched and kept by other systems). As a last
guard the formatter withholds the values of keys that name an identifier.

``mscc/settings.py`` sends every record through ``JsonFormatter``::

    {"time": "2026-11-24T03:00:15.042+00:00", "level": "INFO",
     "logger": "notifications.services.sweep", "event": "sweep.finished",
     "clocks": 3, "escalations": 2, "deliveries": 4, "requeued": 0, "took_ms": 18}
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any

from core.redact import redact_text

# Attributes every LogRecord has: anything else on a record came from ``extra``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}

# Keys whose values are patient identifiers: withheld if they reach a record.
IDENTITY_KEYS = frozenset(
    {
        "address",
        "date_of_birth",
        "dob",
        "email",
        "family_name",
        "first_name",
        "given_name",
        "last_name",
        "name",
        "nhs_number",
        "patient",
        "patient_name",
        "postcode",
    }
)
WITHHELD = "[withheld]"


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC), level, logger, event, and
    every ``extra`` field. Values JSON cannot hold (UUIDs, datetimes) become
    strings."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            # Django's own request lines ("GET /api/v1/referrals/?nhs_number=...")
            # and messages: queries and NHS numbers redacted (core/redact.py).
            "event": redact_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key in _RECORD_ATTRS or key.startswith("_") or key in entry:
                continue
            if key.rstrip("_") in IDENTITY_KEYS:
                value = WITHHELD
            elif key == "request" and hasattr(value, "path"):
                # Django's request records: the path, never the query string
                # (a search box's text may be a patient's name).
                value = redact_text(f"{getattr(value, 'method', '')} {value.path}")
            elif key == "request":
                # The development server's records carry its socket: not for a log.
                continue
            elif isinstance(value, str):
                value = redact_text(value)
            entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class EventLogger:
    """A logger whose calls take an event name and ids as keywords:
    ``log.info("delivery.attempt", delivery_id=..., outcome="sent")``."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def debug(self, event: str, **fields: object) -> None:
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: object) -> None:
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: object) -> None:
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: object) -> None:
        self._log(logging.ERROR, event, fields)

    def exception(self, event: str, **fields: object) -> None:
        """At ERROR, with the traceback of the exception being handled."""
        self._log(logging.ERROR, event, fields, exc_info=True)

    def isEnabledFor(self, level: int) -> bool:
        """As ``logging.Logger.isEnabledFor``: to skip costly fields."""
        return self.logger.isEnabledFor(level)

    def _log(
        self, level: int, event: str, fields: dict[str, object], *, exc_info: bool = False
    ) -> None:
        if not self.logger.isEnabledFor(level):
            return
        # A field named like a LogRecord attribute ("name", "msg") would make
        # logging raise; it is kept, with a trailing underscore, instead.
        extra = {(f"{k}_" if k in _RECORD_ATTRS else k): v for k, v in fields.items()}
        # stacklevel 3: the record names the caller, not this module.
        self.logger.log(level, event, extra=extra, exc_info=exc_info, stacklevel=3)


def get_logger(name: str) -> EventLogger:
    """The event logger for a module: ``log = get_logger(__name__)``."""
    return EventLogger(logging.getLogger(name))
