"""Audit actions in plain words, for the pages people read (the code stays beside them, for search)."""

ACTION_WORDS = {
    "auth.signed_in": "Signed in",
    "auth.signed_out": "Signed out",
    "auth.sign_in_failed": "A sign-in failed",
    "auth.second_factor_failed": "A second-factor code was wrong",
    "auth.second_factor_added": "Two-factor authentication turned on",
    "auth.second_factor_removed": "Two-factor authentication turned off",
    "token.created": "API token created",
    "token.revoked": "API token revoked",
    "token.suspended": "API token suspended",
    "token.reactivated": "API token reactivated",
    "token.webhook_secret_rotated": "Webhook signing secret rotated",
    "terms.published": "Terms published",
    "terms.accepted": "Terms accepted",
    "consent.changed": "Consent choices changed",
    "user.suspended": "Account suspended",
    "user.reactivated": "Account reactivated",
    "membership.role_changed": "Role in a cohort changed",
    "membership.suspended": "Membership suspended",
    "membership.active": "Membership reactivated",
    "membership.removed": "Removed from a cohort",
    "invitation.created": "Invitation sent",
    "invitation.resent": "Invitation sent again",
    "invitation.revoked": "Invitation revoked",
    "invitation.accepted": "Invitation accepted",
    "cohort.created": "Cohort created",
    "cohort.tokens_revoked": "Every API token of a cohort revoked",
    "quota.policy_changed": "Quota policy changed",
    "quota.override_set": "Personal quota set",
    "quota.override_removed": "Personal quota removed",
    "credits.adjusted": "Credits adjusted by staff",
    "generation.paused": "Generation paused or resumed",
    "generation.canceled": "Generation canceled",
    "generation.deleted": "Clip deleted",
    "publication.requested": "Asked to publish a clip",
    "publication.withdrawn": "Publication request withdrawn",
    "publication.withdrawn_by_artist": "Clip withdrawn from the gallery",
    "publication.self_published": "Published without review after the deadline",
    "publication.taken_down": "Clip taken down",
    "review.approve": "Review: approved",
    "review.reject": "Review: rejected",
    "review.request_changes": "Review: changes requested",
    "review.held": "Review decided, held in its undo window",
    "review.undone": "Review decision undone within its window",
    "review.appealed": "Decision appealed",
    "review.policy_changed": "Review policy changed",
    "reason_code.created": "Reason added to the published list",
    "report.filed": "Report filed",
    "report.disputed": "Triage outcome disputed",
    "report.confirmed": "Report confirmed",
    "report.duplicate": "Report marked duplicate",
    "report.not_reproducible": "Report not reproducible",
    "report.wont_fix": "Report closed without a fix",
    "contribution.raised": "Contribution award raised",
    "rate_card.published": "Rate card published",
    "payouts.closed": "Payout period closed",
    "payouts.paid": "Payout marked paid",
}


def action_words(action: str) -> str:
    """``action`` in plain words; a code without its own words reads as a sentence made of its parts."""
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    subject, _, verb = action.partition(".")
    words = f"{subject} {verb}".replace("_", " ").strip()
    return words[:1].upper() + words[1:]
