from django.urls import path

from accounts import staff_views, views

urlpatterns = [
    path("invitations/<str:secret>/", views.invitation_accept, name="invitation_accept"),
    path("terms/", views.terms, name="terms"),
    path("profile/", views.profile, name="profile"),
    path("notifications/", views.notifications, name="notifications"),
    path("tokens/", views.tokens_page, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("tokens/<int:token_id>/reactivate/", views.token_reactivate, name="token_reactivate"),
    path("tokens/<int:token_id>/rotate/", views.token_rotate, name="token_rotate"),
    path("tokens/<int:token_id>/webhook-secret/", views.token_webhook_secret, name="token_webhook_secret"),
    path("staff/cohorts/", staff_views.staff_cohorts, name="staff_cohorts"),
    path("staff/cohorts/<int:cohort_id>/", staff_views.staff_cohort, name="staff_cohort"),
    path("staff/cohorts/<int:cohort_id>/do/pause/", staff_views.staff_cohort_pause, name="staff_cohort_pause"),
    path("staff/cohorts/<int:cohort_id>/do/resume/", staff_views.staff_cohort_resume, name="staff_cohort_resume"),
    path("staff/cohorts/<int:cohort_id>/do/close/", staff_views.staff_cohort_close, name="staff_cohort_close"),
    path(
        "staff/cohorts/<int:cohort_id>/do/revoke_tokens/",
        staff_views.staff_cohort_revoke_tokens,
        name="staff_cohort_revoke_tokens",
    ),
    path(
        "staff/cohorts/<int:cohort_id>/do/publish_terms/",
        staff_views.staff_cohort_publish_terms,
        name="staff_cohort_publish_terms",
    ),
    path("staff/cohorts/<int:cohort_id>/members/", staff_views.staff_members, name="staff_members"),
    path("staff/cohorts/<int:cohort_id>/members/bulk/", staff_views.staff_members_bulk, name="staff_members_bulk"),
    path("staff/cohorts/<int:cohort_id>/invitations/", staff_views.staff_invitations, name="staff_invitations"),
    path(
        "staff/invitations/<int:invitation_id>/resend/",
        staff_views.staff_invitation_resend,
        name="staff_invitation_resend",
    ),
    path(
        "staff/invitations/<int:invitation_id>/revoke/",
        staff_views.staff_invitation_revoke,
        name="staff_invitation_revoke",
    ),
    path("staff/audit/", staff_views.staff_audit, name="staff_audit"),
    path("staff/switches/", staff_views.staff_switches, name="staff_switches"),
]
