from django.urls import path

from accounts import views

urlpatterns = [
    path("invitations/<str:secret>/", views.invitation_accept, name="invitation_accept"),
    path("terms/", views.terms, name="terms"),
    path("profile/", views.profile, name="profile"),
    path("notifications/", views.notifications, name="notifications"),
    path("tokens/", views.tokens_page, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("tokens/<int:token_id>/reactivate/", views.token_reactivate, name="token_reactivate"),
    path("tokens/<int:token_id>/rotate/", views.token_rotate, name="token_rotate"),
    path("staff/cohorts/", views.staff_cohorts, name="staff_cohorts"),
    path("staff/cohorts/<int:cohort_id>/", views.staff_cohort, name="staff_cohort"),
    path("staff/cohorts/<int:cohort_id>/do/<str:action>/", views.staff_cohort_action, name="staff_cohort_action"),
    path("staff/cohorts/<int:cohort_id>/members/", views.staff_members, name="staff_members"),
    path("staff/cohorts/<int:cohort_id>/invitations/", views.staff_invitations, name="staff_invitations"),
    path(
        "staff/invitations/<int:invitation_id>/<str:action>/",
        views.staff_invitation_action,
        name="staff_invitation_action",
    ),
    path("staff/audit/", views.staff_audit, name="staff_audit"),
    path("staff/switches/", views.staff_switches, name="staff_switches"),
]
