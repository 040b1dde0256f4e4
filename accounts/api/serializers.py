from rest_framework import serializers

from core.api.fields import StrictSerializer


class TokenInput(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="Where two-factor applies: the 6-digit code from the authenticator app, "
        "or one of the account's recovery codes (each works once).",
    )


class TokenOutput(serializers.Serializer):  # type: ignore[type-arg]
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(
        help_text="When the token lapses if unused; each use moves this on."
    )
    expires_at_latest = serializers.DateTimeField(
        help_text="When the token lapses however much it is used."
    )


class SignedOutOutput(serializers.Serializer):  # type: ignore[type-arg]
    tokens_revoked = serializers.IntegerField()
    sessions_ended = serializers.IntegerField()
