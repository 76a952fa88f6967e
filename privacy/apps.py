from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """An artist's rights over their data: a complete export, and erasure that keeps the books."""

    name = "privacy"

    def ready(self):
        from privacy import receivers  # noqa: F401  (signing in cancels a pending erasure)
