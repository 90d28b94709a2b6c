"""django-allauth adapters: signing in with ORCID fills the person's profile."""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.utils import translation

from core.client import client_address
from core.identifiers import normalize_orcid
from mail.services import deliver_message


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        """allauth's rate limits count per address: the one a trusted proxy forwarded
        (core.client), not the proxy's (every visitor) or a header anyone can send."""
        return client_address(request) or super().get_client_ip(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Account mail goes out like every other mail: a Delivery, sent after commit.

        Mail to an address without an account (a password reset asked for an unknown
        address) has no recipient to record and is sent directly.
        """
        user = context.get("user")
        language = (getattr(user, "language", "") or translation.get_language()) or "en"
        with translation.override(language):
            ctx = {"email": email, "current_site": get_current_site(allauth_context.request)}
            ctx.update(context)
            ctx.setdefault("request", allauth_context.request)
            message = self.render_mail(template_prefix, email, ctx)
        if user is None or not getattr(user, "pk", None):
            message.send()
            return
        deliver_message(
            recipient=user,
            message=message,
            kind="account." + template_prefix.rsplit("/", 1)[-1],
            about=f"account:{uuid.uuid4().hex}",
        )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        if sociallogin.account.provider == "orcid":
            record = sociallogin.account.extra_data or {}
            name = _orcid_record_name(record)
            if name and not user.name:
                user.name = name
            try:
                user.orcid_id = normalize_orcid(sociallogin.account.uid)
            except ValidationError:
                user.orcid_id = None
        return user

    def pre_social_login(self, request, sociallogin):
        # A person already signed in who connects ORCID gets the iD on their profile.
        user = request.user
        if (
            sociallogin.account.provider == "orcid"
            and user.is_authenticated
            and not user.orcid_id
            and not sociallogin.is_existing
        ):
            from accounts.services import user_set_orcid_id

            user_set_orcid_id(user=user, orcid_id=sociallogin.account.uid)


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
