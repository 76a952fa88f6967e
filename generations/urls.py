from django.urls import path

from generations import views

urlpatterns = [
    path("studio/", views.studio, name="studio"),
    path("studio/quote/", views.studio_quote, name="studio_quote"),
    path("credits/", views.credits_page, name="credits"),
    path("studio/g/<uuid:public_id>/", views.generation_page, name="generation_page"),
    path("studio/g/<uuid:public_id>/row/", views.generation_row, name="generation_row"),
    path("studio/g/<uuid:public_id>/cancel/", views.generation_cancel, name="generation_cancel"),
    path("studio/g/<uuid:public_id>/rerun/", views.generation_rerun, name="generation_rerun"),
    path("studio/g/<uuid:public_id>/delete/", views.generation_delete, name="generation_delete"),
    path("media/g/<uuid:public_id>/<str:kind>/", views.media_view, name="media_view"),
    path("media/s/<str:token>/", views.media_signed, name="media_signed"),
    path("media/i/<uuid:public_id>/", views.start_image_view, name="start_image"),
    path("staff/queue/", views.staff_queue, name="staff_queue"),
    path("staff/", views.staff_dashboard, name="staff_dashboard"),
    path("staff/cohorts/<int:cohort_id>/quota/", views.staff_cohort_quota, name="staff_cohort_quota"),
]
