from django.urls import path

from feedback import api

urlpatterns = [
    path("reports/", api.ReportListCreateApi.as_view(), name="api-reports"),
    path("reports/<int:report_id>/", api.ReportDetailApi.as_view(), name="api-report"),
    path("reports/<int:report_id>/comments/", api.ReportCommentApi.as_view(), name="api-report-comments"),
    path("reports/<int:report_id>/attachments/", api.ReportAttachmentApi.as_view(), name="api-report-attachments"),
    path("reports/<int:report_id>/triage/", api.ReportTriageApi.as_view(), name="api-report-triage"),
    path("rate-card/", api.RateCardApi.as_view(), name="api-rate-card"),
    path("contributions/", api.ContributionListApi.as_view(), name="api-contributions"),
    path("payouts/<str:period>/export.csv", api.PayoutExportApi.as_view(), name="api-payouts-export"),
]
