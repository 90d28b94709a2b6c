"""The benchmark's URLconf (``ROOT_URLCONF`` when ``BENCH_BARE_VIEW`` is set): every page
of the portal, and ``/bench/bare/``, the yardstick (bench/views.py)."""

from django.urls import path

from bench import views
from orcid_community.urls import handler403
from orcid_community.urls import urlpatterns as portal

urlpatterns = [*portal, path("bench/bare/", views.bare, name="bench_bare")]

__all__ = ["handler403", "urlpatterns"]
