from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from allauth.socialaccount.models import SocialAccount
        from allauth.socialaccount.signals import social_account_added
        from django.db.models.signals import post_delete, post_save

        from accounts import adapters, backends
        from accounts.models import User

        # The signed-in person is cached (accounts.backends): every change drops the copy.
        post_save.connect(backends.forget, sender=User, dispatch_uid="auth-user-save")
        post_delete.connect(backends.forget, sender=User, dispatch_uid="auth-user-delete")
        # A person's ORCID iD follows their ORCID account (accounts.adapters).
        social_account_added.connect(adapters.orcid_account_added, dispatch_uid="orcid-added")
        post_delete.connect(
            adapters.orcid_account_deleted, sender=SocialAccount, dispatch_uid="orcid-deleted"
        )
