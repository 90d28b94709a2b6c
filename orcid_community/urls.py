from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from api.urls import api_urls, feed_urls
from core import admin as core_admin
from core import views as core_views
from orcid_community import views

# PostgreSQL out of reach: a 503 page with Retry-After instead of a 500 (core/outage.py).
handler500 = "core.outage.server_error"
# Django's refusals are shown on the refusal page, the 403 with its reason (core.errors).
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("todo/", views.todo_page, name="todo"),
    path("healthz", core_views.healthz, name="healthz"),
    path("healthz/", core_views.healthz),
    path("favicon.ico", core_views.favicon, name="favicon"),
    # Before the admin's own: the admin signs in through the portal's sign-in (allauth).
    path("admin/login/", accounts_views.admin_login, name="admin_login"),
    # Before the admin's own too: "View on site" for what the person may see in the admin.
    path(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        admin.site.admin_view(core_admin.view_on_site),
        name="admin_view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include(api_urls, namespace="api")),
    # Before the apps' own: /events/calendar.ics is no meeting's slug.
    path("", include(feed_urls)),
    path("", include("consortia.urls")),
    path("", include("contributors.urls")),
    path("", include("forums.urls")),
    path("", include("events.urls")),
    path("", include("mail.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
