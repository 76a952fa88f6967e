from django.conf import settings
from django.core.checks import Error, register

from generations.pricing import presets_reload
from inference import InferenceError


@register()
def broker_outlasts_the_longest_job(app_configs, **kwargs):
    """The database lease decides redelivery; the broker must never redeliver a job that may still run.

    Also run at start-up by GenerationsConfig.ready(), so no process starts misconfigured.
    """
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return []
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if visibility <= settings.GENERATION_TIME_LIMIT_SECONDS:
        return [
            Error(
                f"The broker's visibility_timeout ({visibility} s) must be longer than the longest job "
                f"(GENERATION_TIME_LIMIT_SECONDS, {settings.GENERATION_TIME_LIMIT_SECONDS} s).",
                id="generations.E001",
            )
        ]
    return []


@register()
def presets_are_readable(app_configs, **kwargs):
    """The presets (INFERENCE_PRESETS_FILE and the INFERENCE_* variables) parse: the error names the file
    and the line. Also run at start-up by GenerationsConfig.ready()."""
    try:
        presets_reload()
    except InferenceError as exc:
        return [Error(str(exc), id="generations.E002")]
    return []
