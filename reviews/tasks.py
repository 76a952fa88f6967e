"""Periodic review work, thin over the services; running any of them twice changes nothing more."""

from celery import shared_task

from reviews import services
from reviews.models import Publication


@shared_task(name="reviews.flag_overdue", ignore_result=True, soft_time_limit=120, time_limit=180)
def flag_overdue() -> int:
    """Flag requests past their cohort's deadline and tell admins (and artists who may then publish)."""
    return services.review_flag_overdue()


@shared_task(name="reviews.send_digests", ignore_result=True, soft_time_limit=120, time_limit=180)
def send_digests() -> int:
    """Each reviewer's digest of new requests in their cohorts, at most once a day."""
    return services.review_send_digests()


@shared_task(name="reviews.sign_publications", ignore_result=True, soft_time_limit=240, time_limit=300)
def sign_publications() -> int:
    """Sign publications whose signing after commit did not happen (a crash, a storage hiccup)."""
    pending = Publication.objects.filter(
        signed_at__isnull=True, withdrawn_at__isnull=True, taken_down_at__isnull=True
    ).values_list("pk", flat=True)[:100]
    for publication_id in pending:
        services.publication_sign_quietly(publication_id=publication_id)
    return len(pending)
