"""The permission matrix: every URL pattern of the portal, what each role gets there.

One row per URL pattern of the URLconf (``django.urls.get_resolver()``, walked with the
admin's and allauth's patterns), keyed by its name (``namespace:name``) or, for a pattern
without a name, by its route. A row gives the keyword arguments (objects of the world
below, by name), the answer to a GET for each role and, for endpoints that change
something, the answer to a POST. The test fails when a pattern has no row — a new page
cannot ship without its permissions written down here — and when a row names a pattern
that is gone.

The roles, the columns of every row (``ROLES``):

- ``anonymous``: nobody signed in;
- ``user``: signed in, nothing else (owns the forum topic, the post, a session as its
  speaker and a contribution: the owner where a page has one);
- ``other_member``: a contact of an organization that is a member of consortium B;
- ``other_lead``: a lead contact of consortium B;
- ``lead``: a lead contact of consortium A (the consortium in the URLs), and a contact of
  its lead organization;
- ``steering``: a member of the technical steering group (a current term);
- ``chair``: the chair of the working group W (whose forum is private);
- ``staff_without`` and ``staff_with``: staff (``is_staff``, two-factor authentication
  set up) holding every permission of the two staff groups *except* the row's ``perm``,
  and holding *only* the row's ``perm`` (``perm=()``: no permission at all, and every
  permission of both groups). A staff session without two-factor authentication is led
  to set it up before anything else (``test_staff_without_two_factor_are_led_to_set_it_up``).

What a cell says: a status code, ``LOGIN`` (a redirect to the portal's sign-in and back
here), ``ADMIN_LOGIN`` (the admin's redirect to ``/admin/login/`` and back, which sends a
visitor to the portal's sign-in and refuses a signed-in person who may not enter the
admin), or ``to("/path/")`` (a redirect there; ``{name}`` stands for an object's
attribute). Each request runs in a savepoint rolled back after it: a POST of one role never
changes what the next one sees.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import DataExport
from consortia import services as consortia_services
from consortia.models import (
    ChecklistEntry,
    ChecklistItem,
    ConsortiumContact,
    ContactRequest,
    Membership,
    OrganizationContact,
)
from contributors import services as contributors_services
from contributors.models import BriefingSubscription, LevelChange, Profile, Signature
from contributors.models import Membership as GroupMembership
from events.models import Registration
from forums import services as forums_services
from forums.models import (
    Flag,
    Forum,
    IdeaStatusChange,
    ModerationAction,
    Subscription,
    TrustedPoster,
)
from inbound.models import InboundMessage
from mail import services as mail_services
from mail.models import BounceScore, Delivery, DigestRun, Unsubscription
from orcid_community.celery import app as celery_app
from orcid_community.celery import configure as configure_celery
from tests.factories.accounts import TOTP_SECRET, UserFactory, person, with_two_factor
from tests.factories.consortia import (
    ConsortiumContactFactory,
    ConsortiumFactory,
    MembershipFactory,
    OrganizationContactFactory,
    ProgressReportFactory,
)
from tests.factories.contributors import (
    AgreementFactory,
    BriefingFactory,
    BriefingSubscriptionFactory,
    ContributionFactory,
    GroupFactory,
    contributor,
    steering_group,
)
from tests.factories.contributors import MembershipFactory as GroupMembershipFactory
from tests.factories.events import MeetingFactory, SessionFactory
from tests.factories.forums import IdeasForumFactory

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "user",
    "other_member",
    "other_lead",
    "lead",
    "steering",
    "chair",
    "staff_without",
    "staff_with",
)

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
REAUTHENTICATE = "reauthenticate"


@dataclass(frozen=True)
class to:  # noqa: N801 - reads as a cell of the table: to("/consortia/")
    """A redirect to ``path`` (``{name}`` / ``{name.attr}``: an attribute of the world)."""

    path: str


@dataclass(frozen=True)
class Row:
    """What each role gets at one URL pattern.

    ``get`` and ``post``: one cell per role, in the order of ``ROLES`` (``post=None``: the
    POST is not checked). ``kwargs``: the URL's keyword arguments, each the name of an
    object of the world (its ``slug``, ``public_id``, ``orcid_id`` or ``pk`` is used, by
    the argument's name) or, in ``raw``, a value used as is. ``perm``: the permissions
    ``staff_with`` holds and ``staff_without`` lacks. ``data``: the POST's fields.
    """

    get: tuple
    post: tuple | None = None
    kwargs: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    perm: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # held by staff_with besides ``perm`` (not taken from the other)
    data: dict = field(default_factory=dict)
    query: str = ""
    optional: bool = False  # a pattern that exists only in some settings (DEBUG, …)

    def __post_init__(self):
        assert self.get is None or len(self.get) == len(ROLES), self
        assert self.post is None or len(self.post) == len(ROLES), self


def every(cell) -> tuple:
    return (cell,) * len(ROLES)


def signed_in(cell) -> tuple:
    """A page for anyone signed in: visitors are sent to sign in."""
    return (LOGIN, *(cell,) * (len(ROLES) - 1))


# --- The portal's pages ----------------------------------------------------------------------
#
# Columns: anonymous, user, other_member, other_lead, lead, steering, chair, staff_without,
# staff_with. kwargs name objects of the world (build_world): consortium A is the lead's,
# B the other lead's and the other member's; W is the chair's working group (private forum);
# the topic, its first post, a session and a contribution are the user's.

# fmt: off
MATRIX: dict[str, Row] = {
    "home":                                    Row(get=every(200)),
    # What waits for each role, object by object: tests/core/test_todo.py.
    "todo":                                    Row(get=signed_in(200), post=every(405)),
    "healthz":                                 Row(get=every(200)),
    "healthz/":                                Row(get=every(200)),
    "favicon":                                 Row(get=every(200)),
    # What the portal promises in public (issue 20): read by everyone, nothing to send.
    "privacy":                                 Row(get=every(200), post=every(405)),
    "accessibility":                           Row(get=every(200), post=every(405)),
    "conduct":                                 Row(get=every(200), post=every(405)),
    "account_login":                           Row(get=(200, to("/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"))),
    "account_logout":                          Row(get=(to("/"), 200, 200, 200, 200, 200, 200, 200, 200)),
    "account_inactive":                        Row(get=every(200)),
    "account_signup":                          Row(get=(200, to("/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"))),
    "account_reauthenticate":                  Row(get=signed_in(200)),
    "account_request_reauthentication_code":   Row(get=(LOGIN, *(200,) * 6, to("/accounts/reauthenticate/"), to("/accounts/reauthenticate/"))),
    "account_confirm_reauthentication_code":   Row(get=signed_in(to("/accounts/reauthenticate/code/"))),
    "account_email":                           Row(get=signed_in(200)),
    "account_email_verification_sent":         Row(get=every(200)),
    "account_change_password":                 Row(get=signed_in(200)),
    "account_set_password":                    Row(get=signed_in(to("/accounts/password/change/"))),
    "account_reset_password":                  Row(get=every(200)),
    "account_confirm_login_code":              Row(get=(to("/accounts/login/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"))),
    "account_confirm_email":                   Row(get=every(200), raw={'key': 'not-a-key'}),
    "account_reset_password_from_key_done":    Row(get=every(200)),
    "account_reset_password_from_key":         Row(get=every(200), raw={'uidb36': '1', 'key': 'not-a-key'}),
    "account_reset_password_done":             Row(get=every(200)),
    "mfa_index":                               Row(get=signed_in(200)),
    "mfa_authenticate":                        Row(get=(to("/accounts/login/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"), to("/"))),
    "mfa_reauthenticate":                      Row(get=(LOGIN, to("/accounts/reauthenticate/"), to("/accounts/reauthenticate/"), to("/accounts/reauthenticate/"), to("/accounts/reauthenticate/"), to("/accounts/reauthenticate/"), to("/accounts/reauthenticate/"), 200, 200)),
    "mfa_activate_totp":                       Row(get=signed_in(REAUTHENTICATE)),
    "mfa_deactivate_totp":                     Row(get=(LOGIN, 404, 404, 404, 404, 404, 404, REAUTHENTICATE, REAUTHENTICATE)),
    "mfa_view_recovery_codes":                 Row(get=signed_in(404)),
    "mfa_generate_recovery_codes":             Row(get=signed_in(REAUTHENTICATE)),
    "mfa_download_recovery_codes":             Row(get=signed_in(404)),
    "socialaccount_login_cancelled":           Row(get=every(200)),
    "socialaccount_login_error":               Row(get=every(401)),
    "socialaccount_signup":                    Row(get=every(to("/accounts/login/"))),
    "socialaccount_connections":               Row(get=signed_in(200)),
    "accounts/social/login/cancelled/":        Row(get=every((301, "/accounts/3rdparty/login/cancelled/"))),
    "accounts/social/login/error/":            Row(get=every((301, "/accounts/3rdparty/login/error/"))),
    "accounts/social/signup/":                 Row(get=every((301, "/accounts/3rdparty/signup/"))),
    "accounts/social/connections/":            Row(get=every((301, "/accounts/3rdparty/"))),
    "orcid_login":                             Row(get=every(200)),
    "orcid_callback":                          Row(get=every(401)),
    "accounts:profile":                        Row(get=signed_in(200)),
    "accounts:set_language":                   Row(get=every(405), post=every(400)),
    "accounts:orcid_taken":                    Row(get=signed_in(to("/accounts/3rdparty/"))),
    # People's data: everyone's own; the user's export is theirs only. The other lead is
    # the only lead contact of B: their account cannot go before it is handed over (409).
    "accounts:data":                           Row(get=signed_in(200), post=(LOGIN, *(to("/accounts/data/"),) * 8)),
    "accounts:data_download":                  Row(get=(LOGIN, 200, *(404,) * 7), kwargs={"export_id": "export"}),
    "accounts:delete":                         Row(get=signed_in(200), post=(LOGIN, 400, 400, 409, 400, 400, 400, 400, 400)),
    "consortia:list":                          Row(get=every(200)),
    "consortia:propose":                       Row(get=signed_in(200)),
    "consortia:mine":                          Row(get=signed_in(200)),
    "consortia:membership_leave":              Row(get=signed_in(405), post=(LOGIN, 404, to("/consortia/mine/"), 404, 404, 404, 404, 404, to("/consortia/mine/")), kwargs={'pk': 'membership_b'}, perm=("consortia.manage_any_consortium",)),
    "consortia:contact_request_accept":        Row(get=signed_in(405), post=(LOGIN, 404, 404, 404, to("/consortia/mine/"), 404, 404, 404, to("/consortia/mine/")), kwargs={'pk': 'contact_request'}, perm=("consortia.verify_organization",)),
    "consortia:contact_request_decline":       Row(get=signed_in(405), post=(LOGIN, 404, 404, 404, to("/consortia/mine/"), 404, 404, 404, to("/consortia/mine/")), kwargs={'pk': 'contact_request'}, perm=("consortia.verify_organization",)),
    "consortia:contact_email":                 Row(get=signed_in(405), post=(LOGIN, 404, 404, 404, to("/consortia/mine/"), 404, 404, 404, 404), kwargs={'pk': 'contact_a'}),
    "consortia:organizations":                 Row(get=signed_in(200)),
    "consortia:organization_ask":              Row(get=signed_in(200), post=signed_in(400), kwargs={'pk': 'organization'}),
    "consortia:invitation":                    Row(get=every(200), post=(LOGIN, to("/consortia/consortium-a/manage/"), to("/consortia/consortium-a/manage/"), to("/consortia/consortium-a/manage/"), 409, to("/consortia/consortium-a/manage/"), to("/consortia/consortium-a/manage/"), to("/consortia/consortium-a/manage/"), to("/consortia/consortium-a/manage/")), kwargs={'token': 'invitation_token'}),
    "consortia:detail":                        Row(get=every(200), kwargs={'slug': 'consortium_a'}),
    "consortia:join":                          Row(get=signed_in(200), post=signed_in(400), kwargs={'slug': 'consortium_a'}),
    "consortia:document":                      Row(get=(404, 404, 404, 404, 200, 404, 404, 404, 200), kwargs={'slug': 'consortium_a', 'pk': 'document'}, perm=("consortia.manage_any_consortium",)),
    "consortia:report":                        Row(get=every(200), kwargs={'slug': 'consortium_a', 'pk': 'report'}),
    "consortia:manage":                        Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:members_csv":                   Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:manage_requests":               Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:manage_members":                Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:manage_contacts":               Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:manage_checklist":              Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), post=(LOGIN, 403, 403, 403, to("/consortia/consortium-a/manage/checklist/"), 403, 403, 403, to("/consortia/consortium-a/manage/checklist/")), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:manage_documents":              Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), post=(LOGIN, 403, 403, 403, 400, 403, 403, 403, 400), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:manage_reports":                Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), post=(LOGIN, 403, 403, 403, 400, 403, 403, 403, 400), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:request_accept":                Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, to("/consortia/consortium-a/manage/requests/"), 403, 403, 403, to("/consortia/consortium-a/manage/requests/")), kwargs={'slug': 'consortium_a', 'pk': 'request_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:request_decline":               Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, to("/consortia/consortium-a/manage/requests/"), 403, 403, 403, to("/consortia/consortium-a/manage/requests/")), kwargs={'slug': 'consortium_a', 'pk': 'request_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:member_remove":                 Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), post=(LOGIN, 403, 403, 403, to("/consortia/consortium-a/manage/members/"), 403, 403, 403, to("/consortia/consortium-a/manage/members/")), kwargs={'slug': 'consortium_a', 'pk': 'member_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:details_update":                Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 400, 403, 403, 403, 400), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:contact_invite":                Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 400, 403, 403, 403, 400), kwargs={'slug': 'consortium_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:invitation_withdraw":           Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, to("/consortia/consortium-a/manage/contacts/"), 403, 403, 403, to("/consortia/consortium-a/manage/contacts/")), kwargs={'slug': 'consortium_a', 'pk': 'invitation'}, perm=("consortia.manage_any_consortium",)),
    "consortia:contact_remove":                Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), post=(LOGIN, 403, 403, 403, to("/consortia/consortium-a/manage/contacts/"), 403, 403, 403, to("/consortia/consortium-a/manage/contacts/")), kwargs={'slug': 'consortium_a', 'pk': 'colleague_contact_a'}, perm=("consortia.manage_any_consortium",)),
    "consortia:document_delete":               Row(get=(LOGIN, 403, 403, 403, 200, 403, 403, 403, 200), post=(LOGIN, 403, 403, 403, to("/consortia/consortium-a/manage/documents/"), 403, 403, 403, to("/consortia/consortium-a/manage/documents/")), kwargs={'slug': 'consortium_a', 'pk': 'document'}, perm=("consortia.manage_any_consortium",)),
    "consortia:finalize":                      Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, 409), kwargs={'slug': 'consortium_a'}, perm=("consortia.finalize_consortium",)),
    "consortia:deactivate":                    Row(get=(LOGIN, 403, 403, 403, 403, 403, 403, 403, 200), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, to("/consortia/consortium-a/manage/")), kwargs={'slug': 'consortium_a'}, perm=("consortia.deactivate_consortium",)),
    "contributors:list":                       Row(get=every(200)),
    "contributors:me":                         Row(get=signed_in(to("{me}"))),
    "contributors:profile":                    Row(get=(404, 200, 404, 404, 404, 404, 404, 404, 200), kwargs={'orcid_id': 'user'}, perm=("contributors.verify_contribution",)),
    "contributors:profile_by_public_id":       Row(get=(404, to("{user}"), 404, 404, 404, 404, 404, 404, to("{user}")), kwargs={'public_id': 'user'}, perm=("contributors.verify_contribution",)),
    "contributors:contribution_add":           Row(get=every(405), post=(LOGIN, 400, 404, 404, 404, 404, 404, 404, 400), kwargs={'public_id': 'user'}, perm=("contributors.verify_contribution",)),
    "contributors:contribution_verify":        Row(get=every(405), post=(LOGIN, 403, 404, 404, 404, 404, 404, 404, to("{user}")), kwargs={'public_id': 'user', 'contribution_id': 'contribution'}, perm=("contributors.verify_contribution",)),
    "contributors:group_list":                 Row(get=every(200)),
    "contributors:group_detail":               Row(get=every(200), kwargs={'slug': 'group'}),
    "contributors:briefing_list":              Row(get=every(200), kwargs={'slug': 'group'}),
    "contributors:briefing_new":               Row(get=(LOGIN, 403, 403, 403, 403, 403, 200, 403, 200), post=(LOGIN, 403, 403, 403, 403, 403, 400, 403, 400), kwargs={'slug': 'group'}, perm=("contributors.write_any_briefing",)),
    "contributors:briefing_subscription":      Row(get=signed_in(405), post=signed_in(400), kwargs={'slug': 'group'}),
    "contributors:briefing_detail":            Row(get=every(200), kwargs={'slug': 'group', 'briefing_id': 'briefing'}),
    "contributors:briefing_edit":              Row(get=(LOGIN, 403, 403, 403, 403, 403, 200, 403, 200), post=(LOGIN, 403, 403, 403, 403, 403, 400, 403, 400), kwargs={'slug': 'group', 'briefing_id': 'draft'}, perm=("contributors.write_any_briefing",)),
    "contributors:briefing_publish":           Row(get=(LOGIN, 403, 403, 403, 403, 403, 200, 403, 200), post=(LOGIN, 403, 403, 403, 403, 403, to("{draft}"), 403, to("{draft}")), kwargs={'slug': 'group', 'briefing_id': 'draft'}, perm=("contributors.write_any_briefing",)),
    "contributors:review":                     Row(get=(LOGIN, 403, 403, 403, 403, 200, 403, 403, 403)),
    "contributors:nomination_review":          Row(get=(LOGIN, 403, 403, 403, 403, 200, 403, 403, 403), post=(LOGIN, 403, 403, 403, 403, 400, 403, 403, 403), kwargs={'nomination_id': 'nomination'}),
    "contributors:agreement":                  Row(get=every(200)),
    "forums:index":                            Row(get=every(200)),
    "forums:ideas":                            Row(get=every(200)),
    "forums:search":                           Row(get=every(200)),
    "forums:moderation":                       Row(get=(LOGIN, 403, 403, 403, 403, 403, 200, 403, 200), perm=("forums.moderate_forums",)),
    "forums:topic_noslug":                     Row(get=every((301, "{topic}")), kwargs={'topic_id': 'topic'}),
    "forums:reply":                            Row(get=signed_in(405), post=signed_in(400), kwargs={'topic_id': 'topic'}),
    "forums:vote":                             Row(get=signed_in(405), post=signed_in(to("{idea}#votes")), kwargs={'topic_id': 'idea'}),
    "forums:idea_status":                      Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 400, 403, 403, 400), kwargs={'topic_id': 'idea'}, perm=("forums.set_idea_status",)),
    "forums:idea_merge":                       Row(get=(LOGIN, 403, 403, 403, 403, 200, 403, 403, 200), post=(LOGIN, 403, 403, 403, 403, 400, 403, 403, 400), kwargs={'topic_id': 'idea'}, perm=("forums.set_idea_status",)),
    "forums:topic_move":                       Row(get=(LOGIN, 403, 403, 403, 403, 403, 403, 403, 200), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, 400), kwargs={'topic_id': 'topic'}, perm=("forums.moderate_forums",)),
    "forums:topic_lock":                       Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, to("{topic}")), kwargs={'topic_id': 'topic'}, perm=("forums.moderate_forums",)),
    "forums:topic_pin":                        Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, to("{topic}")), kwargs={'topic_id': 'topic'}, perm=("forums.moderate_forums",)),
    "forums:topic_watch":                      Row(get=signed_in(405), post=signed_in(400), kwargs={'topic_id': 'topic'}),
    "forums:topic":                            Row(get=every(200), kwargs={'topic_id': 'topic', 'slug': 'topic'}),
    "forums:post":                             Row(get=every(to("{topic}?page=1#post-{post.pk}")), kwargs={'post_id': 'post'}),
    "forums:post_edit":                        Row(get=(LOGIN, 200, 403, 403, 403, 403, 403, 403, 200), post=(LOGIN, 400, 403, 403, 403, 403, 403, 403, 400), kwargs={'post_id': 'post'}, perm=("forums.moderate_forums",)),
    "forums:post_revisions":                   Row(get=(LOGIN, 200, 403, 403, 403, 403, 403, 403, 200), kwargs={'post_id': 'post'}, perm=("forums.moderate_forums",)),
    "forums:post_flag":                        Row(get=signed_in(200), post=signed_in(400), kwargs={'post_id': 'reply'}),
    "forums:post_accept":                      Row(get=signed_in(405), post=(LOGIN, to("{topic}?page=1#post-{reply.pk}"), 403, 403, 403, 403, 403, 403, to("{topic}?page=1#post-{reply.pk}")), kwargs={'post_id': 'reply'}, perm=("forums.moderate_forums",)),
    "forums:post_hide":                        Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, to("{topic}?page=1#post-{reply.pk}")), kwargs={'post_id': 'reply'}, perm=("forums.moderate_forums",)),
    "forums:post_restore":                     Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, to("{topic}?page=1#post-{reply.pk}")), kwargs={'post_id': 'reply'}, perm=("forums.moderate_forums",)),
    # The reply is shown, not held: moderators are told so (409); the hold itself is in
    # tests/forums/test_moderation_hold.py.
    "forums:post_approve":                     Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, 409), kwargs={'post_id': 'reply'}, perm=("forums.moderate_forums",)),
    "forums:post_approve_trust":               Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, 409), kwargs={'post_id': 'reply'}, perm=("forums.moderate_forums",)),
    "forums:post_reject":                      Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, 409), kwargs={'post_id': 'reply'}, perm=("forums.moderate_forums",), data={'reason': 'Off topic.'}),
    "forums:forum":                            Row(get=every(200), kwargs={'forum_slug': 'forum'}),
    "forums:topic_create":                     Row(get=signed_in(200), post=signed_in(400), kwargs={'forum_slug': 'forum'}),
    "forums:feed":                             Row(get=every(200), kwargs={'forum_slug': 'forum'}),
    "forums:forum_watch":                      Row(get=signed_in(405), post=signed_in(400), kwargs={'forum_slug': 'forum'}),
    "events:list":                             Row(get=every(200)),
    "events:detail":                           Row(get=every(200), kwargs={'slug': 'meeting'}),
    "events:calendar":                         Row(get=every(200), kwargs={'slug': 'meeting'}),
    "events:register":                         Row(get=every(405), post=signed_in(to("/events/outreach-emea/")), kwargs={'slug': 'meeting'}),
    "events:cancel":                           Row(get=every(405), post=signed_in(409), kwargs={'slug': 'meeting'}),
    "events:propose":                          Row(get=signed_in(200), post=signed_in(400), kwargs={'slug': 'meeting'}),
    "events:proposals":                        Row(get=(403, 403, 403, 403, 403, 200, 403, 403, 200), kwargs={'slug': 'meeting'}, perm=("events.review_sessions",)),
    "events:proposal_review":                  Row(get=(403, 403, 403, 403, 403, 200, 403, 403, 200), post=(403, 403, 403, 403, 403, 400, 403, 403, 400), kwargs={'slug': 'meeting', 'session_id': 'proposal'}, perm=("events.review_sessions",)),
    "events:session":                          Row(get=every(200), kwargs={'slug': 'meeting', 'session_id': 'session'}),
    "events:session_calendar":                 Row(get=every(200), kwargs={'slug': 'meeting', 'session_id': 'session'}),
    "events:session_slides":                   Row(get=every(405), post=(LOGIN, 400, 403, 403, 403, 403, 403, 403, 400), kwargs={'slug': 'meeting', 'session_id': 'session'}, perm=("events.manage_programme",)),
    "events:session_held":                     Row(get=every(405), post=(403, 403, 403, 403, 403, 403, 403, 403, 409), kwargs={'slug': 'meeting', 'session_id': 'session'}, perm=("events.manage_programme",)),
    "mail:settings":                           Row(get=signed_in(200), post=signed_in(to("/mail/settings/")), data={'list': 'forums', 'receive': 'forums'}),
    "mail:unsubscribe":                        Row(get=every(200), kwargs={'token': 'unsubscribe_token'}),
    # Turning mail on again for a bounced address: one's own verified address (none is
    # posted here), or staff holding the permission.
    "mail:bounce_enable":                      Row(get=signed_in(405), post=(LOGIN, 403, 403, 403, 403, 403, 403, 403, to("/mail/settings/")), perm=("mail.enable_bouncing_address",)),
    # The undo of a one-click unsubscribe: its signed token is the proof, whoever sends it.
    "mail:unsubscribe_undo":                   Row(get=every(405), post=every(400)),
    # Open data (api/): read as an anonymous visitor whoever asks; what the public pages show.
    "api:index":                               Row(get=every(200)),
    "api:api-root":                            Row(get=every(200)),
    "api:openapi-json":                        Row(get=every(200)),
    "api:openapi-view":                        Row(get=every(200)),
    "api:consortia":                           Row(get=every(200)),
    "api:consortium":                          Row(get=every(200), kwargs={'slug': 'consortium_a'}),
    "api:organizations":                       Row(get=every(200)),
    "api:organization":                        Row(get=every(200), kwargs={'organization_id': 'organization'}),
    "api:contributors":                        Row(get=every(200)),
    "api:contributor":                         Row(get=every(200), kwargs={'key': 'nominee'}),
    "api:groups":                              Row(get=every(200)),
    "api:group":                               Row(get=every(200), kwargs={'slug': 'group'}),
    "api:events":                              Row(get=every(200)),
    "api:event":                               Row(get=every(200), kwargs={'slug': 'meeting'}),
    "api:ideas":                               Row(get=every(200)),
    "api:idea":                                Row(get=every(200), kwargs={'idea_id': 'idea'}),
    "api:briefings":                           Row(get=every(200)),
    "api:briefing":                            Row(get=every(200), kwargs={'briefing_id': 'briefing'}),
    "feeds:calendar":                          Row(get=every(200)),
    "feeds:briefings":                         Row(get=every(200)),
    "feeds:group_briefings":                   Row(get=every(200), kwargs={'slug': 'group'}),
    "feeds:reports":                           Row(get=every(200), kwargs={'slug': 'consortium_a'}),
    "feeds:idea_status":                       Row(get=every(200)),
}
# fmt: on

# --- The admin's models -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Admin:
    """A ModelAdmin's pages for the two staff roles (``staff_without``, ``staff_with``);
    every other role is sent to the admin's sign-in (``ADMIN_LOGIN``). ``obj``: the world's
    object on the change, delete and history pages. The permissions default to Django's
    (view or change for the list, the change form and the history; add; delete);
    ``perms`` overrides them per page."""

    obj: str
    changelist: tuple = (403, 200)
    add: tuple = (403, 200)
    change: tuple = (403, 200)
    delete: tuple = (403, 200)
    delete_post: tuple | None = None
    history: tuple = (403, 200)
    perms: dict = field(default_factory=dict)


ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history")


def admin_rows(label: str, spec: Admin) -> dict[str, Row]:
    app_label, model_name = label.split(".")
    view = (f"{app_label}.view_{model_name}", f"{app_label}.change_{model_name}")
    default = {
        "changelist": view,
        "change": view,
        "history": view,
        "redirect": view,
        "add": (f"{app_label}.add_{model_name}",),
        "delete": (f"{app_label}.delete_{model_name}",),
    }
    perms = {**default, **spec.perms}
    others = (ADMIN_LOGIN,) * (len(ROLES) - 2)
    rows = {}
    for view_name in ADMIN_VIEWS:
        cells = getattr(spec, view_name)
        kwargs = {} if view_name in ("changelist", "add") else {"object_id": spec.obj}
        post = None
        if view_name == "delete":
            post = (ADMIN_LOGIN,) * (len(ROLES) - 2) + (spec.delete_post or cells)
        rows[f"admin:{app_label}_{model_name}_{view_name}"] = Row(
            get=None if cells is None else others + cells,
            post=post,
            kwargs=kwargs,
            perm=perms[view_name],
            data={"post": "yes"} if view_name == "delete" else {},
        )
    rows[f"admin/{app_label}/{model_name}/<path:object_id>/"] = Row(
        get=others + (to("{self}change/"),) * 2,
        kwargs={"object_id": spec.obj},
        perm=perms["redirect"],
    )
    return rows


NO = (403, 403)  # refused to every staff member: the pages (and services) do it
GONE = (403, to("/admin/"))  # deleted; back to the admin's index (no view permission)

ADMIN = {
    "account.emailaddress": Admin("email_address", delete_post=GONE),
    "accounts.user": Admin(
        "someone",
        delete_post=NO,  # a person's rows go with them, and nobody may delete those
        perms={"add": ("accounts.add_user", "accounts.change_user")},
    ),
    "auth.group": Admin("auth_group", delete_post=GONE),
    "consortia.checklistentry": Admin("checklist_entry", add=NO, delete=NO),
    "consortia.checklistitem": Admin("checklist_item", delete_post=NO),  # has entries
    # Staff who verify see consortia, organizations and contact requests: their queue.
    "consortia.consortium": Admin(
        "consortium_a",
        changelist=(200, 200),
        change=(200, 200),
        history=(200, 200),
        add=NO,
        delete=NO,
    ),
    "consortia.contactinvitation": Admin("invitation", add=NO, delete=NO),
    "consortia.contactrequest": Admin(
        "contact_request",
        changelist=(200, 200),
        change=(200, 200),
        history=(200, 200),
        add=NO,
        delete=NO,
    ),
    # Deleted through the manage page's service: the permission and managing the consortium.
    "consortia.document": Admin(
        "document",
        add=NO,
        delete_post=GONE,
        perms={"delete": ("consortia.delete_document", "consortia.manage_any_consortium")},
    ),
    "consortia.membership": Admin("member_a", add=NO, delete=NO),
    "consortia.organization": Admin(
        "organization",
        changelist=(200, 200),
        change=(200, 200),
        history=(200, 200),
        delete_post=(403, 200),  # the page saying the lead organization is protected
    ),
    "consortia.organizationcontact": Admin("organization_contact", delete_post=GONE),
    "consortia.progressreport": Admin("report", add=NO, delete=NO),
    "contributors.agreement": Admin("agreement", delete_post=GONE),
    "contributors.briefing": Admin("briefing", add=NO, delete_post=GONE),
    "contributors.briefingsubscription": Admin("briefing_subscription", add=NO, delete=NO),
    "contributors.contribution": Admin(
        "contribution", delete=NO, perms={"add": ("contributors.verify_contribution",)}
    ),
    # Groups and their terms: contributors.manage_groups, through the services.
    "contributors.group": Admin(
        "group",
        delete_post=NO,  # its terms go with it, through the service only
        perms={
            "changelist": ("contributors.manage_groups", "contributors.view_group"),
            "change": ("contributors.manage_groups", "contributors.view_group"),
            "history": ("contributors.manage_groups", "contributors.view_group"),
            "redirect": ("contributors.manage_groups", "contributors.view_group"),
            "add": ("contributors.manage_groups",),
        },
    ),
    "contributors.levelchange": Admin(
        "level_change", delete=NO, perms={"add": ("contributors.record_staff_level",)}
    ),
    "contributors.membership": Admin(
        "group_membership",
        delete_post=(403, to("/admin/contributors/membership/")),
        perms={
            "changelist": ("contributors.manage_groups", "contributors.view_membership"),
            "change": ("contributors.manage_groups", "contributors.view_membership"),
            "history": ("contributors.manage_groups", "contributors.view_membership"),
            "redirect": ("contributors.manage_groups", "contributors.view_membership"),
            "add": ("contributors.manage_groups",),
            "delete": ("contributors.manage_groups",),
        },
    ),
    "contributors.nomination": Admin(
        "nomination", delete=NO, perms={"add": ("contributors.nominate",)}
    ),
    "contributors.profile": Admin("profile", add=NO, delete=NO),
    "contributors.signature": Admin("signature", add=NO, delete=NO),
    # The programme: events.manage_programme.
    "events.meeting": Admin(
        "meeting",
        delete=NO,
        perms={
            "changelist": ("events.manage_programme", "events.view_meeting"),
            "change": ("events.manage_programme", "events.view_meeting"),
            "history": ("events.manage_programme", "events.view_meeting"),
            "redirect": ("events.manage_programme", "events.view_meeting"),
            "add": ("events.manage_programme",),
        },
    ),
    "events.registration": Admin("registration", add=NO, delete=NO),
    "events.session": Admin(
        "session",
        add=NO,
        delete=NO,
        perms={
            "changelist": ("events.manage_programme", "events.view_session"),
            "change": ("events.manage_programme", "events.view_session"),
            "history": ("events.manage_programme", "events.view_session"),
            "redirect": ("events.manage_programme", "events.view_session"),
        },
    ),
    "forums.flag": Admin("flag", add=NO, delete=NO),
    "forums.forum": Admin("forum", delete=NO),
    "forums.ideastatuschange": Admin("idea_status_change", add=NO, delete=NO),
    "forums.moderationaction": Admin("moderation_action", add=NO, delete=NO),
    "forums.post": Admin("reply", add=NO, delete=NO),
    "forums.subscription": Admin("subscription", add=NO, delete=NO),
    "forums.topic": Admin("topic", add=NO, delete=NO),
    # Who the moderators trusted: seen (and untrusted) by the moderators only.
    "forums.trustedposter": Admin(
        "trusted_poster",
        add=NO,
        delete=NO,
        perms={
            "changelist": ("forums.moderate_forums",),
            "change": ("forums.moderate_forums",),
            "history": ("forums.moderate_forums",),
            "redirect": ("forums.moderate_forums",),
        },
    ),
    "inbound.inboundmessage": Admin("inbound_message", add=NO, delete=NO),
    "mail.bouncescore": Admin("bounce_score", add=NO, delete=NO),
    "mail.delivery": Admin("delivery", add=NO, delete=NO),
    "mail.digestrun": Admin("digest_run", add=NO, delete=NO),
    "mail.unsubscription": Admin("unsubscription", add=NO, delete=NO),
    "mfa.authenticator": Admin("authenticator", delete_post=GONE),
    "socialaccount.socialaccount": Admin("social_account", delete_post=GONE),
    "socialaccount.socialapp": Admin("social_app", delete_post=GONE),
    "socialaccount.socialtoken": Admin("social_token", delete_post=GONE),
}

for _label, _spec in ADMIN.items():
    MATRIX.update(admin_rows(_label, _spec))


MATRIX.update(
    {
        # The admin's own pages: staff only (ADMIN_LOGIN for everyone else).
        "admin:index": Row(get=(*(ADMIN_LOGIN,) * 7, 200, 200)),
        "admin:login": Row(
            get=(to("/accounts/login/?next=/admin/"), *(403,) * 6, to("/admin/"), to("/admin/"))
        ),
        "admin:logout": Row(
            get=(*(to("/admin/"),) * 7, 405, 405), post=(*(to("/admin/"),) * 7, 200, 200)
        ),
        "admin:password_change": Row(get=(*(ADMIN_LOGIN,) * 7, 200, 200)),
        "admin:password_change_done": Row(get=(*(ADMIN_LOGIN,) * 7, 200, 200)),
        "admin:autocomplete": Row(get=(*(ADMIN_LOGIN,) * 7, 403, 403)),
        "admin:jsi18n": Row(get=(*(ADMIN_LOGIN,) * 7, 200, 200)),
        "admin:app_list": Row(get=(*(ADMIN_LOGIN,) * 7, 404, 200), raw={"app_label": "consortia"}),
        # "View on site": only for what the person may see in the admin (core.admin): the
        # title of a topic in a private forum is no business of staff who do not read them.
        "admin:view_on_site": Row(
            get=(*(ADMIN_LOGIN,) * 7, 404, to("http://testserver{private_topic}")),
            kwargs={"content_type_id": "private_topic", "object_id": "private_topic"},
            perm=("forums.read_private_forums",),
            also=("forums.view_topic",),
        ),
        "admin_view_on_site": Row(
            get=(*(ADMIN_LOGIN,) * 7, 404, to("http://testserver{someone}")),
            kwargs={"content_type_id": "someone", "object_id": "someone"},
            perm=("accounts.view_user", "accounts.change_user"),
        ),
        "admin:auth_user_password_change": Row(
            get=(*(ADMIN_LOGIN,) * 7, 403, 200),
            kwargs={"id": "someone"},
            perm=("accounts.change_user",),
        ),
        "admin/(?P<url>.*)$": Row(get=(*(ADMIN_LOGIN,) * 7, 404, 404), raw={"url": "nowhere/"}),
        # Only in some settings (never under the tests): local files under DEBUG, and the
        # benchmark's yardstick with BENCH_BARE_VIEW.
        "^media/(?P<path>.*)$": Row(get=every(404), raw={"path": "nothing.txt"}, optional=True),
        "bench_bare": Row(get=every(200), optional=True),
        # The admin has no sign-in form: the portal's (accounts.views.admin_login).
        "admin_login": Row(
            get=(to("/accounts/login/?next=/admin/"), *(403,) * 6, to("/admin/"), to("/admin/")),
            post=(to("/accounts/login/?next=/admin/"), *(403,) * 6, to("/admin/"), to("/admin/")),
        ),
    }
)


# --- Admin actions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """An admin action of a ModelAdmin: offered (and run) for ``staff_with``, who holds
    ``perm`` and the model's view permission; neither offered nor run for
    ``staff_without``, who holds every other staff permission. Every other role is sent
    to the admin's sign-in by the list itself. ``runs=False``: offered to nobody, not
    even with ``perm`` (the model changes through its services only)."""

    obj: str
    perm: tuple[str, ...]
    runs: bool = True
    changes: str = ""  # an action that says nothing: the field of ``obj`` it changes


ACTIONS = {
    ("account.emailaddress", "make_verified"): Action(
        "unverified_email", ("account.change_emailaddress",), changes="verified"
    ),
    ("account.emailaddress", "delete_selected"): Action(
        "email_address", ("account.delete_emailaddress",)
    ),
    ("accounts.user", "delete_selected"): Action("someone", ("accounts.delete_user",)),
    ("accounts.user", "delete_account_on_request"): Action(
        "someone", ("accounts.delete_user",), changes="erased_at"
    ),
    ("auth.group", "delete_selected"): Action("auth_group", ("auth.delete_group",)),
    ("consortia.checklistitem", "delete_selected"): Action(
        "checklist_item", ("consortia.delete_checklistitem",)
    ),
    ("consortia.consortium", "verify"): Action("consortium_a", ("consortia.verify_organization",)),
    ("consortia.consortium", "reject"): Action("consortium_a", ("consortia.verify_organization",)),
    ("consortia.consortium", "finalize_agreement"): Action(
        "consortium_a", ("consortia.finalize_consortium",)
    ),
    ("consortia.consortium", "mark_inactive"): Action(
        "consortium_a", ("consortia.deactivate_consortium",)
    ),
    ("consortia.contactrequest", "accept"): Action(
        "contact_request", ("consortia.verify_organization",)
    ),
    ("consortia.contactrequest", "decline"): Action(
        "contact_request", ("consortia.verify_organization",)
    ),
    ("consortia.document", "delete_selected"): Action(
        "document", ("consortia.delete_document", "consortia.manage_any_consortium")
    ),
    ("consortia.membership", "accept_requests"): Action(
        "request_a", ("consortia.manage_any_consortium",)
    ),
    ("consortia.membership", "decline_requests"): Action(
        "request_a", ("consortia.manage_any_consortium",)
    ),
    ("consortia.membership", "remove_members"): Action(
        "member_a", ("consortia.manage_any_consortium",)
    ),
    ("consortia.organization", "verify"): Action(
        "organization", ("consortia.verify_organization",)
    ),
    ("consortia.organization", "reject"): Action(
        "organization", ("consortia.verify_organization",)
    ),
    ("consortia.organization", "delete_selected"): Action(
        "organization", ("consortia.delete_organization",)
    ),
    ("consortia.organizationcontact", "delete_selected"): Action(
        "organization_contact", ("consortia.delete_organizationcontact",)
    ),
    ("contributors.agreement", "delete_selected"): Action(
        "agreement", ("contributors.delete_agreement",)
    ),
    ("contributors.briefing", "delete_selected"): Action(
        "briefing", ("contributors.delete_briefing",)
    ),
    ("contributors.contribution", "verify"): Action(
        "contribution", ("contributors.verify_contribution",)
    ),
    ("contributors.group", "delete_selected"): Action("group", ("contributors.delete_group",)),
    ("contributors.membership", "delete_selected"): Action(
        "group_membership", ("contributors.manage_groups",)
    ),
    ("contributors.profile", "nominate_for_ost"): Action("profile", ("contributors.nominate",)),
    ("forums.post", "hide"): Action("reply", ("forums.moderate_forums",)),
    ("forums.post", "restore"): Action("reply", ("forums.moderate_forums",)),
    ("forums.topic", "lock"): Action("topic", ("forums.moderate_forums",)),
    ("forums.topic", "unlock"): Action("topic", ("forums.moderate_forums",)),
    ("forums.topic", "pin"): Action("topic", ("forums.moderate_forums",)),
    ("forums.topic", "unpin"): Action("topic", ("forums.moderate_forums",)),
    ("forums.trustedposter", "untrust"): Action("trusted_poster", ("forums.moderate_forums",)),
    ("mail.bouncescore", "enable"): Action("bounce_score", ("mail.enable_bouncing_address",)),
    ("mail.delivery", "resend"): Action("delivery", ("mail.resend_delivery",)),
    ("mfa.authenticator", "delete_selected"): Action(
        "authenticator", ("mfa.delete_authenticator",)
    ),
    ("socialaccount.socialaccount", "delete_selected"): Action(
        "social_account", ("socialaccount.delete_socialaccount",)
    ),
    ("socialaccount.socialapp", "delete_selected"): Action(
        "social_app", ("socialaccount.delete_socialapp",)
    ),
    ("socialaccount.socialtoken", "delete_selected"): Action(
        "social_token", ("socialaccount.delete_socialtoken",)
    ),
}
# Read-only in the admin (history, mail, rows with rules): Django's "Delete selected" is
# offered to nobody, whatever their permissions.
ACTIONS.update(
    {
        (label, "delete_selected"): Action(obj, (f"{label.replace('.', '.delete_')}",), runs=False)
        for label, obj in {
            "consortia.checklistentry": "checklist_entry",
            "consortia.consortium": "consortium_a",
            "consortia.contactinvitation": "invitation",
            "consortia.contactrequest": "contact_request",
            "consortia.membership": "member_a",
            "consortia.progressreport": "report",
            "contributors.briefingsubscription": "briefing_subscription",
            "contributors.contribution": "contribution",
            "contributors.levelchange": "level_change",
            "contributors.nomination": "nomination",
            "contributors.profile": "profile",
            "contributors.signature": "signature",
            "events.meeting": "meeting",
            "events.registration": "registration",
            "events.session": "session",
            "forums.flag": "flag",
            "forums.forum": "forum",
            "forums.ideastatuschange": "idea_status_change",
            "forums.moderationaction": "moderation_action",
            "forums.post": "reply",
            "forums.subscription": "subscription",
            "forums.topic": "topic",
            "forums.trustedposter": "trusted_poster",
            "inbound.inboundmessage": "inbound_message",
            "mail.bouncescore": "bounce_score",
            "mail.delivery": "delivery",
            "mail.digestrun": "digest_run",
            "mail.unsubscription": "unsubscription",
        }.items()
    }
)


# --- The world ------------------------------------------------------------------------------


def _staff_group_permissions() -> frozenset[str]:
    migration = importlib.import_module("accounts.migrations.0003_staff_groups")
    return frozenset(perm for perms in migration.GROUPS.values() for perm in perms)


@functools.cache
def _all_permissions() -> dict[str, int]:
    return {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }


def _permissions(names) -> list[int]:
    known = _all_permissions()
    unknown = sorted(set(names) - set(known))
    assert not unknown, f"no such permission: {unknown}"
    return [known[name] for name in names]


def build_world() -> SimpleNamespace:
    """The people and objects of every row, made once for the module."""
    w = SimpleNamespace()
    # People. ``someone`` owns what belongs to none of the roles.
    w.user = person(name="Uma User", orcid=True)
    w.other_member = person(name="Otto Member")
    w.other_lead = person(name="Olga Lead")
    w.lead = person(name="Lea Lead")
    w.steering = person(name="Stan Steering")
    w.chair = person(name="Chloe Chair")
    w.someone = person(name="Sam Someone", orcid=True)
    w.nominator = with_two_factor(UserFactory(is_staff=True, name="Nina Nominator"))
    w.nominator.user_permissions.add(*_permissions(["contributors.nominate"]))

    # Consortium A (the lead's) and B (the other lead's; the other member's organization).
    w.consortium_a = ConsortiumFactory(name="Consortium A", slug="consortium-a")
    w.contact_a = ConsortiumContactFactory(
        consortium=w.consortium_a, user=w.lead, role=ConsortiumContact.Role.MAIN
    )
    OrganizationContactFactory(organization=w.consortium_a.lead_organization, user=w.lead)
    w.colleague_contact_a = ConsortiumContactFactory(consortium=w.consortium_a, user=w.someone)
    w.consortium_b = ConsortiumFactory(name="Consortium B", slug="consortium-b")
    ConsortiumContactFactory(
        consortium=w.consortium_b, user=w.other_lead, role=ConsortiumContact.Role.MAIN
    )
    w.membership_b = MembershipFactory(consortium=w.consortium_b)
    OrganizationContactFactory(organization=w.membership_b.organization, user=w.other_member)
    w.member_a = MembershipFactory(consortium=w.consortium_a)
    w.request_a = MembershipFactory(
        consortium=w.consortium_a, state=Membership.State.REQUESTED, requested_by=w.someone
    )
    w.organization = w.consortium_a.lead_organization
    w.contact_request = ContactRequest.objects.create(
        organization=w.organization, user=w.someone, role=OrganizationContact.Role.OTHER
    )
    w.invitation = consortia_services.contact_invitation_send(
        consortium=w.consortium_a, by=w.lead, email="new.contact@example.org", role="support"
    )
    w.invitation_token = w.invitation.token
    w.checklist_item = ChecklistItem.objects.order_by("pk").first()
    w.checklist_entry = ChecklistEntry.objects.create(
        consortium=w.consortium_a, item=w.checklist_item, done=False
    )
    w.document = consortia_services.document_upload(
        consortium=w.consortium_a,
        by=w.lead,
        title="Members' budget",
        upload=SimpleUploadedFile("budget.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
        visibility="members",
    )
    w.report = ProgressReportFactory(consortium=w.consortium_a, published_by=w.lead)

    # Groups: the steering group and the working group W chaired by the chair.
    w.steering_group = steering_group()
    GroupMembershipFactory(group=w.steering_group, user=w.steering)
    w.group = GroupFactory(name="Working group W", slug="working-group-w")
    w.group_membership = GroupMembershipFactory(
        group=w.group, user=w.chair, role=GroupMembership.Role.CHAIR
    )
    w.briefing = BriefingFactory(group=w.group, author=w.chair)
    w.draft = BriefingFactory(group=w.group, author=w.chair, published_at=None)
    BriefingSubscriptionFactory(group=w.group, user=w.someone)

    # The user's copy of their data, ready to download.
    w.export = DataExport.objects.create(
        user=w.user, state="ready", archive=b"PK", expires_at=timezone.now() + timedelta(days=1)
    )

    # Contributors: the user's own profile and contribution, a nomination to review.
    w.contribution = ContributionFactory(user=w.user)
    w.nominee = contributor(name="Nico Nominee")
    w.nomination = contributors_services.nomination_open(
        nominee=w.nominee, rationale="Years of help.", by=w.nominator
    )
    contributors_services.vote_cast(nomination=w.nomination, by=w.steering, choice="approve")
    w.agreement = AgreementFactory(version="2026.1")

    # Forums: a general forum (the user's topic, someone's reply), iDeas, W's private forum.
    w.forum = forums_services.forum_create(slug="general", name="General")
    w.topic = forums_services.topic_create(
        forum=w.forum, by=w.user, title="A question about tokens", body="Why 401?"
    )
    w.post = w.topic.posts.get()
    w.reply = forums_services.post_create(topic=w.topic, by=w.someone, body="Refresh it.")
    w.ideas = IdeasForumFactory()
    w.idea = forums_services.topic_create(
        forum=w.ideas, by=w.someone, title="Dark mode", body="Please."
    )
    w.private_forum = forums_services.forum_create(
        slug="working-group-w",
        name="W (private)",
        kind=Forum.Kind.GROUP,
        group=w.group,
        is_private=True,
    )
    w.private_topic = forums_services.topic_create(
        forum=w.private_forum, by=w.chair, title="Our plans", body="Secret."
    )
    Flag.objects.create(post=w.reply, user=w.someone, reason=Flag.Reason.SPAM)
    Subscription.objects.create(user=w.someone, forum=w.forum, mode="each")

    # Events: a meeting whose call is open, the user's accepted session, someone's proposal.
    w.meeting = MeetingFactory(slug="outreach-emea", title="Outreach EMEA")
    w.session = SessionFactory(meeting=w.meeting, speakers=[w.user])
    w.proposal = SessionFactory(meeting=w.meeting, proposal=True, speakers=[w.someone])
    Registration.objects.create(meeting=w.meeting, user=w.someone)

    # Mail, accounts and the rest of what the admin lists.
    w.unsubscribe_token = mail_services.unsubscribe_token(
        user_id=w.user.pk, list_id="forums-watched"
    )
    w.delivery = Delivery.objects.order_by("pk").first()
    w.bounce_score = BounceScore.objects.create(
        email=w.user.email.lower(),
        score=5,
        last_bounce_at=timezone.now(),
        disabled_at=timezone.now(),
    )
    w.inbound_message = InboundMessage.objects.create(
        message_id="<matrix@example.org>",
        recipient="api-users@community.orcid.example",
        raw=b"Subject: <b>hi</b>\r\n\r\nhello",
        outcome="refused",
        reason="unknown_sender",
    )
    w.digest_run = DigestRun.objects.create(
        kind="daily",
        period="2026-12-01",
        since=timezone.now() - timedelta(days=1),
        until=timezone.now(),
    )
    Unsubscription.objects.create(user=w.someone, list_id="forums-watched")
    assert w.delivery is not None
    w.social_app = SocialApp.objects.create(
        provider="orcid", name="ORCID", client_id="APP-1", secret="secret"
    )
    w.social_account = SocialAccount.objects.filter(user=w.someone).get()
    w.social_token = SocialToken.objects.create(
        app=w.social_app, account=SocialAccount.objects.get(user=w.user), token="token"
    )
    w.auth_group = AuthGroup.objects.get(name="Consortia staff")
    w.email_address = w.someone.emailaddress_set.get()
    w.unverified_email = EmailAddress.objects.create(
        user=w.someone, email="sam@elsewhere.example", verified=False
    )
    w.authenticator = w.nominator.authenticator_set.get()
    w.organization_contact = OrganizationContact.objects.get(
        organization=w.organization, user=w.lead
    )
    w.briefing_subscription = BriefingSubscription.objects.get(group=w.group, user=w.someone)
    w.profile = Profile.objects.get(user=w.nominee)
    w.level_change = LevelChange.objects.filter(user=w.nominee).first()
    w.signed_agreement = AgreementFactory(version="2025.1")
    w.signature = Signature.objects.create(
        nomination=w.nomination,
        signer=w.nominee,
        agreement=w.signed_agreement,
        full_name=w.nominee.name,
        orcid_id=w.nominee.orcid_id,
    )
    w.registration = Registration.objects.get(meeting=w.meeting, user=w.someone)
    w.flag = Flag.objects.get(post=w.reply)
    w.subscription = Subscription.objects.get(user=w.someone, forum=w.forum)
    w.idea_status_change = IdeaStatusChange.objects.create(
        idea=w.idea, old_status="new", new_status="planned", note="Soon.", changed_by=w.nominator
    )
    w.moderation_action = ModerationAction.objects.create(
        actor=w.nominator, action="lock", topic=w.topic
    )
    w.trusted_poster = TrustedPoster.objects.create(user=w.someone, trusted_by=w.nominator)
    w.unsubscription = Unsubscription.objects.get(user=w.someone)
    return w


class Staff:
    """Staff made on demand, one per set of permissions (two-factor set up)."""

    def __init__(self):
        self.all = _staff_group_permissions()
        self._made: dict[frozenset[str], object] = {}

    def holding(self, perms) -> object:
        key = frozenset(perms)
        if key not in self._made:
            staff = UserFactory(is_staff=True, name="Stella Staff", verified_email=False)
            Authenticator.objects.create(
                user=staff, type=Authenticator.Type.TOTP, data={"secret": TOTP_SECRET}
            )
            if key:
                staff.user_permissions.add(*_permissions(key))
            self._made[key] = staff
        return self._made[key]

    def of(self, role: str, row: Row):
        if role == "staff_with":
            return self.holding({*row.perm, *row.also} if row.perm else self.all)
        return self.holding(self.all - set(row.perm) if row.perm else ())


@pytest.fixture(autouse=True, scope="module")
def _isolated_cache_and_eager_tasks():
    """The caches of tests/conftest.py's fixture of this name, emptied once for the module
    instead of before each test: the sessions and the signed-in people stay cached from
    one row to the next (a query less for each, on a few thousand requests). What a POST
    changes is rolled back; its cache generations were bumped, so no cached page shows it."""
    locmem = "django.core.cache.backends.locmem.LocMemCache"
    default = {"BACKEND": locmem, "LOCATION": "permission-matrix"}
    with override_settings(
        CACHES={
            "default": default,
            "pages": default,
            "local": {"BACKEND": locmem, "LOCATION": "permission-matrix-local"},
        }
    ):
        for name in ("default", "pages", "local"):
            caches[name].clear()
        yield
        for name in ("default", "pages", "local"):
            caches[name].clear()


@pytest.fixture(scope="module")
def world(_isolated_cache_and_eager_tasks, django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, made once in a transaction of the module (rolled back after its last
    test); each test runs in a savepoint inside it, each POST in one inside that."""
    eager = celery_app.conf.task_always_eager
    configure_celery(task_always_eager=True)
    try:
        documents = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("documents"))},
        }
        with (
            override_settings(STORAGES={**settings.STORAGES, "documents": documents}),
            django_db_blocker.unblock(),
            transaction.atomic(),
        ):
            w = build_world()
            w.staff = Staff()
            # Staff of both groups who have not set up two-factor authentication yet.
            w.staff_without_two_factor = UserFactory(is_staff=True, name="Nico New Staff")
            w.staff_without_two_factor.user_permissions.add(*_permissions(w.staff.all))
            w.sessions = {}
            sign_in_everyone(
                w,
                [*MATRIX.values(), *(_action_row(*key, action) for key, action in ACTIONS.items())],
            )
            yield w
            transaction.set_rollback(True)
    finally:
        configure_celery(task_always_eager=eager)


# --- Walking the URLconf and asking each role ------------------------------------------------


def url_patterns(resolver=None, prefix="", namespace=None):
    """(key, route) of every pattern: its ``namespace:name``, or its route when unnamed."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name or route, route


ATTRIBUTE_OF = {"slug": "slug", "forum_slug": "slug", "public_id": "public_id", "key": "public_id"}


def _value(world, argument: str, name: str):
    obj = getattr(world, name)
    if isinstance(obj, str):
        return obj
    if argument == "orcid_id":
        return obj.orcid_id
    if argument == "content_type_id":
        return ContentType.objects.get_for_model(obj).pk
    return getattr(obj, ATTRIBUTE_OF.get(argument, "pk"))


def path_of(world, key: str, route: str, row: Row) -> str:
    kwargs = {arg: _value(world, arg, name) for arg, name in row.kwargs.items()}
    kwargs.update(row.raw)
    if key != route:
        path = reverse(key, kwargs=kwargs)
    else:  # an unnamed pattern: its route, filled in
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), route)
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), path)
        path = "/" + path.replace("^", "").replace("$", "")
    return path + (f"?{row.query}" if row.query else "")


def person_of(world, role: str, row: Row):
    if role == "anonymous":
        return None
    return world.staff.of(role, row) if role.startswith("staff") else getattr(world, role)


def client_for(world, role: str, row: Row) -> Client:
    client = Client(raise_request_exception=False)
    user = person_of(world, role, row)
    if user is None:
        return client
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[user.pk]
    return client


def sign_in_everyone(world, rows) -> None:
    """A session for each role's person and each staff member the rows need, made with
    the world (a test's savepoint would take them away with it)."""
    people = [getattr(world, role) for role in ROLES[1:-2]]
    people.append(world.staff_without_two_factor)
    people += [world.staff.of(role, row) for row in rows for role in ROLES[-2:]]
    engine = importlib.import_module(settings.SESSION_ENGINE)
    for user in people:
        if user.pk not in world.sessions:
            # What Client.force_login stores, without the signals of a sign-in.
            session = engine.SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.save()
            world.sessions[user.pk] = session.session_key


def answer(response, path: str):
    """The cell a response fills: its status, or where it redirects."""
    if response.status_code in (301, 302):
        location = response["Location"]
        target, _, query = location.partition("?")
        back_here = parse_qs(query).get("next") == [path]
        if back_here and target == reverse(settings.LOGIN_URL):
            return LOGIN
        if back_here and target == reverse("admin:login"):
            return ADMIN_LOGIN
        if back_here and target == reverse("account_reauthenticate"):
            return REAUTHENTICATE
        return to(location) if response.status_code == 302 else (301, location)
    return response.status_code


class _Shown:
    """An object of the world in a ``to(...)`` template: ``{topic}`` is its address,
    ``{topic.pk}`` an attribute."""

    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, name):
        return getattr(self._obj, name)

    def __format__(self, spec):
        url = getattr(self._obj, "get_absolute_url", None)
        return url() if url else str(self._obj)


def expected_cell(world, role: str, row: Row, path: str, cell):
    """A cell with its ``to(...)`` template filled in (``{self}``: the row's address,
    ``{me}``: the role's person)."""
    permanent = isinstance(cell, tuple) and len(cell) == 2 and isinstance(cell[1], str)
    if not isinstance(cell, to) and not permanent:
        return cell
    names = {name: _Shown(obj) for name, obj in vars(world).items()}
    names["self"] = path
    names["me"] = _Shown(person_of(world, role, row))
    if permanent:  # (301, "{topic}"): a permanent redirect to an object's address
        return (cell[0], cell[1].format_map(names))
    return to(cell.path.format_map(names))


def matches(expected, got) -> bool:
    if isinstance(expected, to) and expected.path.endswith("…") and isinstance(got, to):
        return got.path.startswith(expected.path[:-1])
    return expected == got


def ask(world, role: str, method: str, path: str, row: Row):
    client = client_for(world, role, row)
    if method == "get":
        response = client.get(path)
    else:
        # Whatever a POST changes is gone before the next role asks.
        with transaction.atomic():
            response = client.post(path, row.data)
            transaction.set_rollback(True)
    return answer(response, path)


# --- The tests -------------------------------------------------------------------------------

ROUTES = dict(url_patterns())


def test_every_url_pattern_has_a_row():
    missing = sorted(key for key in ROUTES if key not in MATRIX)
    assert not missing, (
        "URL patterns without a row in the permission matrix (write down who gets what "
        f"there, in MATRIX or ADMIN): {missing}"
    )


def test_every_row_names_a_url_pattern():
    gone = sorted(key for key, row in MATRIX.items() if key not in ROUTES and not row.optional)
    assert not gone, f"rows of the permission matrix for URL patterns that are gone: {gone}"


@pytest.mark.parametrize("key", [key for key in MATRIX if key in ROUTES])
def test_each_role_gets_what_the_row_says(world, key):
    row = MATRIX[key]
    path = path_of(world, key, ROUTES[key], row)
    wrong = []
    for method, cells in (("get", row.get), ("post", row.post)):
        for role, cell in zip(ROLES, cells or (), strict=False):
            expected = expected_cell(world, role, row, path, cell)
            got = ask(world, role, method, path, row)
            if not matches(expected, got):
                wrong.append(f"{method.upper()} as {role}: {got!r}, the row says {expected!r}")
    assert not wrong, f"{key} ({path}):\n" + "\n".join(wrong)


def _action_row(label: str, _name: str, action: Action) -> Row:
    app_label, model_name = label.split(".")
    return Row(get=None, perm=action.perm, also=(f"{app_label}.view_{model_name}",))


def admin_actions() -> set[tuple[str, str]]:
    """Every action of every ModelAdmin, whoever may run it."""
    return {
        (model._meta.label_lower, name)
        for model, model_admin in admin.site._registry.items()
        for _func, name, _description in model_admin._get_base_actions()
    }


def test_every_admin_action_has_a_row():
    missing = sorted(admin_actions() - set(ACTIONS))
    assert not missing, f"admin actions without a row in ACTIONS: {missing}"
    gone = sorted(set(ACTIONS) - admin_actions())
    assert not gone, f"rows of ACTIONS for admin actions that are gone: {gone}"


@pytest.mark.parametrize(("label", "name"), list(ACTIONS))
def test_admin_actions_run_for_staff_with_their_permission_only(world, label, name):
    action = ACTIONS[(label, name)]
    row = _action_row(label, name, action)
    app_label, model_name = label.split(".")
    path = reverse(f"admin:{app_label}_{model_name}_changelist")
    obj = getattr(world, action.obj)
    seen = {}
    for role in ("staff_without", "staff_with"):
        client = client_for(world, role, row)
        with transaction.atomic():
            page = client.get(path)
            form = page.context["action_form"] if page.status_code == 200 else None
            choices = form.fields["action"].choices if form else []
            post = {"action": name, "_selected_action": [obj.pk], "index": 0}
            before = getattr(obj, action.changes, None)
            done = client.post(path, post, follow=True)
            # An action may end its row (untrusting someone): that is a change too.
            gone = not type(obj).objects.filter(pk=obj.pk).exists()
            if not gone:
                obj.refresh_from_db()
            changed = gone or getattr(obj, action.changes, None) != before
            transaction.set_rollback(True)
        obj.refresh_from_db()
        # An action that ran says so (its message), asks to confirm (delete) or leads on
        # (nominate); one refused leaves the list as it was, at most with Django's "No
        # action selected."
        shown = done.status_code == 200 and (
            done.templates[0].name != "admin/change_list.html"
            or any(str(m) != "No action selected." for m in done.context["messages"])
        )
        ran = changed or shown
        seen[role] = {
            "offered": name in [choice for choice, _label in choices],
            "runs": ran,
        }
    assert seen == {
        "staff_without": {"offered": False, "runs": False},
        "staff_with": {"offered": action.runs, "runs": action.runs},
    }, seen


# --- Objects of someone else -----------------------------------------------------------------
#
# The rows above fill each URL with one set of objects. Here the objects of a URL do not
# belong together, or belong to someone else than the role asking: the answer is a 403 or
# a 404, never the other object's page or action.


@dataclass(frozen=True)
class Crossed:
    key: str
    kwargs: dict
    role: str
    method: str
    expected: object


CROSSED = [
    # Consortium B's manage page and its actions, for the lead of A.
    Crossed("consortia:manage", {"slug": "consortium_b"}, "lead", "get", 403),
    Crossed("consortia:members_csv", {"slug": "consortium_b"}, "lead", "get", 403),
    Crossed(
        "consortia:member_remove",
        {"slug": "consortium_b", "pk": "membership_b"},
        "lead",
        "post",
        403,
    ),
    # A's address with B's object: A's lead may not reach B's member through A.
    Crossed(
        "consortia:member_remove",
        {"slug": "consortium_a", "pk": "membership_b"},
        "lead",
        "post",
        404,
    ),
    Crossed(
        "consortia:request_accept", {"slug": "consortium_b", "pk": "request_a"}, "lead", "post", 403
    ),
    Crossed(
        "consortia:document_delete",
        {"slug": "consortium_b", "pk": "document"},
        "other_lead",
        "post",
        404,
    ),
    # B's manage sections, for the lead of A; A's confirmation pages with B's objects.
    *(
        Crossed(f"consortia:manage_{section}", {"slug": "consortium_b"}, "lead", method, 403)
        for section in ("requests", "members", "contacts", "checklist", "documents", "reports")
        for method in ("get", "post")
        if method == "get" or section in ("checklist", "documents", "reports")
    ),
    Crossed(
        "consortia:member_remove",
        {"slug": "consortium_a", "pk": "membership_b"},
        "lead",
        "get",
        404,
    ),
    Crossed(
        "consortia:document_delete",
        {"slug": "consortium_b", "pk": "document"},
        "other_lead",
        "get",
        404,
    ),
    Crossed(
        "consortia:contact_remove",
        {"slug": "consortium_b", "pk": "colleague_contact_a"},
        "other_lead",
        "get",
        404,
    ),
    # A's members-only document: not for B's member or B's lead, not under B's address.
    Crossed(
        "consortia:document", {"slug": "consortium_a", "pk": "document"}, "other_member", "get", 404
    ),
    Crossed("consortia:document", {"slug": "consortium_b", "pk": "document"}, "lead", "get", 404),
    Crossed("consortia:report", {"slug": "consortium_b", "pk": "report"}, "lead", "get", 404),
    # Someone else's membership, contact row and contact request.
    Crossed("consortia:membership_leave", {"pk": "member_a"}, "other_member", "post", 404),
    Crossed("consortia:contact_email", {"pk": "colleague_contact_a"}, "lead", "post", 404),
    Crossed(
        "consortia:contact_request_accept", {"pk": "contact_request"}, "other_lead", "post", 404
    ),
    # The user's contribution under someone else's profile: no verifying it from there.
    Crossed(
        "contributors:contribution_verify",
        {"public_id": "someone", "contribution_id": "contribution"},
        "staff_with",
        "post",
        404,
    ),
    Crossed("contributors:contribution_add", {"public_id": "someone"}, "user", "post", 404),
    # W's draft under the steering group's address, for W's chair.
    Crossed(
        "contributors:briefing_edit",
        {"slug": "steering_group", "briefing_id": "draft"},
        "chair",
        "get",
        404,
    ),
    # Someone else's post, someone else's session.
    Crossed("forums:post_edit", {"post_id": "reply"}, "user", "get", 403),
    Crossed("forums:post_accept", {"post_id": "reply"}, "other_member", "post", 403),
    Crossed(
        "events:session_slides", {"slug": "meeting", "session_id": "proposal"}, "user", "post", 404
    ),
    # W's private forum and topic, for a steering-group member who is not in W.
    Crossed("forums:forum", {"forum_slug": "private_forum"}, "steering", "get", 404),
    Crossed("forums:topic_noslug", {"topic_id": "private_topic"}, "steering", "get", 404),
    Crossed("forums:reply", {"topic_id": "private_topic"}, "steering", "post", 404),
    Crossed("forums:feed", {"forum_slug": "private_forum"}, "anonymous", "get", 404),
    # …which its chair moderates: W's topic, not the general forum's.
    Crossed(
        "forums:topic_lock", {"topic_id": "private_topic"}, "chair", "post", to("{private_topic}")
    ),
    Crossed("forums:topic_lock", {"topic_id": "topic"}, "chair", "post", 403),
]


@pytest.mark.parametrize("crossed", CROSSED, ids=lambda c: f"{c.key}-{c.role}-{c.method}")
def test_objects_of_someone_else_are_refused(world, crossed):
    row = Row(get=None, kwargs=crossed.kwargs)
    path = path_of(world, crossed.key, ROUTES[crossed.key], row)
    expected = expected_cell(world, crossed.role, row, path, crossed.expected)
    assert ask(world, crossed.role, crossed.method, path, row) == expected, path


# --- Staff without two-factor authentication -------------------------------------------------


def test_staff_without_two_factor_are_led_to_set_it_up(world):
    """Staff are signed in with two-factor authentication in every row; one without it is
    led to set it up from every page a staff member reaches (the admin's and the portal's),
    never shown the page."""
    two_factor_pages = [
        key
        for key, row in MATRIX.items()
        if key in ROUTES
        and row.get is not None
        and row.get[-1] == 200
        and not ROUTES[key].startswith(("accounts/", "healthz", "admin/", "favicon.ico"))
    ] + ["admin:index"]
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[world.staff_without_two_factor.pk]
    refused = {}
    for key in two_factor_pages:
        path = path_of(world, key, ROUTES[key], MATRIX[key])
        response = client.get(path)
        if answer(response, path) != to(reverse("mfa_activate_totp")):
            refused[key] = answer(response, path)
    assert not refused, refused
    assert len(two_factor_pages) > 30
