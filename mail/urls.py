from django.urls import path

from mail import views

app_name = "mail"
urlpatterns = [
    path("mail/settings/", views.mail_settings, name="settings"),
    path("mail/bounces/enable/", views.bounce_enable, name="bounce_enable"),
    path("mail/unsubscribe/undo/", views.unsubscribe_undo, name="unsubscribe_undo"),
    path("mail/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
