from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from orcid_community.celery import app as celery_app


class OrcidCommunityConfig(AppConfig):
    """The project layer: the pages and commands that know every app (the home page, the
    header's navigation, ``seed_demo``), above every app in the layers (README)."""

    name = "orcid_community"
    verbose_name = _("ORCID Community Portal")

    def ready(self) -> None:
        # Every app's tasks module, in every process (web, tests, worker): services enqueue
        # by name (core.background) and never import their tasks, so the names must be in
        # Celery's registry before the first enqueue. Here, not at import: tasks import
        # services, which import models, loadable only once the app registry is ready.
        celery_app.autodiscover_tasks(force=True)
