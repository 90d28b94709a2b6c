from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsortiaConfig(AppConfig):
    name = "consortia"
    verbose_name = _("Consortia")

    def ready(self) -> None:
        from mail.services import register_list

        register_list("consortia", _("Consortium notifications"))
