from django.urls import path

from privacy import views

urlpatterns = [
    path("privacy/", views.kept, name="privacy_kept"),
    path("account/data/", views.data, name="privacy_data"),
    path("account/data/exports/", views.export_create, name="privacy_export_create"),
    path("account/data/exports/<uuid:public_id>/download/", views.export_download, name="privacy_export_download"),
    path("account/data/erasure/", views.erasure_create, name="privacy_erasure_create"),
    path("account/data/erasure/cancel/", views.erasure_cancel, name="privacy_erasure_cancel"),
    path("staff/exports/", views.staff_exports, name="staff_exports"),
]
