from django.urls import path

from contributors import views

app_name = "contributors"
urlpatterns = [
    path("contributors/", views.contributor_list, name="list"),
    path("contributors/me/", views.my_profile, name="me"),
    # A profile is at its person's verified ORCID iD, or, without one, at their public id
    # (User.get_absolute_url). Its forms post to the public id, which never changes.
    path("contributors/<str:orcid_id>/", views.profile, name="profile"),
    path(
        "contributors/p/<uuid:public_id>/",
        views.profile_by_public_id,
        name="profile_by_public_id",
    ),
    path(
        "contributors/p/<uuid:public_id>/contributions/",
        views.contribution_add,
        name="contribution_add",
    ),
    path(
        "contributors/p/<uuid:public_id>/contributions/<int:contribution_id>/verify/",
        views.contribution_verify,
        name="contribution_verify",
    ),
    path("groups/", views.group_list, name="group_list"),
    path("groups/<slug:slug>/", views.group_detail, name="group_detail"),
    path("groups/<slug:slug>/briefings/", views.briefing_list, name="briefing_list"),
    path("groups/<slug:slug>/briefings/new/", views.briefing_new, name="briefing_new"),
    path(
        "groups/<slug:slug>/briefings/subscription/",
        views.briefing_subscription,
        name="briefing_subscription",
    ),
    path(
        "groups/<slug:slug>/briefings/<int:briefing_id>/",
        views.briefing_detail,
        name="briefing_detail",
    ),
    path(
        "groups/<slug:slug>/briefings/<int:briefing_id>/edit/",
        views.briefing_edit,
        name="briefing_edit",
    ),
    path(
        "groups/<slug:slug>/briefings/<int:briefing_id>/publish/",
        views.briefing_publish,
        name="briefing_publish",
    ),
    path("review/", views.review_list, name="review"),
    path(
        "review/nominations/<int:nomination_id>/", views.nomination_review, name="nomination_review"
    ),
    path("ost/agreement/", views.agreement, name="agreement"),
]
