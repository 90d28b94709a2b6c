from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from contributors import activity


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = _("Forums")

    def ready(self) -> None:
        # In ready(): both import models, loadable only once the app registry is ready.
        from accounts import personal_data
        from forums.mail_settings import settings_context, settings_save
        from forums.selectors import activity_counts, person_export
        from forums.services import person_erase
        from mail.lists import register_settings_section
        from mail.services import register_list

        # Profiles and the review page show forum activity (contributors cannot ask us).
        activity.register("forums", activity_counts)
        # A person's posts, votes, flags and watches: their export and their deletion.
        personal_data.register(
            personal_data.Area(name="forums", export=person_export, erase=person_erase)
        )
        register_list("ideas", _("iDeas forum: status changes of ideas you voted for"))
        register_list("forums", _("Forum notices about your posts"))
        register_list("api-users", _("ORCID API Users list"))
        register_list("forum-watch", _("Forums and topics you watch"))
        # The mail settings page shows what people watch (mail cannot ask us).
        register_settings_section(
            "forums",
            template="forums/_mail_settings.html",
            context=settings_context,
            save=settings_save,
            position=10,
        )
