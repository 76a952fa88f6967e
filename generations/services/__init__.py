"""Every write about generations and credits, one module per subject: credits (opening accounts,
refills, staff grants), quotas (policies and overrides), start images (uploads for image to video),
submission (checks, price, reservation) and
lifecycle (cancel, retry, re-run, delete); staff access records live in generations.staff_access.

Keyword-only functions; side effects (the Celery wake-up message, webhooks) only after commit. The
names are gathered here for callers (``from generations import services``).
"""

from generations.services.credits import (
    check_active_artist,
    credit_account_open,
    credits_adjust_by_staff,
    credits_grant_by_staff,
    credits_refill,
)
from generations.services.lifecycle import generation_cancel, generation_delete, generation_rerun, generation_retry
from generations.services.quotas import quota_override_remove, quota_override_set, quota_policy_save
from generations.services.start_images import start_image_upload
from generations.services.submission import check_prompt, generation_submit, only_choice, quote
from generations.staff_access import staff_access_record, staff_access_record_list

__all__ = [
    "check_active_artist",
    "check_prompt",
    "credit_account_open",
    "credits_adjust_by_staff",
    "credits_grant_by_staff",
    "credits_refill",
    "generation_cancel",
    "generation_delete",
    "generation_rerun",
    "generation_retry",
    "generation_submit",
    "only_choice",
    "quota_override_remove",
    "quota_override_set",
    "quota_policy_save",
    "quote",
    "staff_access_record",
    "staff_access_record_list",
    "start_image_upload",
]
