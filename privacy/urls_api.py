from django.urls import path

from privacy import api

urlpatterns = [
    path("me/exports/", api.ExportListCreateApi.as_view(), name="api-exports"),
    path("me/exports/<uuid:public_id>/", api.ExportDetailApi.as_view(), name="api-export"),
    path("me/exports/<uuid:public_id>/download/", api.ExportDownloadApi.as_view(), name="api-export-download"),
    path("me/erasure/", api.ErasureApi.as_view(), name="api-erasure"),
]
