from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile_edit, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("orcid-taken/", views.orcid_taken, name="orcid_taken"),
    path("data/", views.data_export, name="data"),
    path("data/<uuid:export_id>/download/", views.data_download, name="data_download"),
    path("delete/", views.account_delete_view, name="delete"),
]
