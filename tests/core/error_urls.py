"""The portal's URLs and one that fails, for the 500 page (tests/core/test_error_pages.py)."""

from django.urls import path

from orcid_community.urls import handler400, handler403, handler404, handler500, urlpatterns


def _boom(request):
    raise RuntimeError("an error nobody expected")


urlpatterns = [path("boom/", _boom), *urlpatterns]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
