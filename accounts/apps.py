from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in: the lockout, two-factor, API tokens, sessions and sign-out."""

    name = "accounts"
    verbose_name = "Accounts and sign-in"

    def ready(self) -> None:
        from accounts import checks, schema, signals  # noqa: F401  (registers them)
