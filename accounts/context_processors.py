from django.urls import reverse

from accounts.models import Membership
from accounts.selectors import unread_notification_count


def navigation(request):
    """The signed-in person's navigation, grouped so that no role sees more than seven top-level entries.

    Each entry is (label, href, icon) or (label, None, icon, [(label, href), ...]) for a menu. Artist
    pages (studio, publishing, reports, earnings, credits) show to artists, and to staff who are also
    artists in a cohort; a reviewer who is not one sees the staff pages and their account.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": [("Gallery", reverse("gallery"), "image"), ("Sign in", reverse("account_login"), "user")]}
    unread = unread_notification_count(user=user)
    artist = not user.is_program_staff or Membership.objects.active_artists().filter(user=user).exists()
    links = [("Gallery", reverse("gallery"), "image")]
    if artist:
        links = [
            ("Studio", reverse("studio"), "wand-sparkles"),
            ("Publishing", reverse("publication_requests"), "send"),
            *links,
            ("Feedback", None, "flag", [("Reports", reverse("reports")), ("Earnings", reverse("earnings"))]),
        ]
    if user.is_program_staff:
        staff = [("Review queue", reverse("review_queue")), ("Triage", reverse("triage_board"))]
        if user.is_program_admin:
            staff = [
                ("Dashboard", reverse("staff_dashboard")),
                *staff,
                ("Generation queue", reverse("staff_queue")),
                ("Cohorts", reverse("staff_cohorts")),
                ("Review numbers", reverse("review_dashboard")),
                ("Payouts", reverse("payouts_admin")),
                ("Switches", reverse("staff_switches")),
                ("Audit log", reverse("staff_audit")),
                ("Exports", reverse("staff_exports")),
                ("API reference", reverse("api-docs")),
            ]
        if user.is_staff:
            staff.append(("Django admin", reverse("admin:index")))
        links.append(("Staff", None, "shield-check", staff))
    links.append((f"Notifications ({unread})" if unread else "Notifications", reverse("notifications"), "bell"))
    account = [("Credits", reverse("credits"))] if artist else []
    account += [("Profile", reverse("profile")), ("Your data", reverse("privacy_data")), ("Terms", reverse("terms"))]
    account.append(("API tokens", reverse("tokens")))
    if user.is_program_staff:
        account.append(("Two-factor", reverse("mfa_index")))
    account.append(("Email and password", reverse("account_email")))
    links.append(("Account", None, "user", account))
    return {"nav_links": links}
