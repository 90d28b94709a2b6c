"""django-allauth adapters: signing in with ORCID fills the person's profile."""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.utils import translation

from core.identifiers import normalize_orcid
from mail.services import deliver_message


class AccountAdapter(DefaultAccountAdapter):
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
        from accounts.staff import has_staff_powers

        if authenticator.type != authenticator.Type.TOTP:
            return True
        return not has_staff_powers(authenticator.user)


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
