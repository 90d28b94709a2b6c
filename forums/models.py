"""Forums: group forums, the iDeas forum and the ORCID API Users list.

Counters on forums and topics are denormalized (kept by the services) so that forum and
topic pages run a fixed number of queries whatever their size.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

# Forum slugs that would collide with the fixed paths under /forums/.
RESERVED_SLUGS = ("search", "moderation", "t", "p", "new", "feed")


class Forum(models.Model):
    class Kind(models.TextChoices):
        GROUP = "group", _("group forum")
        IDEAS = "ideas", _("iDeas forum")
        API_USERS = "api_users", _("ORCID API Users list")
        GENERAL = "general", _("general forum")

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.GENERAL)
    group = models.ForeignKey(
        "contributors.Group",
        verbose_name=_("group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forums",
    )
    is_private = models.BooleanField(
        _("private to the group's members"),
        default=False,
        help_text=_("Only the group's members (and staff) see a private forum."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    topic_count = models.PositiveIntegerField(default=0, editable=False)
    post_count = models.PositiveIntegerField(default=0, editable=False)
    last_post_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        permissions = [
            ("moderate_forums", "Can moderate every forum"),
            ("read_private_forums", "Can read every private forum"),
            ("set_idea_status", "Can set the status of ideas"),
        ]
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(slug__in=RESERVED_SLUGS), name="forum_slug_not_reserved"
            ),
            # The iDeas forum lives at /forums/ideas/: that slug is its, and only its.
            models.CheckConstraint(
                condition=(models.Q(kind="ideas") & models.Q(slug="ideas"))
                | (~models.Q(kind="ideas") & ~models.Q(slug="ideas")),
                name="forum_ideas_slug",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind__in=["ideas", "api_users"]),
                name="forum_one_ideas_and_one_api_users",
            ),
            models.UniqueConstraint(
                fields=["group"],
                condition=models.Q(group__isnull=False),
                name="forum_one_per_group",
            ),
            models.CheckConstraint(
                condition=models.Q(is_private=False) | models.Q(kind="group"),
                name="forum_only_group_forums_private",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        if self.kind == self.Kind.IDEAS:
            return "/forums/ideas/"
        return f"/forums/{self.slug}/"

    @property
    def is_ideas(self) -> bool:
        return self.kind == self.Kind.IDEAS


class IdeaStatus(models.TextChoices):
    NEW = "new", _("new")
    UNDER_REVIEW = "under_review", _("under review")
    PLANNED = "planned", _("planned")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    DECLINED = "declined", _("declined")


class Topic(models.Model):
    forum = models.ForeignKey(
        Forum, verbose_name=_("forum"), on_delete=models.PROTECT, related_name="topics"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # A topic imported from the list's archive whose author has no account: their name as
    # the mail gave it (see Post.author_name).
    author_name = models.CharField(_("author's name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_post_at = models.DateTimeField(_("last post"), db_index=True)
    last_post_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_post_author_name = models.CharField(max_length=200, blank=True, editable=False)
    reply_count = models.PositiveIntegerField(default=0)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    is_locked = models.BooleanField(_("locked"), default=False)
    accepted_post = models.ForeignKey(
        "Post",
        verbose_name=_("accepted answer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # iDeas only: a status, a vote count kept by the services, and a merge target.
    status = models.CharField(_("status"), max_length=16, choices=IdeaStatus.choices, blank=True)
    status_note = models.TextField(_("status note"), blank=True)
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_ideas",
    )
    # A topic whose first post awaits a moderator (moderation hold): only its author and
    # the forum's moderators see it until the post is approved.
    is_held = models.BooleanField(_("awaiting moderation"), default=False)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-is_pinned", "-last_post_at"]
        indexes = [
            models.Index(fields=["forum", "-is_pinned", "-last_post_at"], name="forums_topic_list"),
            models.Index(fields=["forum", "-vote_count"], name="forums_topic_votes"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")), name="topic_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.slug = topic_slug(self.title)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"/forums/t/{self.pk}/{self.slug}/"


def topic_slug(title: str) -> str:
    return slugify(title)[:200].strip("-") or "topic"


class Post(models.Model):
    class HiddenReason(models.TextChoices):
        NOT_HIDDEN = "", _("not hidden")
        MODERATOR = "moderator", _("hidden by a moderator")
        FLAGS = "flags", _("hidden after flags, awaiting a moderator")
        HELD = "held", _("awaiting moderation")

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="forum_posts"
    )
    # A post imported from the list's archive (``import_mbox``) by someone without an
    # account: the name their mail gave (never their address), shown instead of a person.
    author_name = models.CharField(_("author's name"), max_length=200, blank=True)
    # The Message-ID of the mail an imported post came from: an archive imported twice
    # is imported once. Empty for posts written here.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, editable=False)
    body = models.TextField(_("message"))
    # The sanitized HTML of ``body``, rendered by core.markdown when the post is saved.
    body_html = models.TextField(editable=False)
    is_first = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("posted"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.CharField(
        max_length=16, choices=HiddenReason.choices, blank=True, default=""
    )
    # The From address of a post that came by mail (the moderation hold of first mail
    # from an address); blank for a post from the web.
    from_address = models.CharField(max_length=320, blank=True, default="", editable=False)
    # PostgreSQL only (kept by the services, GIN-indexed by migration 0002); NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["topic", "created_at"], name="forums_post_topic"),
            models.Index(fields=["author", "created_at"], name="forums_post_author"),
            models.Index(fields=["-created_at"], name="forums_post_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_hidden=False, hidden_reason="")
                | models.Q(is_hidden=True, hidden_reason__in=["moderator", "flags", "held"]),
                name="post_hidden_has_reason",
            ),
            models.UniqueConstraint(
                fields=["topic"], condition=models.Q(is_first=True), name="post_one_first_per_topic"
            ),
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~models.Q(message_id=""),
                name="post_one_per_message_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"

    def get_absolute_url(self) -> str:
        return f"/forums/p/{self.pk}/"


class PostRevision(models.Model):
    """A previous version of a post, kept when it is edited."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.post_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class Vote(models.Model):
    """One person's vote for one idea."""

    idea = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["idea", "user"], name="vote_one_per_person_per_idea")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.idea_id}"


class IdeaStatusChange(models.Model):
    idea = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="status_changes")
    old_status = models.CharField(max_length=16, choices=IdeaStatus.choices, blank=True)
    new_status = models.CharField(max_length=16, choices=IdeaStatus.choices)
    note = models.TextField(_("note"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.idea_id}: {self.new_status}"


class Flag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("spam")
        OFF_TOPIC = "off_topic", _("off-topic")
        INAPPROPRIATE = "inappropriate", _("inappropriate")
        OTHER = "other", _("other")

    class Resolution(models.TextChoices):
        OPEN = "", _("open")
        UPHELD = "upheld", _("upheld: the post stays hidden")
        DISMISSED = "dismissed", _("dismissed: the post is shown")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("details"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="flag_one_per_person_per_post")
        ]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.reason}"


class Subscription(models.Model):
    """A person watches a forum or a topic; the mail issue sends what watching asks for."""

    class Mode(models.TextChoices):
        EACH = "each", _("each message")
        DAILY = "daily", _("daily digest")
        WEEKLY = "weekly", _("weekly digest")
        NONE = "none", _("no mail")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_subscriptions"
    )
    forum = models.ForeignKey(
        Forum, on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, null=True, blank=True, related_name="subscriptions"
    )
    mode = models.CharField(_("delivery"), max_length=8, choices=Mode.choices, default=Mode.EACH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(forum__isnull=False, topic__isnull=True)
                | models.Q(forum__isnull=True, topic__isnull=False),
                name="subscription_forum_xor_topic",
            ),
            models.UniqueConstraint(
                fields=["user", "forum"],
                condition=models.Q(forum__isnull=False),
                name="subscription_one_per_forum",
            ),
            models.UniqueConstraint(
                fields=["user", "topic"],
                condition=models.Q(topic__isnull=False),
                name="subscription_one_per_topic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.forum_id or self.topic_id} ({self.mode})"


class ModerationAction(models.Model):
    """Audit log: who hid, restored, locked, pinned, moved or merged what, and when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=32)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, null=True, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, null=True, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id}"


class ReplyKey(models.Model):
    """The secret of a ``reply+<key>@`` address: a reply to it is a post by ``user`` in
    ``topic``. Random (never derived from ids), stored, and revocable: a revoked key is an
    unknown address, refused when the mail server names it."""

    # No page shows a reply key: writing one (a digest batch makes them by the hundred)
    # leaves the forums' cached pages alone (core.cache).
    shown_on_no_page = True

    key = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="reply_keys")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply address")
        verbose_name_plural = _("reply addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic"],
                condition=models.Q(revoked_at__isnull=True),
                name="reply_key_one_live_per_person_and_topic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.topic_id}"


class TrustedPoster(models.Model):
    """A person a moderator trusted ("approve and trust"): their posts are never held."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_trust"
    )
    trusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("trusted poster")
        verbose_name_plural = _("trusted posters")

    def __str__(self) -> str:
        return str(self.user_id)
