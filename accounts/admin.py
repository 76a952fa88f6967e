from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import ApiToken, AuditEvent, Cohort, Invitation, Membership, TermsVersion, User
from accounts.services import audit_record
from core.client_ip import client_ip


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


class AuditedAdmin(admin.ModelAdmin):
    """Every change made through this admin is an audit event, written in the admin's own transaction:
    staff writes answer "who did this?" wherever they are made. ``audit_subject`` names the action."""

    audit_subject = ""

    def _audit(self, request, obj, verb: str, data: dict) -> None:
        audit_record(
            action=f"{self.audit_subject}.{verb}", actor=request.user, target=obj,
            cohort=getattr(obj, "cohort", None), data=data, ip=client_ip(request),
        )  # fmt: skip

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = {name: str(form.cleaned_data.get(name)) for name in form.changed_data}
        self._audit(request, obj, "changed" if change else "created", {"fields": changed})

    def delete_model(self, request, obj):
        self._audit(request, obj, "deleted", {"was": str(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "deleted", {"was": str(obj)})
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through services (or never): viewable, not addable, editable or deletable."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log is append-only."""

    list_display = ["created_at", "actor", "action", "target_repr", "cohort", "ip"]
    list_filter = ["action"]
