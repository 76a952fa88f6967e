from django.urls import path

from feedback import views

urlpatterns = [
    path("reports/", views.reports_mine, name="reports"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/similar/", views.report_similar, name="report_similar"),
    path("reports/<int:report_id>/", views.report_page, name="report_page"),
    path("reports/<int:report_id>/comment/", views.report_comment, name="report_comment"),
    path("reports/<int:report_id>/vote/", views.report_vote, name="report_vote"),
    path("reports/<int:report_id>/attach/", views.report_attach, name="report_attach"),
    path("reports/<int:report_id>/dispute/", views.report_dispute, name="report_dispute"),
    path("reports/<int:report_id>/attachments/<int:attachment_id>/", views.attachment_view, name="report_attachment"),
    path("reports/<int:report_id>/triage/", views.report_triage, name="report_triage"),
    path("reports/<int:report_id>/dispute/answer/", views.dispute_answer, name="dispute_answer"),
    path("staff/triage/", views.triage_board, name="triage_board"),
    path("rate-card/", views.rate_card, name="rate_card"),
    path("earnings/", views.earnings, name="earnings"),
    path("earnings/<str:period>.csv", views.statement_csv, name="statement_csv"),
    path("earnings/promotions/<int:promotion_id>/", views.promotion_answer, name="promotion_answer"),
    path("staff/rate-cards/", views.rate_cards_admin, name="rate_cards_admin"),
    path("staff/payouts/", views.payouts_admin, name="payouts_admin"),
    path("staff/payouts/<int:statement_id>/paid/", views.statement_paid, name="statement_paid"),
    path("staff/payouts/<str:period>.csv", views.payouts_csv, name="payouts_csv"),
    path("staff/promotions/", views.promotions_admin, name="promotions_admin"),
]
