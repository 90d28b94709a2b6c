from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Outreach meetings")

    def ready(self) -> None:
        # In ready(): mail.services imports models, loadable only once the registry is ready.
        from accounts import personal_data
        from events.selectors import person_export
        from events.services import person_erase
        from mail.services import register_list

        register_list("events", _("Outreach meetings"))
        # A person's registrations and sessions: their export and their deletion.
        personal_data.register(
            personal_data.Area(name="events", export=person_export, erase=person_erase)
        )
