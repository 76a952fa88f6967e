"""Every write of the feedback app: reports (filing, comments, +1, attachments), triage and the
contribution ledger it drives, and payouts (rate cards, promotion requests, statements, disputes).
The names are gathered here for callers (``from feedback import services``)."""

from feedback.services.payouts import (
    dispute_answer,
    dispute_create,
    disputes_flag_overdue,
    format_minor,
    payouts_csv,
    promotion_request_answer,
    promotion_request_create,
    rate_card_publish,
    statement_mark_paid,
    statements_close,
)
from feedback.services.reports import attachment_add, report_comment, report_create, report_vote
from feedback.services.triage import OUTCOMES, award_raise, report_triage, settle_report

__all__ = [
    "OUTCOMES",
    "attachment_add",
    "award_raise",
    "dispute_answer",
    "dispute_create",
    "disputes_flag_overdue",
    "format_minor",
    "payouts_csv",
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
