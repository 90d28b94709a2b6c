from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = _("Forums")

    def ready(self) -> None:
        from mail.services import register_list

        register_list("ideas", _("iDeas forum: status changes of ideas you voted for"))
        register_list("forums", _("Forum notices about your posts"))
        register_list("api-users", _("ORCID API Users list"))
        register_list("forum-watch", _("Forums and topics you watch"))
