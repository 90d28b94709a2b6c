from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContributorsConfig(AppConfig):
    name = "contributors"
    verbose_name = _("Contributors")

    def ready(self) -> None:
        # In ready(): models (and the modules that import them) load only once the app
        # registry is ready.
        from accounts import personal_data
        from contributors.mail_settings import settings_context, settings_save
        from contributors.selectors import BRIEFINGS_LIST_PREFIX, briefing_list_name, person_export
        from contributors.services import ip_addresses_purge, person_delete_blockers, person_erase
        from mail.lists import register_settings_section
        from mail.services import register_list, register_list_family

        register_list("governance", _("Governance"))
        # One list per group (``briefings-<slug>``), so a one-click unsubscribe from a
        # briefing stops that group's briefings only. Groups are rows, not known at start-up:
        # the list is named from its slug when a mail or the unsubscribe page needs it.
        register_list_family(BRIEFINGS_LIST_PREFIX, briefing_list_name)
        # The mail settings page's briefings section (mail cannot ask us).
        register_settings_section(
            "briefings",
            template="contributors/_briefing_settings.html",
            context=settings_context,
            save=settings_save,
            position=20,
        )
        # A person's level, contributions, nominations, votes and signatures: their export,
        # their deletion (refused while a nomination of theirs is open) and retention.
        personal_data.register(
            personal_data.Area(
                name="contributors",
                export=person_export,
                erase=person_erase,
                blockers=person_delete_blockers,
                purge=ip_addresses_purge,
            )
        )
