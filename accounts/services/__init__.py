"""Every write about people, cohorts, access and consent, one module per subject.

Keyword-only functions, one transaction each; the audit event is written in the same transaction as
the change it describes, and emails go out only after commit. The names are gathered here for
callers (``from accounts import services``); the code lives in the module of its subject.
"""

from accounts.services.audit import (
    audit_pseudonymise,
    audit_record,
    notifications_mark_read,
    notify,
    notify_admins,
)
from accounts.services.cohorts import COHORT_FIELDS, cohort_create, cohort_update
from accounts.services.consent import CONSENT_VERSION, consents_set, terms_accept, terms_publish
from accounts.services.email import email_queue, email_send, emails_send_due
from accounts.services.invitations import (
    InvitationRow,
    invitation_accept,
    invitation_link,
    invitation_resend,
    invitation_revoke,
    invitations_create,
)
from accounts.services.memberships import (
    check_capacity,
    membership_set_role,
    membership_set_status,
    user_reactivate,
    user_suspend,
)
from accounts.services.switches import generation_pause_set
from accounts.services.tokens import (
    token_create,
    token_reactivate,
    token_revoke,
    token_revoke_exposed,
    token_rotate,
    token_suspend_for_leak,
    token_touch,
    token_webhook_secret_rotate,
    tokens_revoke_for_cohort,
    tokens_revoke_staff_before_second_factor,
)

__all__ = [
    "COHORT_FIELDS",
    "CONSENT_VERSION",
    "InvitationRow",
    "audit_pseudonymise",
    "audit_record",
    "check_capacity",
    "cohort_create",
    "cohort_update",
    "consents_set",
    "email_queue",
    "email_send",
    "emails_send_due",
    "generation_pause_set",
    "invitation_accept",
    "invitation_link",
    "invitation_resend",
    "invitation_revoke",
    "invitations_create",
    "membership_set_role",
    "membership_set_status",
    "notifications_mark_read",
    "notify",
    "notify_admins",
    "terms_accept",
    "terms_publish",
    "token_create",
    "token_reactivate",
    "token_revoke",
    "token_revoke_exposed",
    "token_rotate",
    "token_suspend_for_leak",
    "token_touch",
    "token_webhook_secret_rotate",
    "tokens_revoke_for_cohort",
    "tokens_revoke_staff_before_second_factor",
    "user_reactivate",
    "user_suspend",
]  # fmt: skip
