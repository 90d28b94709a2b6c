from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsortiaConfig(AppConfig):
    name = "consortia"
    verbose_name = _("Consortia")

    def ready(self) -> None:
        # In ready(): mail.services imports models, loadable only once the registry is ready.
        from accounts import personal_data
        from consortia.selectors import person_export
        from consortia.services import person_delete_blockers, person_erase
        from mail.services import register_list

        register_list("consortia", _("Consortium notifications"))
        # A person's contacts and requests: their export, their deletion (refused to the
        # only lead contact of a consortium).
        personal_data.register(
            personal_data.Area(
                name="consortia",
                export=person_export,
                erase=person_erase,
                blockers=person_delete_blockers,
            )
        )
