from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Outreach meetings")

    def ready(self) -> None:
        # In ready(): mail.services imports models, loadable only once the registry is ready.
        from mail.services import register_list

        register_list("events", _("Outreach meetings"))
