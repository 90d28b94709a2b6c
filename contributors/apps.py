from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContributorsConfig(AppConfig):
    name = "contributors"
    verbose_name = _("Contributors")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from contributors.models import Contribution, Profile
        from contributors.selectors import forget_directory_facets
        from mail.services import register_list

        register_list("governance", _("Governance"))
        # The directory's cached facets count contributions and levels.
        for model in (Contribution, Profile):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_directory_facets, sender=model, dispatch_uid=f"facets-{model.__name__}"
                )
