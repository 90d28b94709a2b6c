from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # In ready(): models (and the modules that import them) load only once the app
        # registry is ready.
        from allauth.mfa.models import Authenticator
        from allauth.socialaccount.models import SocialAccount
        from allauth.socialaccount.signals import social_account_added
        from django.contrib.auth.models import Group, Permission
        from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

        from accounts import adapters, backends, signals
        from accounts.models import User

        # The signed-in person is cached (accounts.backends): every change drops the copy.
        post_save.connect(backends.forget, sender=User, dispatch_uid="auth-user-save")
        post_delete.connect(backends.forget, sender=User, dispatch_uid="auth-user-delete")
        # A person's ORCID iD follows their ORCID account (accounts.adapters).
        social_account_added.connect(adapters.orcid_account_added, dispatch_uid="orcid-added")
        post_delete.connect(
            adapters.orcid_account_deleted, sender=SocialAccount, dispatch_uid="orcid-deleted"
        )
        # ... and so does every change of what they may do (the copy carries their
        # permissions and whether they have two-factor authentication).
        for relation in (User.groups.through, User.user_permissions.through):
            m2m_changed.connect(
                signals.people_relinked, sender=relation, dispatch_uid=f"powers-{relation}"
            )
        m2m_changed.connect(
            signals.group_permissions_changed,
            sender=Group.permissions.through,
            dispatch_uid="powers-group-permissions",
        )
        pre_delete.connect(signals.group_deleted, sender=Group, dispatch_uid="powers-group")
        pre_delete.connect(
            signals.permission_deleted, sender=Permission, dispatch_uid="powers-permission"
        )
        for signal in (post_save, post_delete):
            signal.connect(
                signals.authenticator_changed,
                sender=Authenticator,
                dispatch_uid=f"powers-authenticator-{signal}",
            )
