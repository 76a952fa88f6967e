from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "generations"

    def ready(self):
        from generations import checks  # noqa: F401  (registers the system checks)
