from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, to replay on retry.

    Unique per (user, key): a second request with the key waits on the row lock
    of the first, then gets the first answer instead of making a second referral.
    """

    user = models.ForeignKey("referrals.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
