from django.urls import path

from reviews import views

urlpatterns = [
    path("gallery/", views.gallery, name="gallery"),
    path("gallery/<uuid:public_id>/", views.publication_page, name="publication_page"),
    path("gallery/<uuid:public_id>/take-down/", views.publication_take_down, name="publication_take_down"),
    path("gallery/<uuid:public_id>/<str:kind>/", views.gallery_media, name="gallery_media"),
    path("reasons/", views.reason_codes, name="reason_codes"),
    path("studio/g/<uuid:public_id>/publish/", views.publication_request_new, name="publication_request_new"),
    path("publishing/", views.publication_requests, name="publication_requests"),
    path(
        "publishing/<int:request_id>/withdraw/", views.publication_request_withdraw, name="publication_request_withdraw"
    ),
    path("publishing/<int:request_id>/appeal/", views.publication_request_appeal, name="publication_request_appeal"),
    path("publishing/<int:request_id>/publish/", views.publication_request_publish, name="publication_request_publish"),
    path("publishing/p/<uuid:public_id>/withdraw/", views.publication_withdraw, name="publication_withdraw"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/claim/", views.review_claim_next, name="review_claim_next"),
    path("review/<int:request_id>/", views.review_item, name="review_item"),
    path("review/<int:request_id>/claim/", views.review_claim_item, name="review_claim_item"),
    path("review/<int:request_id>/renew/", views.review_renew, name="review_renew"),
    path("review/<int:request_id>/release/", views.review_release, name="review_release"),
    path("review/<int:request_id>/decide/", views.review_decide, name="review_decide"),
    path("review/decisions/<int:decision_id>/undo/", views.review_undo, name="review_undo"),
    path("staff/reasons/", views.reason_codes_admin, name="reason_codes_admin"),
    path("staff/reasons/<slug:code>/", views.reason_codes_admin, name="reason_code_edit"),
    path("staff/reviews/", views.review_dashboard, name="review_dashboard"),
    path("staff/cohorts/<int:cohort_id>/review-policy/", views.staff_review_policy, name="staff_review_policy"),
    path(
        "staff/cohorts/<int:cohort_id>/statements/<str:period>.json",
        views.transparency_export,
        name="transparency_export",
    ),
    path("cohorts/<slug:slug>/transparency/", views.transparency, name="transparency"),
]
