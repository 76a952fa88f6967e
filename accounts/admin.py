from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.admin_bases import ReadOnlyAdmin
from accounts.models import ApiToken, AuditEvent, Cohort, Invitation, Membership, TermsVersion, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "role", "is_active", "suspended_at", "is_staff"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "role", "suspended_at", "suspended_reason"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]})]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "status", "capacity", "created_at"]
    list_filter = ["status"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "cohort", "role", "status", "status_changed_at"]
    list_filter = ["cohort", "role", "status"]
    raw_id_fields = ["user", "status_set_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "cohort", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["cohort"]
    exclude = ["secret_hash"]
    readonly_fields = ["accepted_by", "invited_by"]


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    list_display = ["cohort", "version", "published_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "expires_at", "revoked_at", "suspended_at", "last_used_at"]
    exclude = ["secret_hash"]
    readonly_fields = ["user", "prefix", "scopes", "last_used_at", "last_used_ip", "last_used_user_agent"]
    search_fields = ["prefix", "user__email"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log is append-only."""

    list_display = ["created_at", "actor", "action", "target_repr", "cohort", "ip"]
    list_filter = ["action"]
