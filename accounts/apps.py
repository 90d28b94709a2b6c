from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # In ready(): models (and the modules that import them) load only once the app
        # registry is ready.
        from allauth.socialaccount.models import SocialAccount
        from allauth.socialaccount.signals import social_account_added
        from django.db.models.signals import post_delete

        from accounts import adapters, personal_data
        from accounts.services import ACCOUNT_AREA

        # A person's ORCID iD follows their ORCID account (accounts.adapters).
        social_account_added.connect(adapters.orcid_account_added, dispatch_uid="orcid-added")
        post_delete.connect(
            adapters.orcid_account_deleted, sender=SocialAccount, dispatch_uid="orcid-deleted"
        )
        # The account itself, its addresses, connected accounts and mail (mail is below us).
        personal_data.register(ACCOUNT_AREA)
