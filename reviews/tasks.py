"""Periodic review work, thin over the services; running any of them twice changes nothing more."""

from celery import shared_task

from reviews import services


@shared_task(name="reviews.flag_overdue", ignore_result=True, soft_time_limit=120, time_limit=180)
def flag_overdue() -> int:
    """Flag requests past their cohort's deadline and tell admins (and artists who may then publish)."""
    return services.review_flag_overdue()


@shared_task(name="reviews.send_digests", ignore_result=True, soft_time_limit=120, time_limit=180)
def send_digests() -> int:
    """Each reviewer's digest of new requests in their cohorts, at most once a day."""
    return services.review_send_digests()


@shared_task(name="reviews.sign_publication", ignore_result=True, soft_time_limit=540, time_limit=600)
def sign_publication(publication_id: int) -> str:
    """Sign one published clip (routed to the signing queue); signing twice makes one signed copy."""
    return services.publication_sign_quietly(publication_id=publication_id)


@shared_task(name="reviews.sign_publications", ignore_result=True, soft_time_limit=60, time_limit=90)
def sign_publications() -> int:
    """Queue signing for publications still unsigned (a lost message, a failure whose retry is due)."""
    return services.publications_sign_due()


@shared_task(name="reviews.release_decisions", ignore_result=True, soft_time_limit=60, time_limit=90)
def release_decisions() -> int:
    """Held decisions whose undo window passed take effect: publish, tell the artist."""
    return services.review_decisions_release()
