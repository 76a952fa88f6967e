from django.contrib import admin

from accounts.admin_bases import AuditedAdmin, ReadOnlyAdmin
from reviews.models import Decision, Publication, PublicationRequest, ReasonCode


@admin.register(ReasonCode)
class ReasonCodeAdmin(AuditedAdmin):
    """The published reasons a clip may be refused or taken down for: retire a code, never delete it."""

    audit_subject = "reason_code"
    list_display = ["code", "label", "policy_clause", "active"]
    list_filter = ["active"]

    def has_delete_permission(self, request, obj=None):
        return False  # decisions cite codes; a code leaves the list by clearing "active"


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
