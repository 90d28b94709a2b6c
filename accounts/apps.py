from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts import backends
        from accounts.models import User

        # The signed-in person is cached (accounts.backends): every change drops the copy.
        post_save.connect(backends.forget, sender=User, dispatch_uid="auth-user-save")
        post_delete.connect(backends.forget, sender=User, dispatch_uid="auth-user-delete")
