from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.models import Group

from accounts.admin_bases import ReadOnlyAdmin
from accounts.models import ApiToken, AuditEvent, Cohort, Invitation, Membership, TermsVersion, User

# Every write here has rules and an audit trail behind a page: /staff/cohorts/ (cohorts, members, invitations,
# terms), /tokens/ (an artist's own tokens), and manage.py createsuperuser for operators.


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "role", "is_active", "suspended_at", "is_staff"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    exclude = ["groups", "user_permissions"]


@admin.register(Cohort)
class CohortAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "status", "capacity", "created_at"]
    list_filter = ["status"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "cohort", "role", "status", "status_changed_at"]
    list_filter = ["cohort", "role", "status"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "cohort", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["cohort"]


@admin.register(TermsVersion)
class TermsVersionAdmin(ReadOnlyAdmin):
    list_display = ["cohort", "version", "published_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "name", "user", "created_at", "expires_at", "revoked_at", "suspended_at", "last_used_at"]
    search_fields = ["prefix", "user__email"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log is append-only."""

    list_display = ["created_at", "actor", "action", "target_repr", "cohort", "ip"]
    list_filter = ["action"]


# The libraries' own admins would edit sign-in addresses and authenticators (their TOTP secrets shown) with
# nothing audited, and Django's groups grant nothing here: viewed only, or not at all.
for library_model in (Group, EmailAddress, Authenticator):
    if admin.site.is_registered(library_model):
        admin.site.unregister(library_model)


@admin.register(EmailAddress)
class EmailAddressAdmin(ReadOnlyAdmin):
    list_display = ["email", "user", "primary", "verified"]
    search_fields = ["email"]


@admin.register(Authenticator)
class AuthenticatorAdmin(ReadOnlyAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    hidden_fields = ("data",)  # the TOTP secret and recovery codes
