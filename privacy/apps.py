from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """An artist's rights over their data: a complete export, and erasure that keeps the books."""

    name = "privacy"
