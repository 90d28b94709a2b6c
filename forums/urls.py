from django.urls import path

from forums import views
from forums.feeds import ForumFeed

app_name = "forums"

# Fixed paths come before ``<forum_slug>/``; forums.models.RESERVED_SLUGS keeps them free.
urlpatterns = [
    path("forums/", views.index, name="index"),
    path("forums/ideas/", views.ideas, name="ideas"),
    path("forums/search/", views.search, name="search"),
    path("forums/moderation/", views.moderation, name="moderation"),
    path("forums/t/<int:topic_id>/", views.topic_detail, name="topic_noslug"),
    path("forums/t/<int:topic_id>/reply/", views.reply, name="reply"),
    path("forums/t/<int:topic_id>/vote/", views.idea_vote, name="vote"),
    path("forums/t/<int:topic_id>/status/", views.idea_status, name="idea_status"),
    path("forums/t/<int:topic_id>/merge/", views.idea_merge, name="idea_merge"),
    path("forums/t/<int:topic_id>/move/", views.topic_move, name="topic_move"),
    path(
        "forums/t/<int:topic_id>/lock/",
        views.topic_flag_state,
        {"action": "lock"},
        name="topic_lock",
    ),
    path(
        "forums/t/<int:topic_id>/pin/", views.topic_flag_state, {"action": "pin"}, name="topic_pin"
    ),
    path("forums/t/<int:topic_id>/watch/", views.topic_subscription, name="topic_watch"),
    path("forums/t/<int:topic_id>/<str:slug>/", views.topic_detail, name="topic"),
    path("forums/p/<int:post_id>/", views.post_permalink, name="post"),
    path("forums/p/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("forums/p/<int:post_id>/revisions/", views.post_revisions, name="post_revisions"),
    path("forums/p/<int:post_id>/flag/", views.post_flag, name="post_flag"),
    path("forums/p/<int:post_id>/accept/", views.post_accept, name="post_accept"),
    path("forums/p/<int:post_id>/hide/", views.post_moderate, {"action": "hide"}, name="post_hide"),
    path(
        "forums/p/<int:post_id>/restore/",
        views.post_moderate,
        {"action": "restore"},
        name="post_restore",
    ),
    path("forums/p/<int:post_id>/approve/", views.post_approve, name="post_approve"),
    path(
        "forums/p/<int:post_id>/approve-trust/",
        views.post_approve,
        {"trust": True},
        name="post_approve_trust",
    ),
    path("forums/p/<int:post_id>/reject/", views.post_reject, name="post_reject"),
    path("forums/<slug:forum_slug>/", views.forum_detail, name="forum"),
    path("forums/<slug:forum_slug>/new/", views.topic_create, name="topic_create"),
    path("forums/<slug:forum_slug>/feed/", ForumFeed(), name="feed"),
    path("forums/<slug:forum_slug>/watch/", views.forum_subscription, name="forum_watch"),
]
