from django.urls import path

from generations import api

urlpatterns = [
    path("generations/", api.GenerationListCreateApi.as_view(), name="api-generations"),
    path("generations/quote/", api.QuoteApi.as_view(), name="api-generations-quote"),
    path("generations/<uuid:public_id>/", api.GenerationDetailApi.as_view(), name="api-generation"),
    path("generations/<uuid:public_id>/cancel/", api.GenerationCancelApi.as_view(), name="api-generation-cancel"),
    path("generations/<uuid:public_id>/retry/", api.GenerationRetryApi.as_view(), name="api-generation-retry"),
    path("credits/", api.CreditsApi.as_view(), name="api-credits"),
    path("presets/", api.PresetsApi.as_view(), name="api-presets"),
    path("images/", api.StartImageCreateApi.as_view(), name="api-images"),
    path("images/<uuid:public_id>/", api.StartImageDetailApi.as_view(), name="api-image"),
]
