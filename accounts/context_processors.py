from django.urls import reverse

from accounts.selectors import unread_notification_count


def navigation(request):
    """Navigation links that fit the signed-in person's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [("Gallery", reverse("gallery")), ("Sign in", reverse("account_login"))]}
    unread = unread_notification_count(user=user)
    links = [
        ("Home", reverse("home")),
        ("Studio", reverse("studio")),
        ("Publishing", reverse("publication_requests")),
        ("Gallery", reverse("gallery")),
        ("Reports", reverse("reports")),
        ("Earnings", reverse("earnings")),
        ("Tokens", reverse("tokens")),
        ("Profile", reverse("profile")),
        (f"Notifications ({unread})" if unread else "Notifications", reverse("notifications")),
    ]
    if user.is_program_staff:
        links += [
            ("Review", reverse("review_queue")),
            ("Triage", reverse("triage_board")),
            ("Two-factor", reverse("mfa_index")),
        ]
    if user.is_program_admin:
        links += [
            ("Cohorts", reverse("staff_cohorts")),
            ("Queue", reverse("staff_queue")),
            ("Review numbers", reverse("review_dashboard")),
            ("Payouts", reverse("payouts_admin")),
            ("Audit log", reverse("staff_audit")),
            ("Switches", reverse("staff_switches")),
            ("API reference", reverse("api-docs")),
        ]
    if user.is_staff:
        links.append(("Django admin", reverse("admin:index")))
    links.append(("Account", reverse("account_email")))
    return {"nav_links": links}
