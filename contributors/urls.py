from django.urls import path

from contributors import views

app_name = "contributors"
urlpatterns = [
    path("contributors/", views.contributor_list, name="list"),
    path("contributors/me/", views.my_profile, name="me"),
    path("contributors/<str:orcid_id>/", views.profile, name="profile"),
    path(
        "contributors/<str:orcid_id>/contributions/",
        views.contribution_add,
        name="contribution_add",
    ),
    path(
        "contributors/<str:orcid_id>/contributions/<int:contribution_id>/verify/",
        views.contribution_verify,
        name="contribution_verify",
    ),
    path("groups/", views.group_list, name="group_list"),
    path("groups/<slug:slug>/", views.group_detail, name="group_detail"),
    path("review/", views.review_list, name="review"),
    path(
        "review/nominations/<int:nomination_id>/", views.nomination_review, name="nomination_review"
    ),
    path("ost/agreement/", views.agreement, name="agreement"),
]
