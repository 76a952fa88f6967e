"""Every write of review before publish, one module per side: the artist's requests and appeals
(requests), the reviewer's claims and decisions (queue), publications (publications), the published
reasons (reasons) and each cohort's review policy (policy).

Keyword-only functions, one transaction each, state changes under the row lock; the names are
gathered here for callers (``from reviews import services``).
"""

from reviews.services.policy import review_policy_save
from reviews.services.publications import (
    publication_create,
    publication_sign,
    publication_sign_quietly,
    publication_take_down,
    publication_withdraw,
    publications_sign_due,
)
from reviews.services.queue import (
    CLAIM_LEASE,
    UNDO_WINDOW,
    review_claim,
    review_claim_next,
    review_claim_release,
    review_claim_renew,
    review_decide,
    review_decision_undo,
    review_decisions_release,
    review_flag_overdue,
    review_send_digests,
)
from reviews.services.reasons import reason_code_save
from reviews.services.requests import (
    appeal_create,
    publication_request_create,
    publication_request_withdraw,
    publication_self_publish,
)

__all__ = [
    "CLAIM_LEASE",
    "UNDO_WINDOW",
    "appeal_create",
    "publication_create",
    "publication_request_create",
    "publication_request_withdraw",
    "publication_self_publish",
    "publication_sign",
    "publication_sign_quietly",
    "publication_take_down",
    "publication_withdraw",
    "publications_sign_due",
    "reason_code_save",
    "review_claim",
    "review_claim_next",
    "review_claim_release",
    "review_claim_renew",
    "review_decide",
    "review_decision_undo",
    "review_decisions_release",
    "review_flag_overdue",
    "review_policy_save",
    "review_send_digests",
]
