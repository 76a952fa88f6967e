"""Statements of reasons exported per cohort and month in the EU DSA Transparency Database's shape
(its API takes ``{"statements": [...]}``), ready for a platform that must submit them."""

from __future__ import annotations

from accounts.models import Cohort
from core.periods import period_bounds
from reviews import selectors
from reviews.models import Decision


def transparency_statements(*, cohort: Cohort, period: str) -> dict:
    """Every restricting decision of ``cohort`` in ``period`` (YYYY-MM): refusals and requested changes.
    Approvals restrict nothing and are not statements of reasons."""
    start, end = period_bounds(period)
    decisions = (
        Decision.objects.in_effect()
        .filter(request__cohort=cohort, decided_at__gte=start, decided_at__lt=end)
        .exclude(outcome=Decision.Outcome.APPROVE)
        .select_related("request__cohort__review_policy", "request__generation", "reason_code")
        .order_by("decided_at", "pk")
    )
    return {"statements": [_as_submitted(selectors.statement_of_reasons(decision)) for decision in decisions]}


def _as_submitted(statement: dict) -> dict:
    """One statement with the Transparency Database's field names and value formats."""
    reason = statement["reason"] or {}
    incompatible = statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    fields = {
        "puid": statement["puid"],
        "decision_visibility": statement["decision_visibility"],
        "decision_visibility_other": statement["decision_visibility_other"],
        "decision_ground": statement["decision_ground"],
        "category": statement["category"],
        "content_type": statement["content_type"],
        "source_type": statement["source_type"],
        "automated_detection": "Yes" if statement["automated_detection"] else "No",
        "automated_decision": statement["automated_decision"],
        "territorial_scope": statement["territorial_scope"],
        "content_date": statement["content_date"].strftime("%Y-%m-%d"),
        "application_date": statement["decided_at"].strftime("%Y-%m-%d"),
        "decision_facts": statement["facts"],
        "platform_statement_id": statement["id"],
    }
    if incompatible:
        fields |= {
            "incompatible_content_ground": f"{reason.get('policy_clause', '')}: {reason.get('label', '')}",
            "incompatible_content_explanation": reason.get("description", ""),
            "incompatible_content_url": reason.get("ground_url", ""),
        }
    else:
        fields |= {
            "illegal_content_legal_ground": reason.get("policy_clause", ""),
            "illegal_content_explanation": reason.get("description", ""),
        }
    return fields
