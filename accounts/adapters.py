"""django-allauth adapters: signing in with ORCID fills the person's profile."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.exceptions import ValidationError

from core.identifiers import normalize_orcid


class AccountAdapter(DefaultAccountAdapter):
    pass


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
