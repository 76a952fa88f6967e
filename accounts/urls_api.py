from django.urls import path

from accounts import api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("tokens/", api.TokenListCreateApi.as_view(), name="api-tokens"),
    path("tokens/revoke-exposed/", api.TokenRevokeExposedApi.as_view(), name="api-tokens-revoke-exposed"),
    path("tokens/<int:token_id>/revoke/", api.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("tokens/<int:token_id>/webhook-secret/", api.TokenWebhookSecretApi.as_view(), name="api-token-webhook-secret"),
    path("tokens/<int:token_id>/reactivate/", api.TokenReactivateApi.as_view(), name="api-token-reactivate"),
    path("cohorts/", api.CohortListCreateApi.as_view(), name="api-cohorts"),
    path("cohorts/<int:cohort_id>/", api.CohortDetailApi.as_view(), name="api-cohort"),
    path("cohorts/<int:cohort_id>/invitations/", api.CohortInvitationsApi.as_view(), name="api-cohort-invitations"),
]
