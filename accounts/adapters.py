"""django-allauth adapters: account mail as Deliveries; Sign in with ORCID proves the iD.

The ORCID iD of a person is the uid of their ORCID account in allauth, which the ORCID
provider takes from ORCID's answer to the OAuth token exchange: it is recorded when an
account is made by signing in with ORCID (``save_user``) or when a signed-in person
connects ORCID on their account pages (``orcid_account_added``), and dropped when that
ORCID account goes (``orcid_account_deleted``).
"""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import services
from accounts.staff import has_staff_powers
from core.client import client_address
from core.errors import DomainError
from core.identifiers import normalize_orcid
from mail.services import deliver_message

# Where pre_social_login leaves an iD someone proved that another account holds.
ORCID_TAKEN_SESSION_KEY = "accounts.orcid_taken"


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """allauth's rate limits count per address: the one a trusted proxy forwarded
        (core.client), not the proxy's (every visitor) or a header anyone can send."""
        return client_address(request) or super().get_client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Account mail goes out like every other mail: a Delivery written now, sent by a
        task after commit — never inside the request, so a request answers alike, and as
        fast, whether its address has an account or not, and whether SMTP answers or not.

        Mail about a person's account is tied to them; mail to an address without one in
        the context (a reset asked for an unknown address, allauth's notice that an
        address already has an account) is tied to the address alone.
        """
        user = context.get("user")
        if user is not None and not getattr(user, "pk", None):
            user = None
        language = (getattr(user, "language", "") or translation.get_language()) or "en"
        with translation.override(language):
            ctx = {"email": email, "current_site": get_current_site(allauth_context.request)}
            ctx.update(context)
            ctx.setdefault("request", allauth_context.request)
            message = self.render_mail(template_prefix, email, ctx)
        deliver_message(
            recipient=user,
            message=message,
            kind="account." + template_prefix.rsplit("/", 1)[-1],
            about=f"account:{uuid.uuid4().hex}",
        )

    def save_user(self, request, user, form, commit=True):
        # The name to show, asked at sign-up (accounts.forms.SignupForm).
        name = (getattr(form, "cleaned_data", {}) or {}).get("name")
        if name:
            user.name = name
        return super().save_user(request, user, form, commit=commit)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        """Staff keep two-factor authentication: their TOTP cannot be turned off."""
        if authenticator.type != authenticator.Type.TOTP:
            return True
        return not has_staff_powers(authenticator.user)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Sign in with ORCID: the iD a person has on the portal is the one ORCID vouched for."""

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        if sociallogin.account.provider == services.ORCID:
            name = _orcid_record_name(sociallogin.account.extra_data or {})
            if name and not user.name:
                user.name = name
        return user

    def pre_social_login(self, request, sociallogin):
        """Stop, with a way forward, an ORCID iD that cannot become this person's: one
        connected to another account, or a second iD for an account that has one."""
        if sociallogin.account.provider != services.ORCID:
            return
        try:
            orcid_id = normalize_orcid(sociallogin.account.uid)
        except ValidationError as exc:
            messages.error(request, _("ORCID answered with an iD the portal cannot read."))
            raise ImmediateHttpResponse(redirect("account_login")) from exc
        connecting = sociallogin.state.get("process") == AuthProcess.CONNECT
        if sociallogin.is_existing and not connecting:
            return  # a returning person: the iD is theirs already
        user = request.user if connecting and request.user.is_authenticated else None
        try:
            services.user_orcid_connect_check(user=user, orcid_id=orcid_id)
        except services.OrcidIdTaken as exc:
            # The iD was just proved in this session: the page that offers to ask staff
            # reads it from there, never from the address.
            request.session[ORCID_TAKEN_SESSION_KEY] = orcid_id
            raise ImmediateHttpResponse(redirect("accounts:orcid_taken")) from exc
        except DomainError as exc:
            messages.error(request, exc.message)
            raise ImmediateHttpResponse(redirect("socialaccount_connections")) from exc

    def validate_disconnect(self, account, accounts) -> None:
        # allauth needs the provider's app to remove its account: without one (a
        # development server with demo people) the form says so instead of failing.
        if account.provider == services.ORCID and not self.list_apps(
            allauth_context.request, provider=services.ORCID
        ):
            raise ValidationError(
                _("Sign in with ORCID is not set up on this portal, so it cannot be removed.")
            )

    @transaction.atomic
    def save_user(self, request, sociallogin, form=None):
        """A new account made by signing in with ORCID gets the iD it proved."""
        user = super().save_user(request, sociallogin, form)
        if sociallogin.account.provider == services.ORCID:
            services.user_orcid_connect(user=user, account=sociallogin.account)
        return user


def orcid_account_added(sender, request=None, sociallogin=None, **kwargs) -> None:
    """allauth's connect flow saved a signed-in person's new ORCID account."""
    if sociallogin.account.provider == services.ORCID:
        services.user_orcid_connect(user=sociallogin.user, account=sociallogin.account)


def orcid_account_deleted(sender, instance=None, **kwargs) -> None:
    """An ORCID account went (disconnected on the account pages, or deleted in the admin)."""
    services.user_orcid_disconnect(account=instance)


def _orcid_record_name(record: dict) -> str:
    name = (record.get("person") or {}).get("name") or {}
    credit = (name.get("credit-name") or {}).get("value")
    if credit:
        return credit
    parts = [
        (name.get("given-names") or {}).get("value"),
        (name.get("family-name") or {}).get("value"),
    ]
    return " ".join(p for p in parts if p)
