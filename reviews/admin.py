from django.contrib import admin

from accounts.admin_bases import ReadOnlyAdmin
from reviews.models import Decision, Publication, PublicationRequest, ReasonCode


@admin.register(ReasonCode)
class ReasonCodeAdmin(ReadOnlyAdmin):
    """The published reasons a clip may be refused or taken down for: changed on /staff/reasons/ (retired,
    never deleted: decisions cite them)."""

    list_display = ["code", "label", "policy_clause", "active"]
    list_filter = ["active"]


# Requests, decisions and publications change only through the review services.
@admin.register(PublicationRequest)
class PublicationRequestAdmin(ReadOnlyAdmin):
    list_display = ["title", "artist", "cohort", "state", "deadline_at", "claimed_by"]
    list_filter = ["state", "cohort"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["request", "stage", "outcome", "reason_code", "reviewer", "decided_at"]
    list_filter = ["stage", "outcome"]


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["request", "published_at", "unreviewed", "withdrawn_at", "taken_down_at"]
