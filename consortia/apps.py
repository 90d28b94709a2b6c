from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsortiaConfig(AppConfig):
    name = "consortia"
    verbose_name = _("Consortia")

    def ready(self) -> None:
        # In ready(): mail.services imports models, loadable only once the registry is ready.
        from mail.services import register_list

        register_list("consortia", _("Consortium notifications"))
