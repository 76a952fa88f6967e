from django.urls import path

from reviews import api

urlpatterns = [
    path("publication-requests/", api.PublicationRequestListCreateApi.as_view(), name="api-publication-requests"),
    path(
        "publication-requests/<int:request_id>/",
        api.PublicationRequestDetailApi.as_view(),
        name="api-publication-request",
    ),
    path(
        "publication-requests/<int:request_id>/withdraw/",
        api.PublicationRequestWithdrawApi.as_view(),
        name="api-publication-request-withdraw",
    ),
    path(
        "publication-requests/<int:request_id>/appeal/",
        api.PublicationRequestAppealApi.as_view(),
        name="api-publication-request-appeal",
    ),
    path(
        "publication-requests/<int:request_id>/publish/",
        api.PublicationRequestPublishApi.as_view(),
        name="api-publication-request-publish",
    ),
    path("publication-requests/<int:request_id>/decision/", api.DecisionApi.as_view(), name="api-decision"),
    path("review-queue/", api.ReviewQueueApi.as_view(), name="api-review-queue"),
    path("review-queue/claim/", api.ReviewClaimApi.as_view(), name="api-review-claim"),
    path("reason-codes/", api.ReasonCodeListApi.as_view(), name="api-reason-codes"),
    path("cohorts/<int:cohort_id>/review-policy/", api.ReviewPolicyApi.as_view(), name="api-review-policy"),
    path(
        "cohorts/<int:cohort_id>/statements/<str:period>/",
        api.TransparencyExportApi.as_view(),
        name="api-transparency-export",
    ),
    path("publications/", api.PublicationListApi.as_view(), name="api-publications"),
    path("publications/<uuid:public_id>/", api.PublicationDetailApi.as_view(), name="api-publication"),
    path(
        "publications/<uuid:public_id>/withdraw/", api.PublicationWithdrawApi.as_view(), name="api-publication-withdraw"
    ),
    path(
        "publications/<uuid:public_id>/take-down/",
        api.PublicationTakeDownApi.as_view(),
        name="api-publication-take-down",
    ),
]
