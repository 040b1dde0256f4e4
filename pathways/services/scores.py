"""Scores: record a SINS or revised Tokuhashi score on a referral (NG234 1.9).

The arithmetic is ``pathways.scoring`` (pure); this only stores what it gave,
with the inputs it was given, who recorded it and when. A stored score is
support to a full clinical assessment (NG234 1.9.3), never a decision.
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from pathways import scoring
from pathways.models import ScoreRecord
from referrals.models import Referral, User


def score_record(
    *, referral: Referral, kind: str, inputs: Mapping[str, Any], user: User
) -> ScoreRecord:
    """Compute the ``kind`` score from ``inputs`` and store it on ``referral``.

    A missing, unknown or invalid component raises ``ValidationError`` naming
    it, and nothing is stored: a partial total is never recorded.
    """
    try:
        result = scoring.calculate(kind, inputs)
    except scoring.ScoreInputError as exc:
        raise ValidationError({name: [problem] for name, problem in exc.errors.items()}) from exc
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
