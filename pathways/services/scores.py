"""Scores: record a SINS or revised Tokuhashi score on a referral (NG234 1.9).

The arithmetic is ``pathways.scoring`` (pure); this only stores what it gave,
with the inputs it was given, who recorded it and when. A stored score is
support to a full clinical assessment (NG234 1.9.3), never a decision.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from core.errors import DomainError
from pathways import scoring
from pathways.models import ScoreRecord
from referrals.models import Referral, User


# Both kinds at once: an existing caller catches it as a Django ValidationError;
# the two bases declare ``code`` and ``message`` differently, and DomainError's win.
class ScoreInvalid(DomainError, ValidationError):  # type: ignore[misc]
    """A component is missing, unknown or invalid; ``errors`` names each.

    A ``DomainError`` for the edges; still a Django ``ValidationError`` (with
    ``message_dict``) for callers written against the service's old error.
    """

    def __init__(self, *, errors: Mapping[str, str]) -> None:
        DomainError.__init__(self, errors=errors)
        message = self.message
        ValidationError.__init__(self, {name: list(ms) for name, ms in self.errors.items()})
        self.message = message


def score_record(
    *, referral: Referral, kind: str, inputs: Mapping[str, Any], user: User
) -> ScoreRecord:
    """Compute the ``kind`` score from ``inputs`` and store it on ``referral``.

    A missing, unknown or invalid component raises ``ScoreInvalid`` naming
    it, and nothing is stored: a partial total is never recorded.
    """
    try:
        result = scoring.calculate(kind, inputs)
    except scoring.ScoreInputError as exc:
        raise ScoreInvalid(errors=exc.errors) from exc
    return ScoreRecord.objects.create(
        referral=referral,
        kind=result.kind.value,
        # Normalised: every component, in table order, as its code or count.
        inputs=dict(result.inputs),
        score=result.score,
        band=str(result.band),
        predicted_survival=result.predicted_survival or "",
        recorded_by=user,
    )
