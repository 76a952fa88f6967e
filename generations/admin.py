from django.contrib import admin

from accounts.admin_bases import AuditedAdmin, ReadOnlyAdmin
from generations.models import CreditAccount, Generation, LedgerEntry, PromptRule, QuotaOverride, QuotaPolicy


# Quotas change on /staff/cohorts/<id>/quota/, through the service that checks and audits them.
@admin.register(QuotaPolicy)
class QuotaPolicyAdmin(ReadOnlyAdmin):
    list_display = [
        "cohort", "credits_per_period", "period_days", "max_running_per_artist", "max_queued_per_artist", "weight",
    ]  # fmt: skip


@admin.register(QuotaOverride)
class QuotaOverrideAdmin(ReadOnlyAdmin):
    list_display = ["user", "cohort", "credits_per_period", "max_running_per_artist", "max_queued_per_artist"]


@admin.register(PromptRule)
class PromptRuleAdmin(AuditedAdmin):
    """Blocked terms and patterns: global when no cohort is chosen."""

    audit_subject = "prompt_rule"

    list_display = ["pattern", "is_regex", "cohort", "reason", "created_at"]
    list_filter = ["is_regex", "cohort"]


# Balances and jobs change only through services, which keep the ledger balanced.
@admin.register(CreditAccount)
class CreditAccountAdmin(ReadOnlyAdmin):
    list_display = ["user", "cohort", "available", "reserved", "period_ends_at"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "kind", "amount", "key", "note"]
    list_filter = ["kind"]


@admin.register(Generation)
class GenerationAdmin(ReadOnlyAdmin):
    """No prompt: read on the clip page, a prompt leaves a staff-access record the artist sees."""

    list_display = ["public_id", "artist", "cohort", "status", "progress", "cost", "queued_at", "attempts"]
    list_filter = ["status", "cohort"]
    search_fields = ["artist__email"]
    hidden_fields = ("prompt", "negative_prompt", "callback_url", "failure_message", "idempotency_key")
