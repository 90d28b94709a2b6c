from django.urls import path

from events import views

app_name = "events"
urlpatterns = [
    path("events/", views.meeting_list, name="list"),
    path("events/<slug:slug>/", views.meeting_detail, name="detail"),
    path("events/<slug:slug>/calendar.ics", views.meeting_calendar, name="calendar"),
    path("events/<slug:slug>/register/", views.meeting_register, name="register"),
    path("events/<slug:slug>/cancel/", views.registration_cancel, name="cancel"),
    path("events/<slug:slug>/propose/", views.session_propose, name="propose"),
    path("events/<slug:slug>/proposals/", views.proposal_list, name="proposals"),
    path(
        "events/<slug:slug>/proposals/<int:session_id>/",
        views.proposal_review,
        name="proposal_review",
    ),
    path("events/<slug:slug>/sessions/<int:session_id>/", views.session_detail, name="session"),
    path(
        "events/<slug:slug>/sessions/<int:session_id>/calendar.ics",
        views.session_calendar,
        name="session_calendar",
    ),
    path(
        "events/<slug:slug>/sessions/<int:session_id>/slides/",
        views.session_slides,
        name="session_slides",
    ),
    path(
        "events/<slug:slug>/sessions/<int:session_id>/held/",
        views.session_mark_held,
        name="session_held",
    ),
]
