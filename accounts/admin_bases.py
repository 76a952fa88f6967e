"""Base classes for every app's Django admin: records that are only viewed, and audited configuration.

Django's admin is the operators' window onto the database, not a second way to act: anything whose writes
have rules (tokens, memberships, quotas, credits and ledgers, decisions, reports, payouts, the audit log)
changes only through the services behind the pages and the API, so here it is read-only. No secret is
ever shown, and an artist's private words (prompts) are not shown either: reading them on a page leaves a
staff-access record the artist sees, and this window would leave none.
"""

from django.contrib import admin

from accounts.services import audit_record
from core.client_ip import client_ip

# Fields that hold a secret or its hash: never on an admin page.
SECRET_FIELDS = frozenset({"password", "secret_hash", "webhook_secret", "previous_webhook_secret"})


class _HidesSecrets(admin.ModelAdmin):
    hidden_fields: tuple[str, ...] = ()  # private words of an artist's, besides the secrets

    def get_fields(self, request, obj=None):
        hidden = SECRET_FIELDS | set(self.hidden_fields)
        return [name for name in super().get_fields(request, obj) if name not in hidden]


class AuditedAdmin(_HidesSecrets):
    """Configuration with no person behind it (blocked prompt terms): every change made through this admin
    is an audit event, written in the admin's own transaction. ``audit_subject`` names the action."""

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


class ReadOnlyAdmin(_HidesSecrets):
    """For records that change only through services (or never): viewable, not addable, editable or deletable."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
