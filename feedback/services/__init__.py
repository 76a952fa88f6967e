"""Every write of the feedback app, one module per subject: reports (filing, comments, +1,
attachments), triage and the contribution ledger it drives, rate cards, promotion requests, payout
statements and disputes. The names are gathered here for callers (``from feedback import services``);
the payouts CSV is a read (feedback.exports), amounts are formatted by feedback.money."""

from feedback.services.disputes import DISPUTE_WINDOW, dispute_answer, dispute_create, disputes_flag_overdue
from feedback.services.promotions import promotion_request_answer, promotion_request_create
from feedback.services.rate_cards import rate_card_publish
from feedback.services.reports import attachment_add, report_comment, report_create, report_vote
from feedback.services.statements import statement_mark_paid, statements_close
from feedback.services.triage import OUTCOMES, award_previews, award_raise, report_triage, settle_report

__all__ = [
    "DISPUTE_WINDOW",
    "OUTCOMES",
    "attachment_add",
    "award_previews",
    "award_raise",
    "dispute_answer",
    "dispute_create",
    "disputes_flag_overdue",
    "promotion_request_answer",
    "promotion_request_create",
    "rate_card_publish",
    "report_comment",
    "report_create",
    "report_triage",
    "report_vote",
    "settle_report",
    "statement_mark_paid",
    "statements_close",
]
