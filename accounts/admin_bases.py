"""Base classes for every app's Django admin: audited changes, and records that are only viewed."""

from django.contrib import admin

from accounts.services import audit_record
from core.client_ip import client_ip


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
