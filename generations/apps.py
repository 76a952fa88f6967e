from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class GenerationsConfig(AppConfig):
    name = "generations"

    def ready(self):
        from generations import receivers  # noqa: F401  (wakes workers when access is restored)
        from generations.checks import broker_outlasts_the_longest_job, presets_are_readable

        # Every process (web, worker, beat) refuses to start with a broker that could redeliver a running job,
        # or with presets it cannot read (loaded here once, for the life of the process).
        errors = broker_outlasts_the_longest_job(None) + presets_are_readable(None)
        if errors:
            raise ImproperlyConfigured(errors[0].msg)
