"""Promotion requests: staff ask to use a published clip; the artist accepts (and is paid) or declines."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record, notify
from core.errors import ApplicationError
from feedback import selectors
from feedback.models import Contribution, ContributionEntry, PromotionRequest
from feedback.money import format_minor
from feedback.permissions import may_triage
from generations.services import credits_adjust_by_staff
from reviews.models import Publication


@transaction.atomic
def promotion_request_create(*, actor: User, publication: Publication, use: str) -> PromotionRequest:
    """Ask the artist whether the program may use their published clip, for the rate card's fee."""
    publication = Publication.objects.select_related("request__cohort", "request__artist").get(pk=publication.pk)
    cohort = publication.request.cohort
    if not may_triage(user=actor, cohort_id=cohort.pk):
        raise ApplicationError("not_found", "No such publication.", status=404)
    if publication.request.artist_id == actor.pk:
        raise ApplicationError("own_clip", "This is your own clip: another staff member asks for it.", status=403)
    if may_triage(user=publication.request.artist, cohort_id=cohort.pk):
        raise ApplicationError(
            "staff_clip", "Staff earn no contributions in cohorts they staff (docs/feedback.md).", status=409
        )
    if not publication.is_public:
        raise ApplicationError("not_published", "Only a clip in the gallery can be used.", status=409)
    use = (use or "").strip()
    if not use:
        raise ApplicationError("invalid", "Say where and how the clip would be used.", fields={"use": "required"})
    card = selectors.rate_card_in_force(cohort=cohort)
    line = card.lines.filter(contribution=Contribution.PROMOTION).first() if card else None
    if line is None:
        raise ApplicationError("no_rate", "The cohort's rate card has no fee for promotional use yet.", status=409)
    promotion = PromotionRequest.objects.create(
        publication=publication, artist=publication.request.artist, cohort=cohort, use=use[:500], rate_card=card,
        amount_minor=line.amount_minor, currency=card.currency, credits=line.credits, requested_by=actor,
    )  # fmt: skip
    fee = f"{format_minor(promotion.amount_minor, promotion.currency)} {promotion.currency}"
    if promotion.credits:
        fee += f" and {promotion.credits} credits"
    notify(
        user=promotion.artist,
        kind="promotion_requested",
        title=f"May the program use “{publication.request.title}”?",
        body=f"For: {promotion.use}. Fee: {fee}. Accept or decline on your earnings page.",
        email=True,
    )
    return promotion


@transaction.atomic
def promotion_request_answer(*, artist: User, promotion: PromotionRequest, accept: bool) -> PromotionRequest:
    promotion = PromotionRequest.objects.select_for_update().select_related("cohort").get(pk=promotion.pk)
    if promotion.artist_id != artist.pk:
        raise ApplicationError("permission_denied", "Only the artist answers.", status=403)
    if promotion.state != PromotionRequest.State.PENDING:
        raise ApplicationError("already_answered", "You answered this request already.", status=409)
    promotion.state = PromotionRequest.State.ACCEPTED if accept else PromotionRequest.State.DECLINED
    promotion.decided_at = timezone.now()
    promotion.save(update_fields=["state", "decided_at"])
    if accept:
        entry = ContributionEntry.objects.create(
            artist=artist, cohort=promotion.cohort, kind=Contribution.PROMOTION, promotion=promotion,
            amount_minor=promotion.amount_minor, currency=promotion.currency if promotion.amount_minor else "",
            credits=promotion.credits, key=f"promotion:{promotion.pk}",
            reason=f"Promotional use: {promotion.use}"[:500],
        )  # fmt: skip
        if promotion.credits:
            credits_adjust_by_staff(
                actor=None, user=artist, cohort=promotion.cohort, amount=promotion.credits,
                note="Promotional use of a clip", key=f"contribution:{entry.pk}",
            )  # fmt: skip
    audit_record(action=f"promotion.{promotion.state}", actor=artist, target=promotion, subject_user=artist,
                 cohort=promotion.cohort)  # fmt: skip
    return promotion
