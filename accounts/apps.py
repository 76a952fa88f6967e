from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and cohorts"

    def ready(self):
        from accounts import (
            receivers,  # noqa: F401  (connects the sign-in audit receivers)
            schema,  # noqa: F401  (registers the token scheme with drf-spectacular)
        )
